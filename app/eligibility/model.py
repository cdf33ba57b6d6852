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
    is_list: bool = False  # each dated value is a list of values of `type`
    as_at: tuple[str, int] | None = None  # ("year", start month): the value in force when the period began

    def version_at(self, day: int) -> ParameterVersion | None:
        starts = [v.since for v in self.versions]
        index = bisect.bisect_right(starts, day) - 1
        return self.versions[index] if index >= 0 else None


class Level(StrEnum):
    GROUP = "group"  # one value for the case (the household)
    MEMBER = "member"  # a value for each member


@dataclass(frozen=True)
class NamedValue:
    name: str
    node: Node
    text: str
    type: Type
    description: str = ""
    level: Level = Level.GROUP


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
    inputs: dict[str, Any]  # may give named values too: they then replace their formulas
    expect: dict[str, Any]
    line: int
    margin: int | None = None  # money compared within this many minor units


MEMBER_SET = "members"  # the set of every member of a household


@dataclass(frozen=True)
class Members:
    """A rule about households: the roles members can have, each member's inputs, values, conditions and
    outputs. The household's own inputs, values, conditions and outputs are the rule's top-level ones."""

    roles: tuple[str, ...]  # the texts of the built-in member input `role`
    sets: dict[str, str | None]  # name of a set of members in expressions → its role (None: everyone)
    inputs: dict[str, InputSpec]
    beneficiaries: str  # the set whose members the member conditions decide (and outputs pay)
    conditions: tuple[Condition, ...]
    outputs: tuple[Output, ...]
    description: str = ""

    @property
    def role_type(self) -> Type:
        return Type(Kind.ENUM, self.roles)


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
    members: Members | None = None  # a rule about households; None: one flat case
    member_conditions_at: int = 0  # how many of `values` come before the member conditions
    member_nodes: frozenset[Node] = field(repr=False, default_factory=frozenset)  # differ by member

    def value(self, name: str) -> NamedValue | None:
        for value in self.values:
            if value.name == name:
                return value
        return None

    def effective_from(self) -> dt.date | None:
        starts = [v.since for p in self.parameters.values() for v in p.versions]
        return from_day_number(min(starts)) if starts else None

    def parameters_changed_on(self) -> list[dt.date]:
        days = sorted({v.since for p in self.parameters.values() for v in p.versions})
        return [from_day_number(d) for d in days]


def as_day(value: dt.date) -> int:
    return day_number(value)
