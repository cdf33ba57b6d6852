"""Checking the inputs of a case (a JSON object) or of a caseload (a DataFrame) against a rule's input
types and bounds. One case: every bad field reported at once. A caseload: bad rows set aside, each with
its field and reason, good rows decided."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from app.core.errors import ErrorDetail, ValidationFailed
from app.core.money import exponent, format_minor
from app.eligibility.arith import round_half_away
from app.eligibility.dates import day_number, from_day_number
from app.eligibility.loader import convert_literal
from app.eligibility.model import InputSpec, Kind, Rule
from app.eligibility.typecheck import suggest


def describe(value: Any, spec: InputSpec, currency: str) -> str:
    """An internal value as a person reads it (bounds in messages)."""
    if spec.type.kind is Kind.MONEY:
        return format_minor(int(value), currency)
    if spec.type.kind is Kind.DATE:
        return from_day_number(value).isoformat()
    return str(value)


MEMBERS = "members"  # the key of a household's list of members in a case
MAX_MEMBERS = 1000  # members of one household given to one decision (a caseload has no such limit)
MAX_MEMBER_ID = 64


def parse_case(
    rule: Rule, raw: dict[str, Any], param: str = "input", given: dict[str, InputSpec] | None = None
) -> dict[str, Any]:
    """A case in internal representation, or ValidationFailed naming every bad field. A household's
    members come back as a list of dicts under "members", each with its id, role and inputs.
    `given`: named values a rule file's test gives directly (for the household and for each member)."""
    if not isinstance(raw, dict):
        raise ValidationFailed("invalid_input", "input must be an object of input names to values", param)
    if rule.members is None:
        return _parse_fields(
            rule, _specs(rule.inputs, given), raw, param, rule.version if not given else None
        )
    return _parse_household(rule, raw, param, given or {})


def _specs(inputs: dict[str, InputSpec], given: dict[str, InputSpec] | None) -> dict[str, InputSpec]:
    return {**inputs, **given} if given else inputs


def _parse_household(
    rule: Rule, raw: dict[str, Any], param: str, given: dict[str, InputSpec]
) -> dict[str, Any]:
    assert rule.members is not None
    problems: list[ErrorDetail] = []
    group_given = {n: s for n, s in given.items() if not n.startswith("members.")}
    member_given = {n.removeprefix("members."): s for n, s in given.items() if n.startswith("members.")}
    fields = {k: v for k, v in raw.items() if k != MEMBERS}
    values: dict[str, Any] = {}
    try:
        values = _parse_fields(
            rule, _specs(rule.inputs, group_given), fields, param, None if given else rule.version
        )
    except ValidationFailed as exc:
        problems.extend(exc.details or [])
    listed = raw.get(MEMBERS)
    members: list[dict[str, Any]] = []
    if not isinstance(listed, list):
        problems.append(
            ErrorDetail(
                "missing_input",
                "members is a list of the household's members: {role, …}",
                f"{param}.{MEMBERS}",
            )
        )
    elif len(listed) > MAX_MEMBERS:
        problems.append(
            ErrorDetail(
                "too_many_members", f"at most {MAX_MEMBERS} members in one case", f"{param}.{MEMBERS}"
            )
        )
    else:
        specs = _specs(rule.members.inputs, member_given)
        seen: set[str] = set()
        for index, member in enumerate(listed):
            where = f"{param}.{MEMBERS}[{index}]"
            try:
                members.append(_parse_member(rule, specs, member, where, index, seen, bool(member_given)))
            except ValidationFailed as exc:
                problems.extend(exc.details or [])
    if problems:
        first = problems[0]
        raise ValidationFailed(first.code, first.message, first.param, details=problems)
    values[MEMBERS] = members
    return values


