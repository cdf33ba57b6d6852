"""What an evaluation gives back, shared by the flat and the household evaluators: the Decision of one
case, the parameters in force on a date (cached) with how explanations show them, and the output columns
of a caseload."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from app.eligibility import arith
from app.eligibility.dates import from_day_number
from app.eligibility.inputs import json_value
from app.eligibility.model import Kind, Rule, Shape, Type
from app.eligibility.parameters import Resolved, resolve
from app.eligibility.scalar import parameter_env


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, and this is the hot path
class Decision:
    programme: str
    version: str
    as_of: dt.date
    eligible: bool
    outputs: dict[str, Any]  # JSON-ready: money as decimal strings
    failed: list[str]
    explanation: dict[str, Any]
    inputs: dict[str, Any] = field(default_factory=dict)  # JSON-ready
    # A household: each member's id, role, eligibility, failed member conditions and outputs.
    members: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "programme": self.programme,
            "version": self.version,
            "as_of": self.as_of.isoformat(),
            "eligible": self.eligible,
            "outputs": self.outputs,
            "failed": self.failed,
            "explanation": self.explanation,
        }
        if self.members is not None:
            out["members"] = self.members
        return out


class ParameterCache:
    """Parameters in force on a date for the environment, and how the explanation shows them; cached
    per date (not for what-ifs, which pass their own)."""

    def __init__(self, rule: Rule, cited: list[tuple[str, Any, Any]] | None = None) -> None:
        self.rule = rule
        self.cited = cited or []
        self._by_day: dict[int, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}

    def get(self, day: int, resolved: Resolved | None = None) -> tuple[dict, dict, dict]:
        cached = self._by_day.get(day) if resolved is None else None
        if cached is not None:
            return cached
        given = resolved
        resolved = resolved or resolve(self.rule, day)
        env = parameter_env(self.rule, resolved.values)
        shown = {}
        for name, p in self.rule.parameters.items():
            shown[name] = {"since": from_day_number(resolved.since[name]).isoformat()}
            if p.shape is Shape.SCALAR:
                value = resolved.values[name]
                if p.is_list:
                    shown[name]["value"] = [json_value(v, p.type.kind, self.rule.currency) for v in value]
                else:
                    shown[name]["value"] = json_value(value, p.type.kind, self.rule.currency)
        formatted = {label: fmt(get(env)) for label, get, fmt in self.cited}
        cached = (env, shown, formatted)
        if given is None:
            if len(self._by_day) > 256:
                self._by_day.clear()
            self._by_day[day] = cached
        return cached


def vector_parameters(rule: Rule, resolved: Resolved) -> dict[str, Any]:
    """Parameters for the caseload evaluator: an enum scalar as its code."""
    values = dict(resolved.values)
    for name, parameter in rule.parameters.items():
        if parameter.shape is Shape.SCALAR and parameter.type.kind is Kind.ENUM and not parameter.is_list:
            values[name] = parameter.type.values.index(values[name])
    return values


def output_array(value: Any, kind: Type, eligible: np.ndarray, size: int) -> np.ndarray:
    """An output column: money rounded once to the minor unit, 0 where not eligible."""
    array = np.broadcast_to(np.asarray(value), (size,))
    if kind.kind is Kind.MONEY:
        return np.multiply(_minor_units(array), eligible, dtype=np.int64)  # 0 where not eligible
    if kind.kind is Kind.INTEGER:
        return array.astype(np.int64)
    if kind.kind is Kind.NUMBER:
        return array.astype(np.float64)
    if kind.kind is Kind.BOOLEAN:
        return array.astype(bool)
    if kind.kind is Kind.ENUM:
        return pd.Categorical.from_codes(array.astype(np.int16), categories=list(kind.values))
    return array.astype(np.int64)  # dates as day numbers


WHOLE_AND_SAFE = 2.0**48  # below this a whole amount is its own round_half_away (the nudges add < 1)


def _minor_units(array: np.ndarray) -> np.ndarray:
    """Money as whole minor units, rounded half away from zero (arith.round_half_away). An amount
    already whole (a sum of rounded amounts, most often) is only converted."""
    if array.dtype.kind != "f":
        return array
    if len(array):
        whole = array.astype(np.int64)
        low, high = array.min(), array.max()  # NaN compares false: rounded below
        if low > -WHOLE_AND_SAFE and high < WHOLE_AND_SAFE and np.array_equal(whole, array):
            return whole
    return arith.round_half_away(array, np.floor).astype(np.int64)


def format_money(minor: np.ndarray, digits: int) -> np.ndarray:
    if digits == 0 or len(minor) == 0:
        return minor.astype(str)
    sign = np.where(minor < 0, "-", "")
    whole, frac = np.divmod(np.abs(minor), 10**digits)
    return np.char.add(
        np.char.add(np.char.add(sign, whole.astype(str)), "."), np.char.zfill(frac.astype(str), digits)
    )
