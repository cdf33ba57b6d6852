"""Evaluating one case: expressions compiled to Python closures (no eval), run over a dict of values.

Enum values are their texts here. Semantics match vector.py exactly (see arith.py); a hypothesis test
holds the two to it.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable
from typing import Any

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
from app.eligibility.loader import lookup_label
from app.eligibility.model import Brackets, Rule

Env = dict[str, Any]
Compiled = Callable[[Env], Any]

COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _round(x: Any) -> Any:
    return arith.round_half_away(x, math.floor)


FUNCTIONS_1: dict[str, Callable[[Any], Any]] = {
    "floor": math.floor,
    "ceil": math.ceil,
    "abs": abs,
    "year": dates.year,
    "month": dates.month,
}
FUNCTIONS_2: dict[str, Callable[[Any, Any], Any]] = {
    "age": dates.age,
    "months_between": dates.months_between,
    "days_between": lambda a, b: b - a,
    "add_days": lambda a, n: a + n,
}


class ScalarCompiler:
    def __init__(self, rule_currency: str) -> None:
        self.currency = rule_currency

    def compile(self, node: Node) -> Compiled:
        match node:
            case Number(value=value) | String(value=value) | Boolean(value=value):
                return lambda env: value
            case Name(name=name):
                return operator.itemgetter(name)
            case Lookup():
                return self._lookup(node)
            case Negate(operand=operand):
                f = self.compile(operand)
                return lambda env: -f(env)
            case Not(operand=operand):
                f = self.compile(operand)
                return lambda env: not f(env)
            case Logical(op=op, operands=operands):
                return _logical(op, [self.compile(o) for o in operands])
            case Arithmetic(op=op, left=left, right=right):
                return self._arithmetic(op, self.compile(left), self.compile(right))
            case Compare(op=op, left=left, right=right):
                return _compare(op, self.compile(left), self.compile(right))
            case Membership():
                return self._membership(node)
            case Conditional(condition=c, then=t, otherwise=o):
                fc, ft, fo = self.compile(c), self.compile(t), self.compile(o)
                return lambda env: ft(env) if fc(env) else fo(env)
            case Call():
                return self._call(node)
        raise AssertionError(node)

    def _arithmetic(self, op: str, a: Compiled, b: Compiled) -> Compiled:
        if op == "+":
            return lambda env: a(env) + b(env)
        if op == "-":
            return lambda env: a(env) - b(env)
        if op == "*":
            return lambda env: a(env) * b(env)
        return lambda env: arith.divide_scalar(a(env), b(env))

    def _membership(self, node: Membership) -> Compiled:
        f = self.compile(node.operand)
        if all(isinstance(i, (Number, String, Boolean)) for i in node.items):
            items = frozenset(i.value for i in node.items)  # type: ignore[attr-defined]
            if node.negated:
                return lambda env: f(env) not in items
            return lambda env: f(env) in items
        fs = [self.compile(i) for i in node.items]
        negated = node.negated

        def member(env: Env) -> bool:
            x = f(env)
            return any(x == g(env) for g in fs) != negated

        return member

    def _lookup(self, node: Lookup) -> Compiled:
        # Each lookup leaves its result in the environment under its label, so the explanation shows
        # the value looked up without looking it up again.
        name, label = node.name, lookup_label(node)
        keys = [self.compile(k) for k in node.keys]
        if len(keys) == 1:
            key = keys[0]

            def lookup_one(env: Env) -> Any:
                table = env[name]
                if isinstance(table, Brackets):
                    value = table.lookup(key(env))
                else:
                    value = _table_get(table, key(env), env[_default_key(name)])
                env[label] = value
                return value

            return lookup_one

        def lookup_many(env: Env) -> Any:
            value = env[name]
            for key in keys:
                value = _table_get(value, key(env), env[_default_key(name)])
            env[label] = value
            return value

        return lookup_many

    def _call(self, node: Call) -> Compiled:
        name, args = node.function, node.args
        if name == "date":
            day = dates.day_number(dt.date.fromisoformat(args[0].value))  # type: ignore[attr-defined]
            return lambda env: day
        if name == "money":
            minor = to_minor(args[0].value, self.currency)  # type: ignore[attr-defined]
            return lambda env: minor
        fs = [self.compile(a) for a in args]
        if name in ("min", "max"):
            pick = min if name == "min" else max
            if len(fs) == 2:  # the common case, without a generator per call
                a, b = fs
                return lambda env: pick(a(env), b(env))
            return lambda env: pick(f(env) for f in fs)
        if name == "round":
            if len(fs) == 2:
                digits = args[1].value  # type: ignore[attr-defined]
                x = fs[0]
                return lambda env: arith.round_to(x(env), digits, math.floor)
            x = fs[0]
            return lambda env: _round(x(env))
        if name in FUNCTIONS_1:
            fn, x = FUNCTIONS_1[name], fs[0]
            if name == "ceil":
                return lambda env: arith.ceil_from_floor(x(env), math.floor)
            return lambda env: fn(x(env))
        fn2, a, b = FUNCTIONS_2[name], fs[0], fs[1]
        return lambda env: fn2(a(env), b(env))


def _logical(op: str, fs: list[Compiled]) -> Compiled:
    # Two operands are the common case: a direct closure avoids building a generator per call.
    if len(fs) == 2:
        a, b = fs
        if op == "and":
            return lambda env: a(env) and b(env)
        return lambda env: a(env) or b(env)
    if op == "and":
        return lambda env: all(f(env) for f in fs)
    return lambda env: any(f(env) for f in fs)


def _compare(op: str, a: Compiled, b: Compiled) -> Compiled:
    if op == "<":
        return lambda env: a(env) < b(env)
    if op == "<=":
        return lambda env: a(env) <= b(env)
    if op == ">":
        return lambda env: a(env) > b(env)
    if op == ">=":
        return lambda env: a(env) >= b(env)
    if op == "==":
        return lambda env: a(env) == b(env)
    compare = COMPARE[op]
    return lambda env: compare(a(env), b(env))


def _default_key(name: str) -> str:
    return f"{name}.default"


def _table_get(table: Any, key: Any, default: Any) -> Any:
    value = table.get(key)
    return default if value is None else value


def parameter_env(rule: Rule, resolved: dict[str, Any]) -> Env:
    """Parameter values for the environment, with each table's default under '<name>.default'."""
    env = dict(resolved)
    for name, parameter in rule.parameters.items():
        if parameter.shape.value == "table":
            env[_default_key(name)] = parameter.default
    return env