def _parse_member(
    rule: Rule,
    specs: dict[str, InputSpec],
    raw: Any,
    where: str,
    index: int,
    seen: set[str],
    given: bool,
) -> dict[str, Any]:
    assert rule.members is not None
    if not isinstance(raw, dict):
        raise ValidationFailed("invalid_input", "a member is an object: {role, …inputs}", where)
    problems: list[ErrorDetail] = []
    member_id = raw.get("id", str(index + 1))
    if not isinstance(member_id, str) or not member_id or len(member_id) > MAX_MEMBER_ID:
        problems.append(
            ErrorDetail("invalid_input", f"id is a text of 1 to {MAX_MEMBER_ID} characters", f"{where}.id")
        )
    elif member_id in seen:
        problems.append(
            ErrorDetail("duplicate_member", f"two members have the id {member_id!r}", f"{where}.id")
        )
    else:
        seen.add(member_id)
    role = raw.get("role")
    roles = rule.members.roles
    if role not in roles:
        hint = suggest(str(role), roles) if role is not None else ""
        message = f"role must be one of {', '.join(roles)}" + (f"; {hint}" if hint else "")
        problems.append(ErrorDetail("invalid_input", message, f"{where}.role"))
    fields = {k: v for k, v in raw.items() if k not in ("id", "role")}
    values: dict[str, Any] = {}
    try:
        values = _parse_fields(rule, specs, fields, where, None if given else rule.version + ":members")
    except ValidationFailed as exc:
        problems.extend(exc.details or [])
    if problems:
        raise ValidationFailed(problems[0].code, problems[0].message, problems[0].param, details=problems)
    values["id"] = member_id
    values["role"] = role
    return values


