"""Evaluating a whole caseload at once: expressions compiled to closures over numpy arrays.

Enum values are integer codes here: the index of the text in the node's type. Every operation mirrors
scalar.py (see arith.py for the shared arithmetic), so a case decides the same in both.

Households: the frame also holds the members' columns (every member of every household, sorted by
household) and their Groups. A household's value used in a member's formula is projected (each member
gets its household's); an aggregate over members reduces member columns to household columns.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from app.core.money import to_minor
from app.eligibility import arith, dates
from app.eligibility.expr import (
    Aggregate,
    Arithmetic,
    Boolean,
    Call,
    Compare,
    Conditional,
    Logical,
    Lookup,
    Membership,
    Name,
    Negate,
    Node,
    Not,
    Number,
    Range,
    Rank,
    String,
)
from app.eligibility.groups import Groups
from app.eligibility.model import MEMBER_SET, Brackets, Kind, Parameter, Rule, Type

Compiled = Callable[["Frame"], Any]

COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


class Frame:
    """Values of one evaluation: input columns, named values and parameters resolved for the date."""

    def __init__(
        self,
        values: dict[str, Any],
        parameters: dict[str, Any],
        size: int,
        member: dict[str, Any] | None = None,
        groups: Groups | None = None,
    ) -> None:
        self.values = values
        self.parameters = parameters
        self.size = size
        self.tables: dict[int, Any] = {}  # lookup arrays built once per evaluation
        self.member = member if member is not None else {}  # members' columns
        self.groups = groups
        self.bound: dict[str, Any] = {}  # variables of the aggregates over ranges and lists
        self.projected: dict[str, Any] = {}  # households' values given to their members, once each


class VectorCompiler:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.types = rule.types
        self.member_nodes = rule.member_nodes
        self.sets = rule.members.sets if rule.members is not None else {}
        self.roles = rule.members.roles if rule.members is not None else ()
        self.in_member = False  # compiling for each member (True) or for each household
        self.bound: set[str] = set()

    def type_of(self, node: Node) -> Type:
        return self.types[node]

    def compile_for_members(self, node: Node, kind: Type | None = None) -> Compiled:
        """An expression whose value is wanted for each member (a member's value, condition, output)."""
        outer, self.in_member = self.in_member, True
        try:
            if kind is not None and kind.kind is Kind.ENUM:
                return self.compile_as(node, kind)
            return self.compile(node)
        finally:
            self.in_member = outer

    def compile(self, node: Node) -> Compiled:
        wanted_for_members = self.in_member
        differs = node in self.member_nodes
        self.in_member = differs
        try:
            compiled = self._compile(node)
        finally:
            self.in_member = wanted_for_members
        if wanted_for_members and not differs:
            return self._projected(node, compiled)
        return compiled

    def _projected(self, node: Node, compiled: Compiled) -> Compiled:
        if isinstance(node, Name) and node.name not in self.bound:
            name = node.name

            def project_name(frame: Frame) -> Any:
                value = frame.projected.get(name)
                if value is None:
                    value = frame.groups.project(compiled(frame))  # type: ignore[union-attr]
                    frame.projected[name] = value
                return value

            return project_name
        return lambda frame: frame.groups.project(compiled(frame))  # type: ignore[union-attr]

    def _compile(self, node: Node) -> Compiled:
        match node:
            case Number(value=value) | Boolean(value=value):
                return lambda frame: value
            case String():
                raise AssertionError("texts are compiled in the context that gives them a code")
            case Name(name=name):
                if name in self.bound:
                    return lambda frame: frame.bound[name]
                if name in self.rule.parameters:
                    return lambda frame: frame.parameters[name]
                if node in self.member_nodes:
                    return lambda frame: frame.member[name]
                return lambda frame: frame.values[name]
            case Aggregate():
                return self._aggregate(node)
            case Rank():
                return self._rank(node)
            case Lookup():
                return self._lookup(node)
            case Negate(operand=operand):
                f = self.compile(operand)
                return lambda frame: np.negative(f(frame))
            case Not(operand=operand):
                f = self.compile(operand)
                return lambda frame: np.logical_not(f(frame))
            case Logical(op=op, operands=operands):
                fs = [self.compile(o) for o in operands]
                combine = np.logical_and if op == "and" else np.logical_or
                return lambda frame: functools.reduce(combine, (f(frame) for f in fs))
            case Arithmetic(op=op, left=left, right=right):
                return self._arithmetic(op, self.compile(left), self.compile(right))
            case Compare():
                return self._compare(node)
            case Membership():
                return self._membership(node)
            case Conditional():
                return self._conditional(node)
            case Call():
                return self._call(node)
        raise AssertionError(node)

    # -- enums: codes relative to a target type
    def compile_as(self, node: Node, target: Type) -> Compiled:
        """An enum-valued node as codes of `target` (whose values include all of the node's)."""
        if isinstance(node, String):
            code = np.int16(target.values.index(node.value))  # int16, as enum columns: where() keeps it
            return lambda frame: code
        own = self.type_of(node)
        f = self.compile(node)
        if own.values == target.values[: len(own.values)]:
            return f
        remap = np.array([target.values.index(v) for v in own.values], dtype=np.int16)
        return lambda frame: remap[f(frame)]

    def _compare(self, node: Compare) -> Compiled:
        compare = COMPARE[node.op]
        left, right = self.type_of(node.left), self.type_of(node.right)
        if left.kind is Kind.ENUM:
            union = Type(Kind.ENUM, tuple(dict.fromkeys((*left.values, *right.values))))
            a, b = self.compile_as(node.left, union), self.compile_as(node.right, union)
        else:
            a, b = self.compile(node.left), self.compile(node.right)
        return lambda frame: compare(a(frame), b(frame))

    def _membership(self, node: Membership) -> Compiled:
        kind = self.type_of(node.operand)
        f = self.compile(node.operand)
        negated = node.negated
        if node.parameter is not None:
            return self._list_membership(node.parameter, kind, f, negated)
        if kind.kind is Kind.ENUM:
            mask = np.zeros(len(kind.values), dtype=bool)
            for item in node.items:
                mask[kind.values.index(item.value)] = True  # type: ignore[attr-defined]
            if negated:
                mask = ~mask
            return lambda frame: mask[f(frame)]
        if all(isinstance(i, (Number, Boolean)) for i in node.items):
            items = np.array([i.value for i in node.items])  # type: ignore[attr-defined]
            return lambda frame: np.isin(f(frame), items, invert=negated)
        fs = [self.compile(i) for i in node.items]

        def member(frame: Frame) -> Any:
            x = f(frame)
            found = functools.reduce(np.logical_or, (np.equal(x, g(frame)) for g in fs))
            return np.logical_not(found) if negated else found

        return member

    def _list_membership(self, parameter: str, kind: Type, f: Compiled, negated: bool) -> Compiled:
        if kind.kind is Kind.ENUM:

            def among_texts(frame: Frame) -> Any:
                listed = frame.parameters[parameter]
                mask = np.array([(v in listed) != negated for v in kind.values], dtype=bool)
                return mask[f(frame)]

            return among_texts

        def among(frame: Frame) -> Any:
            return np.isin(f(frame), np.asarray(frame.parameters[parameter]), invert=negated)

        return among

    # -- aggregates
    def member_mask(self, name: str) -> Callable[[Frame], Any] | None:
        """Which members are in a set of members (None: all of them)."""
        if name == MEMBER_SET:
            return None
        role = self.sets.get(name)
        if role is not None:
            code = self.roles.index(role)
            return lambda frame: frame.member["role"] == code
        return lambda frame: frame.member[name]

    def _taken(self, node: Aggregate | Rank) -> Callable[[Frame], Any]:
        in_set = self.member_mask(node.members or MEMBER_SET)
        outer, self.in_member = self.in_member, True
        try:
            where = self.compile(node.where) if node.where is not None else None
        finally:
            self.in_member = outer

        def taken(frame: Frame) -> Any:
            mask = in_set(frame) if in_set is not None else None
            if where is not None:
                held = np.broadcast_to(np.asarray(where(frame), dtype=bool), (frame.groups.members,))  # type: ignore[union-attr]
                mask = held if mask is None else mask & held
            return mask

        return taken

    def _aggregate(self, node: Aggregate) -> Compiled:
        if node.variable is not None:
            return self._iteration(node)
        taken = self._taken(node)
        outer, self.in_member = self.in_member, True
        try:
            body = self.compile(node.body) if node.body is not None else None
        finally:
            self.in_member = outer
        function = node.function

        def aggregate(frame: Frame) -> Any:
            groups: Groups = frame.groups  # type: ignore[assignment]
            mask = taken(frame)
            if function == "count":
                return groups.count(mask)
            if body is None:  # any(set where …)
                return groups.count(mask) > 0 if mask is None else groups.any(mask)
            values = body(frame)
            if function == "sum":
                return groups.sum(values, mask)
            if function in ("min", "max"):
                return groups.extreme(values, mask, function == "min")
            held = np.broadcast_to(np.asarray(values, dtype=bool), (groups.members,))
            if function == "any":
                return groups.any(held if mask is None else mask & held)
            return ~groups.any(~held if mask is None else mask & ~held)

        return aggregate

    def _iteration(self, node: Aggregate) -> Compiled:
        variable, items, function = node.variable or "", node.items, node.function
        self.bound.add(variable)
        try:
            where = self.compile(node.where) if node.where is not None else None
            body = self.compile(node.body) if node.body is not None else None
        finally:
            self.bound.discard(variable)
        each = self._items(items, node)

        def iterate(frame: Frame) -> Any:
            total: Any = 0
            seen: Any = False
            best: Any = 0
            for item in each(frame):
                frame.bound[variable] = item
                held = where(frame) if where is not None else True
                if function == "count":
                    total = np.add(total, np.asarray(held, dtype=np.int64))
                    continue
                value = body(frame) if body is not None else True
                if function == "sum":
                    total = np.add(total, np.where(held, value, 0) if where is not None else value)
                elif function == "any":
                    seen = np.logical_or(seen, np.logical_and(held, value))
                elif function == "all":
                    seen = np.logical_or(seen, np.logical_and(held, np.logical_not(value)))
                else:
                    better = np.less(value, best) if function == "min" else np.greater(value, best)
                    replace = np.logical_and(held, np.logical_or(np.logical_not(seen), better))
                    best = np.where(replace, value, best)
                    seen = np.logical_or(seen, held)
            frame.bound.pop(variable, None)
            if function in ("sum", "count"):
                return total
            if function == "any":
                return seen
            if function == "all":
                return np.logical_not(seen)
            return np.where(seen, best, 0)

        return iterate

    def _items(self, items: Any, node: Aggregate) -> Callable[[Frame], Any]:
        if isinstance(items, Range):
            low, high = self.compile(items.low), self.compile(items.high)
            return lambda frame: range(int(low(frame)), int(high(frame)) + 1)
        if isinstance(items, tuple):
            if all(isinstance(i, String) for i in items):
                union = Type(Kind.ENUM, tuple(dict.fromkeys(i.value for i in items)))  # type: ignore[attr-defined]
                codes = tuple(union.values.index(i.value) for i in items)  # type: ignore[attr-defined]
                return lambda frame: codes
            listed = tuple(i.value for i in items)  # type: ignore[attr-defined]
            return lambda frame: listed
        parameter = self.rule.parameters[items.name]
        if parameter.type.kind is Kind.ENUM:
            texts = parameter.type.values
            return lambda frame: [texts.index(v) for v in frame.parameters[parameter.name]]
        return lambda frame: frame.parameters[parameter.name]

    def _rank(self, node: Rank) -> Compiled:
        taken = self._taken(node)
        outer, self.in_member = self.in_member, True
        try:
            key = self.compile(node.key)
        finally:
            self.in_member = outer
        descending = node.descending
        return lambda frame: frame.groups.rank(key(frame), taken(frame), descending)  # type: ignore[union-attr]

    def _conditional(self, node: Conditional) -> Compiled:
        kind = self.type_of(node)
        fc = self.compile(node.condition)
        if kind.kind is Kind.ENUM:
            ft, fo = self.compile_as(node.then, kind), self.compile_as(node.otherwise, kind)
        else:
            ft, fo = self.compile(node.then), self.compile(node.otherwise)
        return lambda frame: np.where(fc(frame), ft(frame), fo(frame))

    def _arithmetic(self, op: str, a: Compiled, b: Compiled) -> Compiled:
        if op == "+":
            return lambda frame: np.add(a(frame), b(frame))
        if op == "-":
            return lambda frame: np.subtract(a(frame), b(frame))
        if op == "*":
            return lambda frame: np.multiply(a(frame), b(frame))
        return lambda frame: divide(a(frame), b(frame))

    # -- tables
    def _lookup(self, node: Lookup) -> Compiled:
        parameter = self.rule.parameters[node.name]
        if parameter.shape.value == "brackets":
            key = self.compile(node.keys[0])
            name = node.name

            def bracket(frame: Frame) -> Any:
                table: Brackets = frame.parameters[name]
                thresholds, values = _bracket_arrays(frame, id(node), table)
                return values[bracket_index(thresholds, key(frame))]

            return bracket
        key_types = [self._key_type(k) for k in node.keys]
        keys = [self.compile_as(k, t) for k, t in zip(node.keys, key_types, strict=True)]

        def table(frame: Frame) -> Any:
            array = frame.tables.get(id(node))
            if array is None:
                array = _table_array(parameter, frame.parameters[parameter.name], key_types)
                frame.tables[id(node)] = array
            return array[tuple(k(frame) for k in keys)]

        return table

    def _key_type(self, node: Node) -> Type:
        kind = self.type_of(node)
        return kind

    # -- functions
    def _call(self, node: Call) -> Compiled:
        name, args = node.function, node.args
        if name == "date":
            day = dates.day_number(dt.date.fromisoformat(args[0].value))  # type: ignore[attr-defined]
            return lambda frame: day
        if name == "money":
            minor = to_minor(args[0].value, self.rule.currency)  # type: ignore[attr-defined]
            return lambda frame: minor
        if name == "period_start":
            day, period = self.compile(args[0]), args[1].value  # type: ignore[attr-defined]
            start = args[2].value if len(args) == 3 else 1  # type: ignore[attr-defined]
            return lambda frame: dates.period_start(day(frame), period, start)
        fs = [self.compile(a) for a in args]
        if name in ("min", "max"):
            combine = np.minimum if name == "min" else np.maximum
            return lambda frame: functools.reduce(combine, (f(frame) for f in fs))
        x = fs[0]
        if name == "round":
            if len(fs) == 2:
                digits = args[1].value  # type: ignore[attr-defined]
                return lambda frame: arith.round_to(x(frame), digits, np.floor)
            return lambda frame: arith.round_half_away(x(frame), np.floor)
        simple = {
            "floor": np.floor,
            "ceil": lambda v: arith.ceil_from_floor(v, np.floor),
            "abs": np.abs,
            "year": dates.year,
            "month": dates.month,
        }
        if name in simple:
            fn = simple[name]
            return lambda frame: fn(x(frame))
        y = fs[1]
        binary = {
            "age": dates.age,
            "months_between": dates.months_between,
            "days_between": lambda a, b: np.subtract(b, a),
            "add_days": np.add,
        }[name]
        return lambda frame: binary(x(frame), y(frame))


def divide(a: Any, b: Any) -> Any:
    """Total division, as in arith.divide_scalar: where the divisor is 0 the result is 0."""
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        return arith.divide_scalar(a, b)
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.float64)
    return np.divide(a, b, out=out, where=b != 0)


