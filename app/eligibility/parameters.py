"""Parameters in force on a date, and what-if overrides of them (`grants rules simulate --set …`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from app.core.errors import ValidationFailed
from app.eligibility.arith import round_half_away
from app.eligibility.dates import from_day_number, period_start
from app.eligibility.loader import convert_literal
from app.eligibility.model import NUMBER, Brackets, Kind, Parameter, Rule, Shape
from app.eligibility.typecheck import suggest


@dataclass(frozen=True)
class Resolved:
    values: dict[str, Any]  # name → scalar, nested dict (table) or Brackets
    since: dict[str, int]  # name → day number the value applies from


def resolve(rule: Rule, day: int) -> Resolved:
    """Each parameter's value in force on the day, or, for one declared `as_at` a period, on the first
    day of the period the day is in (so it stays fixed for the whole year or month)."""
    values, since = {}, {}
    for name, parameter in rule.parameters.items():
        at = day if parameter.as_at is None else period_start(day, *parameter.as_at)
        version = parameter.version_at(at)
        if version is None:
            first = from_day_number(parameter.versions[0].since).isoformat()
            raise ValidationFailed(
                "rule_not_in_force",
                f"{rule.id} has no value for '{name}' before {first}; evaluate for {first} or later",
                "date",
            )
        values[name], since[name] = version.value, version.since
    return Resolved(values, since)


OVERRIDE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:\[(?P<key>[^\]]+)\])?\s*(?P<op>\*?=)\s*(?P<value>.+)$")


def apply_overrides(rule: Rule, resolved: Resolved, settings: list[str]) -> Resolved:
    """Apply `NAME=VALUE`, `NAME[key]=VALUE` or `NAME*=FACTOR` (scales every amount of a parameter)."""
    values = dict(resolved.values)
    for setting in settings:
        match = OVERRIDE.match(setting.strip())
        if match is None:
            raise ValidationFailed(
                "invalid_override", f"{setting!r}: write NAME=VALUE, NAME[key]=VALUE or NAME*=FACTOR", "set"
            )
        name, key, op, raw = match["name"], match["key"], match["op"], match["value"].strip()
        parameter = rule.parameters.get(name)
        if parameter is None:
            hint = suggest(name, rule.parameters)
            raise ValidationFailed(
                "unknown_parameter",
                f"{rule.id} has no parameter {name!r}" + (f"; {hint}" if hint else ""),
                "set",
            )
        values[name] = _override(rule, parameter, values[name], key, op, raw)
    return Resolved(values, resolved.since)


def _override(rule: Rule, parameter: Parameter, current: Any, key: str | None, op: str, raw: str) -> Any:
    if op == "*=":
        try:
            factor = float(convert_literal(raw, _number_type(), rule.currency))
        except ValueError as exc:
            raise ValidationFailed("invalid_override", f"{parameter.name}: {exc}", "set") from None
        return _scale(parameter, current, factor)
    if key is not None:
        if parameter.shape is not Shape.TABLE or parameter.key_count != 1:
            raise ValidationFailed(
                "invalid_override", f"{parameter.name}[…]= works on a table with one key", "set"
            )
        if key not in current:
            hint = suggest(key, current)
            raise ValidationFailed(
                "invalid_override",
                f"{parameter.name} has no key {key!r}" + (f"; {hint}" if hint else ""),
                "set",
            )
        return {**current, key: _literal(rule, parameter, raw)}
    if parameter.shape is not Shape.SCALAR:
        raise ValidationFailed(
            "invalid_override",
            f"{parameter.name} is a table: set one entry with {parameter.name}[key]=VALUE "
            "or scale it with *=",
            "set",
        )
    return _literal(rule, parameter, raw)


def _literal(rule: Rule, parameter: Parameter, raw: str) -> Any:
    value: Any = raw
    if parameter.type.kind in (Kind.INTEGER,):
        value = int(raw) if raw.lstrip("-").isdigit() else raw
    elif parameter.type.kind is Kind.BOOLEAN:
        value = {"true": True, "false": False}.get(raw.lower(), raw)
    try:
        return convert_literal(value, parameter.type, rule.currency)
    except ValueError as exc:
        raise ValidationFailed("invalid_override", f"{parameter.name}: {exc}", "set") from None


def _number_type():
    return NUMBER


def _scale(parameter: Parameter, current: Any, factor: float) -> Any:
    """Every amount or number of the parameter times the factor; amounts rounded to the minor unit."""
    if parameter.type.kind not in (Kind.MONEY, Kind.NUMBER, Kind.INTEGER):
        raise ValidationFailed(
            "invalid_override",
            f"{parameter.name} holds {parameter.type} values; only numbers and amounts scale",
            "set",
        )

    def one(value: Any) -> Any:
        scaled = value * factor
        if parameter.type.kind is Kind.NUMBER:
            return scaled
        return int(round_half_away(scaled, math.floor))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, Brackets):
            return Brackets(value.thresholds, tuple(one(v) for v in value.values))
        return one(value)

    return walk(current)