def _parse_fields(
    rule: Rule, specs: dict[str, InputSpec], raw: dict[str, Any], param: str, cache: str | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    provided = 0
    for name, fast, spec in _fast_converters(rule, specs, cache):
        given = raw.get(name)
        if given is None and spec.has_default:
            values[name] = spec.default
            continue
        value = fast(given) if given is not None else None
        if value is None:
            return _parse_case_carefully(rule, specs, raw, param)  # it says what is wrong, field by field
        values[name] = value
        provided += 1
    if provided != len(raw):  # unknown fields, or defaults given as null
        return _parse_case_carefully(rule, specs, raw, param)
    return values


_FAST: dict[str, list[tuple[str, Callable[[Any], Any], InputSpec]]] = {}
_MONEY_TEXT = re.compile(r"^(-?)([0-9]{1,13})(?:\.([0-9]{1,3}))?$")


def _fast_converters(
    rule: Rule, specs: dict[str, InputSpec], cache: str | None
) -> list[tuple[str, Callable[[Any], Any], InputSpec]]:
    """Per input, a converter for the common well-formed value that returns None for anything else
    (missing, wrong type, out of bounds): the hot path of deciding one case."""
    converters = _FAST.get(cache) if cache is not None else None
    if converters is None:
        converters = [(name, _fast(spec, rule.currency), spec) for name, spec in specs.items()]
        if cache is not None:
            _FAST[cache] = converters
    return converters


def _fast(spec: InputSpec, currency: str) -> Callable[[Any], Any]:
    kind, low, high = spec.type.kind, spec.minimum, spec.maximum
    digits = exponent(currency)

    def bounded(value: Any) -> Any:
        if value is None:  # not a value of the type (a malformed date): the careful path says why
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            return None
        return value

    if kind is Kind.INTEGER:
        return lambda raw: bounded(raw) if type(raw) is int else None
    if kind is Kind.NUMBER:
        return lambda raw: bounded(float(raw)) if type(raw) in (int, float) else None
    if kind is Kind.BOOLEAN:
        return lambda raw: raw if type(raw) is bool else None
    if kind is Kind.ENUM:
        allowed = frozenset(spec.type.values)
        return lambda raw: raw if type(raw) is str and raw in allowed else None
    if kind is Kind.DATE:
        return lambda raw: bounded(_iso_day(raw)) if type(raw) is str else None

    def money(raw: Any) -> Any:
        match = _MONEY_TEXT.match(raw) if type(raw) is str else None
        if match is None:
            return None
        sign, whole, fraction = match.groups()
        fraction = fraction or ""
        if len(fraction) > digits:
            return None
        minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
        return bounded(-minor if sign else minor)

    return money


@lru_cache(maxsize=65536)
def _iso_day(text: str) -> int | None:
    try:
        return day_number(dt.date.fromisoformat(text)) if len(text) == 10 else None
    except ValueError:
        return None


def _parse_case_carefully(
    rule: Rule, specs: dict[str, InputSpec], raw: dict[str, Any], param: str
) -> dict[str, Any]:
    problems: list[ErrorDetail] = []
    for key in raw:
        if key not in specs:
            hint = suggest(str(key), specs)
            problems.append(
                ErrorDetail(
                    "unknown_input",
                    f"{rule.id} has no input {key!r}" + (f"; {hint}" if hint else ""),
                    f"{param}.{key}",
                )
            )
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        field = f"{param}.{name}"
        if name not in raw or raw[name] is None:
            if spec.has_default:
                values[name] = spec.default
            else:
                problems.append(ErrorDetail("missing_input", f"{name} is required ({spec.type})", field))
            continue
        try:
            value = _convert_json(raw[name], spec, rule.currency)
            _check_bounds(value, spec, rule.currency)
        except ValueError as exc:
            problems.append(ErrorDetail("invalid_input", f"{name}: {exc}", field))
            continue
        values[name] = value
    if problems:
        first = problems[0]
        raise ValidationFailed(first.code, first.message, first.param, details=problems)
    return values


def _convert_json(raw: Any, spec: InputSpec, currency: str) -> Any:
    kind = spec.type.kind
    if kind is Kind.NUMBER and isinstance(raw, str):
        raise ValueError(f"{raw!r} is not a number")
    if kind is Kind.MONEY and isinstance(raw, float):
        raw = repr(raw)  # 12.5 from JSON means 12.50, not its binary neighbour
    if kind is Kind.INTEGER and isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return convert_literal(raw, spec.type, currency)


def _check_bounds(value: Any, spec: InputSpec, currency: str) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"must be at least {describe(spec.minimum, spec, currency)}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"must be at most {describe(spec.maximum, spec, currency)}")


@dataclass
class ParsedFrame:
    columns: dict[str, np.ndarray]  # good rows only, internal representation
    good: np.ndarray  # positions (0-based) of the good rows in the input frame
    errors: pd.DataFrame  # row (0-based), field, reason


def given_specs(rule: Rule, names: frozenset[str], prefix: str = "") -> dict[str, InputSpec]:
    """Named values a rule file's test gives instead of their formulas, read like inputs of their type."""
    return {f"{prefix}{name}": InputSpec(name, rule.value(name).type) for name in names if rule.value(name)}  # type: ignore[union-attr]


def parse_frame(
    rule: Rule,
    frame: pd.DataFrame,
    extra: dict[str, InputSpec] | None = None,
    specs: dict[str, InputSpec] | None = None,
) -> ParsedFrame:
    """Columns of a caseload, vectorised: converted, bounds-checked; bad rows listed with field and reason."""
    size = len(frame)
    bad = np.zeros(size, dtype=bool)
    error_parts: list[pd.DataFrame] = []
    columns: dict[str, np.ndarray] = {}
    for name, spec in {**(specs if specs is not None else rule.inputs), **(extra or {})}.items():
        if name not in frame.columns:
            if spec.has_default:
                columns[name] = np.full(size, _default_array_value(spec), dtype=_dtype(spec))
                continue
            raise ValidationFailed(
                "missing_column", f"the caseload has no column {name!r} ({spec.type})", name
            )
        values, problems = _column(frame[name], spec, rule.currency)
        columns[name] = values
        for mask, reason in problems:
            if mask.any():
                bad |= mask
                rows = np.flatnonzero(mask)
                error_parts.append(pd.DataFrame({"row": rows, "field": name, "reason": reason}))
    good = np.flatnonzero(~bad)
    if bad.any():
        columns = {name: values[good] for name, values in columns.items()}
    errors = (
        pd.concat(error_parts, ignore_index=True).sort_values(
            ["row", "field"], kind="stable", ignore_index=True
        )
        if error_parts
        else pd.DataFrame(
            {"row": pd.Series(dtype=np.int64), "field": pd.Series(dtype=str), "reason": pd.Series(dtype=str)}
        )
    )
    return ParsedFrame(columns, good, errors)


def _dtype(spec: InputSpec) -> Any:
    return {Kind.NUMBER: np.float64, Kind.BOOLEAN: bool, Kind.ENUM: np.int16}.get(spec.type.kind, np.int64)


def _default_array_value(spec: InputSpec) -> Any:
    if spec.type.kind is Kind.ENUM:
        return spec.type.values.index(spec.default)
    return spec.default


Problems = list[tuple[np.ndarray, str]]


def _column(series: pd.Series, spec: InputSpec, currency: str) -> tuple[np.ndarray, Problems]:
    """One column converted, with its problems (a mask of rows and a reason each). Most columns of a
    caseload have no gaps and no bad values: each check costs one pass when it finds nothing."""
    kind = spec.type.kind
    missing = series.isna().to_numpy()
    gaps = bool(missing.any())
    problems: Problems = []
    if kind is Kind.ENUM:
        values, invalid = _enum_column(series, spec)
        reason = f"not one of {', '.join(spec.type.values)}"
    elif kind is Kind.DATE:
        values, invalid = _date_column(series)
        reason = "not a date like 2026-01-31"
    elif kind is Kind.BOOLEAN:
        values, invalid = _boolean_column(series)
        reason = "not true or false"
    else:
        values, invalid, reason = _numeric_column(series, kind, currency)
    wrong = invalid & ~missing if gaps else invalid
    if wrong.any():
        problems.append((wrong, reason))
    if gaps:
        if spec.has_default:
            values = np.where(missing, _default_array_value(spec), values).astype(values.dtype)
        else:
            problems.insert(0, (missing, f"{spec.name} is required ({spec.type})"))
    for bound, label, compare, extreme in (
        (spec.minimum, "at least", np.less, np.min),
        (spec.maximum, "at most", np.greater, np.max),
    ):
        if bound is None or not len(values) or not compare(extreme(values), bound):
            continue  # one reduction, without a mask, when every row is within bounds
        out = compare(values, bound)
        if out.any():  # rows out of bounds: not those missing (without a default) or unreadable
            if gaps and not spec.has_default:
                out &= ~missing
            out &= ~invalid
            problems.append((out, f"must be {label} {describe(bound, spec, currency)}"))
    return values, problems


def _enum_column(series: pd.Series, spec: InputSpec) -> tuple[np.ndarray, np.ndarray]:
    allowed = list(spec.type.values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Map the column's own categories onto ours once, then take codes: no per-row string work.
        own = list(series.cat.categories)
        remap = np.array([allowed.index(c) if c in allowed else -1 for c in own] + [-1], dtype=np.int16)
        codes = remap[series.cat.codes.to_numpy()]
    else:
        text = series.astype("string").str.strip().to_numpy(dtype=object, na_value=None)
        codes = pd.Index(allowed).get_indexer(text).astype(np.int16)  # -1: not one of them (or empty)
    invalid = codes < 0
    if not invalid.any():
        return codes.astype(np.int16, copy=False), invalid
    return np.where(invalid, 0, codes).astype(np.int16), invalid


def _date_column(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "M":  # numpy datetimes, NaT for gaps
        days = series.to_numpy().astype("datetime64[D]").view(np.int64)
        invalid = days == np.iinfo(np.int64).min  # NaT
        return (np.where(invalid, 0, days) if invalid.any() else days), invalid
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        parsed = series
    else:
        parsed = pd.to_datetime(series.astype("string").str.strip(), format="%Y-%m-%d", errors="coerce")
    invalid = parsed.isna().to_numpy()
    days = parsed.to_numpy(dtype="datetime64[D]", na_value=np.datetime64(0, "D")).astype(np.int64)
    return days, invalid


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def _boolean_column(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool, na_value=False), np.zeros(len(series), dtype=bool)
    text = series.astype("string").str.strip().str.lower()
    true, false = text.isin(_TRUE).to_numpy(dtype=bool), text.isin(_FALSE).to_numpy(dtype=bool)
    return true, ~(true | false)


def _numeric_column(series: pd.Series, kind: Kind, currency: str) -> tuple[np.ndarray, np.ndarray, str]:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    invalid = ~np.isfinite(numbers)
    safe = np.where(invalid, 0.0, numbers) if invalid.any() else numbers
    if kind is Kind.NUMBER:
        return safe, invalid, "not a number"
    if kind is Kind.INTEGER:
        whole = np.floor(safe)
        invalid |= whole != safe
        return whole.astype(np.int64), invalid, "not a whole number"
    scale = 10.0 ** exponent(currency)
    scaled = safe * scale
    minor = np.round(scaled)
    off = np.abs(scaled - minor)
    tolerance = np.abs(scaled)
    tolerance *= 1e-15
    tolerance += 1e-6  # 1e-6 + |scaled| * 1e-15, without temporaries
    invalid |= off > tolerance
    if len(minor) and (minor.min() < -1e15 or minor.max() > 1e15):
        invalid |= np.abs(minor) > 1e15
    return minor.astype(np.int64), invalid, f"not an amount with at most {exponent(currency)} decimals"


def json_value(value: Any, kind: Kind, currency: str) -> Any:
    """Internal representation → JSON for API replies and explanations (money as a decimal string)."""
    if kind is Kind.MONEY:
        return money_text(_whole_minor(value), exponent(currency))
    if kind is Kind.DATE:
        return iso_date(int(value))
    if kind is Kind.INTEGER:
        return int(value)
    if kind is Kind.NUMBER:
        return float(value)
    if kind is Kind.BOOLEAN:
        return bool(value)
    return value


def formatter(kind: Kind, currency: str) -> Callable[[Any], Any]:
    """json_value for one kind, chosen once: the hot path of explanations calls it many times per case."""
    if kind is Kind.MONEY:
        digits = exponent(currency)
        return lambda value: money_text(_whole_minor(value), digits)
    if kind is Kind.DATE:
        return lambda value: iso_date(int(value))
    return {Kind.INTEGER: int, Kind.NUMBER: float, Kind.BOOLEAN: bool}.get(kind, _same)


def _whole_minor(value: Any) -> int:
    """A money value mid-computation may hold fractions of a minor unit: shown rounded, as outputs are."""
    if isinstance(value, int):
        return value
    return int(round_half_away(value, math.floor))


def _same(value: Any) -> Any:
    return value


@lru_cache(maxsize=65536)  # amounts repeat: rates, limits, common incomes
def money_text(minor: int, digits: int) -> str:
    """format_minor without Decimal: the explanation formats dozens of amounts per case."""
    if digits == 0:
        return str(minor)
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{fraction:0{digits}d}"


@lru_cache(maxsize=65536)
def iso_date(day: int) -> str:
    return from_day_number(day).isoformat()


def case_to_json(rule: Rule, values: dict[str, Any]) -> dict[str, Any]:
    out = {
        name: json_value(values[name], spec.type.kind, rule.currency) for name, spec in rule.inputs.items()
    }
    if rule.members is not None:
        out[MEMBERS] = [member_to_json(rule, m) for m in values[MEMBERS]]
    return out


def member_to_json(rule: Rule, member: dict[str, Any]) -> dict[str, Any]:
    assert rule.members is not None
    out = {"id": member["id"], "role": member["role"]}
    for name, spec in rule.members.inputs.items():
        out[name] = json_value(member[name], spec.type.kind, rule.currency)
    return out


def as_date(value: Any, param: str = "date") -> int:
    if isinstance(value, dt.date):
        return day_number(value)
    try:
        return day_number(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise ValidationFailed("invalid_date", f"{value!r} is not a date like 2026-01-31", param) from None
