"""Evaluating a whole caseload at once: expressions compiled to closures over numpy arrays.

Enum values are integer codes here: the index of the text in the node's type. Every operation mirrors
scalar.py (see arith.py for the shared arithmetic), so a case decides the same in both.
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
    String,
)
from app.eligibility.model import Brackets, Kind, Parameter, Rule, Type

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

    def __init__(self, values: dict[str, Any], parameters: dict[str, Any], size: int) -> None:
        self.values = values
        self.parameters = parameters
        self.size = size
        self.tables: dict[int, Any] = {}  # lookup arrays built once per evaluation


class VectorCompiler:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.types = rule.types

    def type_of(self, node: Node) -> Type:
        return self.types[node]

    def compile(self, node: Node) -> Compiled:
        match node:
            case Number(value=value) | Boolean(value=value):
                return lambda frame: value
            case String():
                raise AssertionError("texts are compiled in the context that gives them a code")
            case Name(name=name):
                if name in self.rule.parameters:
                    return lambda frame: frame.parameters[name]
                return lambda frame: frame.values[name]
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
            code = target.values.index(node.value)
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
                index = np.searchsorted(thresholds, key(frame), side="right") - 1
                return values[np.maximum(index, 0)]

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
