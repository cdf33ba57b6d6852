"""Evaluating one case: expressions compiled to Python closures (no eval), run over a dict of values.

Enum values are their texts here. Semantics match vector.py exactly (see arith.py); a hypothesis test
holds the two to it.

A household: the environment holds the household's values, its members (a list of dicts, one per
member, under MEMBERS) and the member being evaluated (under MEMBER). A member's own names read from
that member's dict; an aggregate goes over the members, making each in turn the current one.
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
from app.eligibility.loader import ROLE, lookup_label
from app.eligibility.model import MEMBER_SET, Brackets, Rule, Shape

Env = dict[str, Any]
Compiled = Callable[[Env], Any]

MEMBERS = "\0members"  # the household's members, in order: a list of dicts
MEMBER = "\0member"  # the member whose formula is being evaluated
TAKEN = "\0taken"  # aggregate label → ids of the members it took, for the explanation
ID = "id"

CONSTANT, NAME, COMPILED = "constant", "name", "compiled"  # how an operand is read (see _operand)

COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": arith.divide_scalar,
}


FUNCTIONS_1: dict[str, Callable[[Any], Any]] = {
    "floor": math.floor,
    "ceil": math.ceil,
    "abs": abs,
    "year": dates.year,
    "month": dates.month,
}
FUNCTIONS_2: dict[str, Callable[[Any, Any], Any]] = {
    "age": dates.age_scalar,
    "months_between": dates.months_between_scalar,
    "days_between": lambda a, b: b - a,
    "add_days": lambda a, n: a + n,
}


class ScalarCompiler:
    def __init__(self, rule_currency: str, rule: Rule | None = None) -> None:
        self.currency = rule_currency
        self.rule = rule
        self.member_nodes = rule.member_nodes if rule is not None else frozenset()
        self.sets = rule.members.sets if rule is not None and rule.members is not None else {}

    def compile(self, node: Node) -> Compiled:
        match node:
            case Number(value=value) | String(value=value) | Boolean(value=value):
                return lambda env: value
            case Name(name=name):
                if node in self.member_nodes:
                    return lambda env: env[MEMBER][name]
                return operator.itemgetter(name)
            case Aggregate():
                return self._aggregate(node)
            case Rank():
                return self._rank(node)
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
                return self._binary(ARITHMETIC[op], left, right)
            case Compare(op=op, left=left, right=right):
                return self._binary(COMPARE[op], left, right)
            case Membership():
                return self._membership(node)
            case Conditional():
                return self._conditional(node)
            case Call():
                return self._call(node)
        raise AssertionError(node)

    # -- operands read directly: a constant or a name of the case costs no closure call of its own
    def _operand(self, node: Node) -> tuple[str, Any]:
        """(CONSTANT, value), (NAME, key in the environment) or (COMPILED, closure)."""
        if isinstance(node, (Number, String, Boolean)):
            return CONSTANT, node.value
        if isinstance(node, Name) and node not in self.member_nodes:
            return NAME, node.name
        return COMPILED, self.compile(node)

    def _binary(self, fn: Callable[[Any, Any], Any], left: Node, right: Node) -> Compiled:
        """fn(left, right) with each operand read the cheapest way (fn: operator.lt, operator.add …,
        the same operation as the written one)."""
        (ka, a), (kb, b) = self._operand(left), self._operand(right)
        if ka is NAME and kb is CONSTANT:
            return lambda env: fn(env[a], b)
        if ka is NAME and kb is NAME:
            return lambda env: fn(env[a], env[b])
        if ka is CONSTANT and kb is NAME:
            return lambda env: fn(a, env[b])
        if ka is COMPILED and kb is CONSTANT:
            return lambda env: fn(a(env), b)
        if ka is COMPILED and kb is NAME:
            return lambda env: fn(a(env), env[b])
        if ka is NAME and kb is COMPILED:
            return lambda env: fn(env[a], b(env))
        fa, fb = _as_compiled(ka, a), _as_compiled(kb, b)
        return lambda env: fn(fa(env), fb(env))

    def _conditional(self, node: Conditional) -> Compiled:
        test = self.compile(node.condition)
        (kt, t), (ko, o) = self._operand(node.then), self._operand(node.otherwise)
        if kt is CONSTANT and ko is CONSTANT:  # e.g. if … then "under_3" else "preschool"
            return lambda env: t if test(env) else o
        if kt is CONSTANT and ko is COMPILED:
            return lambda env: t if test(env) else o(env)
        if kt is NAME and ko is NAME:
            return lambda env: env[t] if test(env) else env[o]
        ft, fo = _as_compiled(kt, t), _as_compiled(ko, o)
        return lambda env: ft(env) if test(env) else fo(env)

    def _membership(self, node: Membership) -> Compiled:
        f = self.compile(node.operand)
        if node.parameter is not None:
            listed, negated = node.parameter, node.negated
            return lambda env: (f(env) in env[listed]) != negated
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
        # A lookup whose keys differ by member leaves its result with the member.
        name, label, default = node.name, lookup_label(node), _default_key(node.name)
        keys = [self.compile(k) for k in node.keys]
        per_member = node in self.member_nodes
        brackets = self.rule is not None and self.rule.parameters[name].shape is Shape.BRACKETS
        if len(keys) == 1:
            key = keys[0]
            if brackets and not per_member:

                def lookup_bracket(env: Env) -> Any:
                    env[label] = value = env[name].lookup(key(env))
                    return value

                return lookup_bracket

            def lookup_one(env: Env) -> Any:
                table = env[name]
                if isinstance(table, Brackets):
                    value = table.lookup(key(env))
                else:
                    value = _table_get(table, key(env), env[default])
                (env[MEMBER] if per_member else env)[label] = value
                return value

            return lookup_one
        if len(keys) == 2 and not per_member:
            first, second = keys

            def lookup_two(env: Env) -> Any:
                fallback = env[default]
                value = _table_get(_table_get(env[name], first(env), fallback), second(env), fallback)
                env[label] = value
                return value

            return lookup_two

        def lookup_many(env: Env) -> Any:
            value = env[name]
            for key in keys:
                value = _table_get(value, key(env), env[default])
            (env[MEMBER] if per_member else env)[label] = value
            return value

        return lookup_many

    # -- aggregates
    def in_set(self, name: str) -> Callable[[dict], bool] | None:
        """Whether a member is in a set of members (None: every member is)."""
        if name == MEMBER_SET:
            return None
        role = self.sets.get(name)
        if role is not None:
            return lambda member: member[ROLE] == role
        return lambda member: member[name] is True

    def _aggregate(self, node: Aggregate) -> Compiled:
        if node.variable is not None:
            return self._iteration(node)
        in_set = self.in_set(node.members or MEMBER_SET)
        where = self.compile(node.where) if node.where is not None else None
        body = self.compile(node.body) if node.body is not None else None
        fold = _FOLDS[node.function]
        label = node.text

        def aggregate(env: Env) -> Any:
            saved = env.get(MEMBER)
            taken, values = [], []
            for member in env[MEMBERS]:
                if in_set is not None and not in_set(member):
                    continue
                env[MEMBER] = member
                if where is not None and not where(env):
                    continue
                taken.append(member[ID])
                if body is not None:
                    values.append(body(env))
            env[MEMBER] = saved
            env[TAKEN][label] = taken
            return fold(values, len(taken))

        return aggregate

    def _iteration(self, node: Aggregate) -> Compiled:
        variable, items = node.variable, node.items
        where = self.compile(node.where) if node.where is not None else None
        body = self.compile(node.body) if node.body is not None else None
        fold = _FOLDS[node.function]
        if isinstance(items, Range):
            low, high = self.compile(items.low), self.compile(items.high)

            def each(env: Env) -> Any:
                return range(low(env), high(env) + 1)
        elif isinstance(items, tuple):
            listed = tuple(i.value for i in items)  # type: ignore[attr-defined]

            def each(env: Env) -> Any:
                return listed
        else:
            parameter = items.name  # type: ignore[union-attr]

            def each(env: Env) -> Any:
                return env[parameter]

        def iterate(env: Env) -> Any:
            values, count = [], 0
            for item in each(env):
                env[variable] = item
                if where is not None and not where(env):
                    continue
                count += 1
                if body is not None:
                    values.append(body(env))
            env.pop(variable, None)
            return fold(values, count)

        return iterate

    def _rank(self, node: Rank) -> Compiled:
        in_set = self.in_set(node.members)
        where = self.compile(node.where) if node.where is not None else None
        key = self.compile(node.key)
        descending = node.descending

        def ranked(env: Env) -> list[tuple[Any, int, dict]]:
            chosen = []
            for position, member in enumerate(env[MEMBERS]):
                if in_set is not None and not in_set(member):
                    continue
                env[MEMBER] = member
                if where is not None and not where(env):
                    continue
                chosen.append((key(env), position, member))
            return chosen

        def rank(env: Env) -> int:
            me = env[MEMBER]
            chosen = ranked(env)
            env[MEMBER] = me
            mine = next((c for c in chosen if c[2] is me), None)
            if mine is None:
                return 0
            ahead = 0
            for value, position, _ in chosen:
                before = value > mine[0] if descending else value < mine[0]
                if before or (value == mine[0] and position < mine[1]):
                    ahead += 1
            return ahead + 1

        return rank

    def _call(self, node: Call) -> Compiled:
        name, args = node.function, node.args
        if name == "date":
            day = dates.day_number(dt.date.fromisoformat(args[0].value))  # type: ignore[attr-defined]
            return lambda env: day
        if name == "money":
            minor = to_minor(args[0].value, self.currency)  # type: ignore[attr-defined]
            return lambda env: minor
        if name == "period_start":
            day, period = self.compile(args[0]), args[1].value  # type: ignore[attr-defined]
            start = args[2].value if len(args) == 3 else 1  # type: ignore[attr-defined]
            return lambda env: dates.period_start(day(env), period, start)
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
            return lambda env: arith.round_half_away_scalar(x(env))
        if name in FUNCTIONS_1:
            fn, x = FUNCTIONS_1[name], fs[0]
            if name == "ceil":
                return lambda env: arith.ceil_from_floor(x(env), math.floor)
            return lambda env: fn(x(env))
        fn2, a, b = FUNCTIONS_2[name], fs[0], fs[1]
        return lambda env: fn2(a(env), b(env))


def _sum(values: list[Any], count: int) -> Any:
    total: Any = 0
    for value in values:  # in member (or item) order, as the caseload evaluator adds them
        total = total + value
    return total


def _least(values: list[Any], count: int) -> Any:
    if not values:
        return 0  # of nothing: 0, as division by zero is (documented)
    best = values[0]
    for value in values[1:]:
        if value < best:
            best = value
    return best


def _most(values: list[Any], count: int) -> Any:
    if not values:
        return 0
    best = values[0]
    for value in values[1:]:
        if value > best:
            best = value
    return best


_FOLDS: dict[str, Callable[[list[Any], int], Any]] = {
    "sum": _sum,
    "count": lambda values, count: count,
    "any": lambda values, count: any(v is True for v in values) if values else count > 0,
    "all": lambda values, count: all(v is True for v in values),
    "min": _least,
    "max": _most,
}


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


def _as_compiled(kind: str, operand: Any) -> Compiled:
    if kind is CONSTANT:
        return lambda env: operand
    if kind is NAME:
        return operator.itemgetter(operand)
    return operand


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