SHORT_BRACKETS = 16  # up to this many thresholds, counting beats a binary search per case


def bracket_index(thresholds: np.ndarray, keys: Any) -> Any:
    """The index of the highest threshold at or below each key (the first bracket below the first
    threshold), as bisect_right - 1 in the scalar evaluator. A NaN key takes the last bracket, as it
    does there (no threshold is above it)."""
    if np.ndim(keys) == 0 or len(thresholds) > SHORT_BRACKETS:
        return np.maximum(np.searchsorted(thresholds, keys, side="right") - 1, 0)
    # index = thresholds at or below the key - 1 = (len - 1) - thresholds above it: one compare and
    # one add per threshold, on small integers.
    above = np.zeros(len(keys), dtype=np.int8)
    for threshold in thresholds[1:]:  # the first never counts: below it the first bracket applies
        np.add(above, np.less(keys, threshold), out=above, casting="unsafe")
    return np.subtract(len(thresholds) - 1, above, out=above)


def _dtype(kind: Type) -> Any:
    return {Kind.NUMBER: np.float64, Kind.BOOLEAN: bool}.get(kind.kind, np.int64)


def _bracket_arrays(frame: Frame, key: int, table: Brackets) -> tuple[np.ndarray, np.ndarray]:
    arrays = frame.tables.get(key)
    if arrays is None:
        arrays = (np.asarray(table.thresholds), np.asarray(table.values))
        frame.tables[key] = arrays
    return arrays


def _table_array(parameter: Parameter, table: dict, key_types: list[Type]) -> np.ndarray:
    """The table as an n-dimensional array indexed by the codes of the key types."""
    shape = tuple(len(t.values) for t in key_types)
    fill = parameter.default if parameter.default is not None else 0
    array = np.full(shape, fill, dtype=_dtype(parameter.type))
    for index in np.ndindex(*shape):
        value: Any = table
        for level, code in enumerate(index):
            value = value.get(key_types[level].values[code]) if isinstance(value, dict) else None
            if value is None:
                break
        if value is not None:
            array[index] = value
    return array
