"""A loaded rule file as immutable data: types, inputs, dated parameters, named values, conditions,
outputs and test cases. Produced by the loader, read by the evaluators.

Internal representation of values, the same in both evaluators:
integer → int, number → float, money → minor units (int, or float mid-computation), boolean → bool,
date → day number (days since 1970-01-01), enum → its text (one case) or its index (a caseload).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.eligibility.dates import day_number, from_day_number
from app.eligibility.expr import Node


class Kind(StrEnum):
    INTEGER = "integer"
    NUMBER = "number"
    MONEY = "money"
    BOOLEAN = "boolean"
    DATE = "date"
    ENUM = "enum"


@dataclass(frozen=True)
class Type:
    kind: Kind
    values: tuple[str, ...] = ()  # the allowed texts of an enum, in order; index = code

    def __str__(self) -> str:
        if self.kind is Kind.ENUM:
            return "enum(" + ", ".join(self.values) + ")"
        return self.kind.value

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.INTEGER, Kind.NUMBER)


INTEGER = Type(Kind.INTEGER)
NUMBER = Type(Kind.NUMBER)
MONEY = Type(Kind.MONEY)
BOOLEAN = Type(Kind.BOOLEAN)
DATE = Type(Kind.DATE)


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: Type
    description: str = ""
    minimum: Any = None  # internal representation, inclusive
    maximum: Any = None
    default: Any = None
    has_default: bool = False


class Shape(StrEnum):
    SCALAR = "scalar"
    TABLE = "table"  # keyed by one or more enum texts
    BRACKETS = "brackets"  # the value of the highest threshold at or below the key


@dataclass(frozen=True)
class Brackets:
    thresholds: tuple[Any, ...]
    values: tuple[Any, ...]

    def lookup(self, key: Any) -> Any:
        # Below the first threshold the first bracket applies (documented in docs/rules.md).
        index = bisect.bisect_right(self.thresholds, key) - 1
        return self.values[index if index > 0 else 0]


@dataclass(frozen=True)
class ParameterVersion:
    since: int  # day number from which this value applies, until the next version
    value: Any  # scalar, nested dict (table) or Brackets


@dataclass(frozen=True)
class Parameter:
    name: str
    type: Type  # type of the values
    shape: Shape
    versions: tuple[ParameterVersion, ...]  # sorted by `since`
    description: str = ""
    over: Type | None = None  # brackets: the type of the key
    key_count: int = 0  # tables: number of keys
    default: Any = None  # tables: value for a key not listed (None: every key must be listed)

    def version_at(self, day: int) -> ParameterVersion | None:
        starts = [v.since for v in self.versions]
        index = bisect.bisect_right(starts, day) - 1
        return self.versions[index] if index >= 0 else None


@dataclass(frozen=True)
class NamedValue:
    name: str
    node: Node
    text: str
    type: Type
    description: str = ""


@dataclass(frozen=True)
class Condition:
    id: str
    node: Node
    text: str
    reason: str  # shown when the condition fails; may cite values as {name}
    description: str = ""
    cited: tuple[str, ...] = ()  # names the explanation shows, in order


@dataclass(frozen=True)
class Output:
    name: str
    node: Node
    text: str
    type: Type
    description: str = ""
    cited: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestCase:
    name: str
    date: dt.date
    inputs: dict[str, Any]
    expect: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    description: str
    currency: str
    version: str  # sha256 of the file's bytes
    file: str
    source: str
    inputs: dict[str, InputSpec]
    parameters: dict[str, Parameter]
    values: tuple[NamedValue, ...]  # in an order where each comes after what it uses
    conditions: tuple[Condition, ...]
    outputs: tuple[Output, ...]
    tests: tuple[TestCase, ...]
    types: dict[Node, Type] = field(repr=False, default_factory=dict)

    def effective_from(self) -> dt.date | None:
        starts = [v.since for p in self.parameters.values() for v in p.versions]
        return from_day_number(min(starts)) if starts else None

    def parameters_changed_on(self) -> list[dt.date]:
        days = sorted({v.since for p in self.parameters.values() for v in p.versions})
        return [from_day_number(d) for d in days]


def as_day(value: dt.date) -> int:
    return day_number(value)
