"""Type checking of expressions when a rule file loads: every name resolved, every operation given
operands it can take, every category text one that exists. Problems are collected, not raised, each with
the offset where it starts and, where a close name exists, a suggestion."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

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
    walk,
)
from app.eligibility.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    MONEY,
    NUMBER,
    Kind,
    Parameter,
    Shape,
    Type,
)

FUNCTIONS = {
    "min": "min(a, b, …): the smallest",
    "max": "max(a, b, …): the largest",
    "round": "round(x): whole number (money: to the cent), half away from zero; round(x, n): n decimals",
    "floor": "floor(x): round down",
    "ceil": "ceil(x): round up",
    "abs": "abs(x)",
    "age": "age(birth_date, at_date): completed years",
    "months_between": "months_between(start, end): completed calendar months",
    "days_between": "days_between(start, end): end minus start, in days",
    "add_days": "add_days(date, n)",
    "year": "year(date)",
    "month": "month(date)",
    "date": 'date("2026-01-31"): a date',
    "money": 'money("12.50"): an amount in the rule\'s currency',
    "period_start": 'period_start(date, "year"), period_start(date, "year", 4) (a fiscal year from April), '
    'period_start(date, "month"): the first day of the period the date is in',
}
AGGREGATE_HELP = {
    "sum": "sum(children: weekly_amount), sum(m in 1..12: …)",
    "count": "count(children where age < age_limit)",
    "any": "any(children: has_disability) or any(children where has_disability)",
    "all": "all(parents: in_work)",
    "min": "min(parents: weekly_hours)",
    "max": "max(adults: monthly_income)",
}
PERIODS = ("year", "month")


@dataclass
class Problem:
    offset: int
    message: str
    hint: str = ""


def suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def literal_enum(node: String) -> Type:
    return Type(Kind.ENUM, (node.value,))


def is_literal_text(node: Node) -> bool:
    return isinstance(node, String)


def is_zero(node: Node) -> bool:
    return isinstance(node, Number) and node.value == 0


@dataclass
class Checker:
    """Types one expression. `lookup_name` gives the type of a variable (input, value, scalar parameter).

    In a rule about households it also tells which nodes differ from member to member (`member_nodes`):
    a member's input or value, and anything computed from one outside an aggregate over members."""

    lookup_name: Callable[[str], Type | None]
    parameters: dict[str, Parameter]
    known_names: Callable[[], list[str]]
    types: dict[Node, Type] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    member_names: frozenset[str] = frozenset()  # each member has its own value of these
    sets: dict[str, str | None] = field(default_factory=dict)  # set of members → its role (None: all)
    member_nodes: set[Node] = field(default_factory=set)
    bound: dict[str, Type] = field(default_factory=dict)  # variables of the aggregates being checked

    def check(self, node: Node) -> Type | None:
        result = self._check(node)
        if result is not None:
            self.types[node] = result
        if self._differs_by_member(node):
            self.member_nodes.add(node)
        return result

    def _differs_by_member(self, node: Node) -> bool:
        if isinstance(node, Name):
            return node.name in self.member_names and node.name not in self.bound
        if isinstance(node, Rank):
            return True
        if isinstance(node, Aggregate) and node.members is not None:
            return False  # one value for the household
        return any(child in self.member_nodes for child in _children(node))

    def require_group(self, node: Node, where: str) -> None:
        """A household's value, condition or output may use members' values only inside aggregates."""
        for sub in _outside_member_aggregates(node):
            if isinstance(sub, Name) and sub in self.member_nodes:
                self.fail(
                    sub,
                    f"'{sub.name}' is each member's own: {where} uses it inside an aggregate over members",
                    f"e.g. sum(members: {sub.name}) or count(children where …)",
                )
                return

    def fail(self, node: Node, message: str, hint: str = "") -> None:
        self.problems.append(Problem(node.offset, message, hint))

    def _check(self, node: Node) -> Type | None:
        match node:
            case Number(is_integer=is_integer):
                return INTEGER if is_integer else NUMBER
            case String():
                return literal_enum(node)
            case Boolean():
                return BOOLEAN
            case Name():
                return self._name(node)
            case Call():
                return self._call(node)
            case Lookup():
                return self._lookup(node)
            case Negate(operand=operand):
                kind = self.check(operand)
                if kind is not None and not (kind.numeric or kind.kind is Kind.MONEY):
                    self.fail(node, f"cannot negate a {kind}")
                return kind
            case Not(operand=operand):
                self._expect_boolean(operand, "'not'")
                return BOOLEAN
            case Logical(op=op, operands=operands):
                for operand in operands:
                    self._expect_boolean(operand, f"'{op}'")
                return BOOLEAN
            case Arithmetic():
                return self._arithmetic(node)
            case Compare():
                return self._compare(node)
            case Membership():
                return self._membership(node)
            case Conditional():
                return self._conditional(node)
            case Aggregate():
                return self._aggregate(node)
            case Rank():
                return self._rank(node)
            case Range():
                self.fail(node, "a range (1..12) is only used after 'in' in sum, count, min, max, any or all")
                return None
        raise AssertionError(f"unknown node {node!r}")

    def _expect_boolean(self, node: Node, where: str) -> None:
        kind = self.check(node)
        if kind is not None and kind.kind is not Kind.BOOLEAN:
            self.fail(node, f"{where} needs true/false, this is a {kind}")

    def _name(self, node: Name) -> Type | None:
        if node.name in self.bound:
            return self.bound[node.name]
        parameter = self.parameters.get(node.name)
        if parameter is not None and parameter.is_list:
            self.fail(
                node,
                f"'{node.name}' is a list: use it after 'in' (x in {node.name}, sum(v in {node.name}: …))",
            )
            return None
        if parameter is not None and parameter.shape is not Shape.SCALAR:
            how = "by category" if parameter.shape is Shape.TABLE else "by amount"
            self.fail(node, f"'{node.name}' is a table {how}: look up one value with {node.name}[…]")
            return None
        kind = self.lookup_name(node.name)
        if kind is None and node.name not in self.known_names():
            self.fail(node, f"unknown name '{node.name}'", suggest(node.name, self.known_names()))
        return kind

    # -- functions
    def _call(self, node: Call) -> Type | None:
        name, args = node.function, node.args
        if name not in FUNCTIONS:
            self.fail(
                node,
                f"unknown function '{name}'",
                suggest(name, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS),
            )
            return None
        if name in ("date", "money"):
            return self._literal_call(node)
        if name == "period_start":
            return self._period_start(node)
        types = [self.check(arg) for arg in args]
        if any(t is None for t in types):
            return None
        arity = {
            "age": 2,
            "months_between": 2,
            "days_between": 2,
            "add_days": 2,
            "year": 1,
            "month": 1,
            "floor": 1,
            "ceil": 1,
            "abs": 1,
        }
        if name in arity and len(args) != arity[name]:
            self.fail(node, f"{name} takes {arity[name]} argument(s): {FUNCTIONS[name]}")
            return None
        if name in ("min", "max"):
            return self._extremum(node, types)
        if name in ("round", "floor", "ceil", "abs"):
            return self._rounding(node, types)
        if name == "add_days":
            if types[0].kind is not Kind.DATE or types[1] != INTEGER:
                self.fail(node, "add_days needs a date and a whole number of days")
            return DATE
        if not all(t.kind is Kind.DATE for t in types):
            self.fail(node, f"{name} needs dates: {FUNCTIONS[name]}")
        return INTEGER

    def _literal_call(self, node: Call) -> Type | None:
        if len(node.args) != 1 or not isinstance(node.args[0], String):
            self.fail(node, f"{node.function} takes one quoted text: {FUNCTIONS[node.function]}")
            return None
        text = node.args[0].value
        if node.function == "date":
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                self.fail(node.args[0], f"{text!r} is not a date like 2026-01-31")
            return DATE
        from decimal import Decimal, InvalidOperation

        try:
            Decimal(text)
        except InvalidOperation:
            self.fail(node.args[0], f"{text!r} is not an amount like 12.50")
        return MONEY

    def _period_start(self, node: Call) -> Type | None:
        args = node.args
        if len(args) not in (2, 3) or not isinstance(args[1], String) or args[1].value not in PERIODS:
            self.fail(node, f'period_start takes a date and "year" or "month": {FUNCTIONS["period_start"]}')
            return None
        kind = self.check(args[0])
        if kind is not None and kind.kind is not Kind.DATE:
            self.fail(args[0], f"period_start needs a date, this is a {kind}")
        if len(args) == 3:
            start = args[2]
            if args[1].value != "year" or not (
                isinstance(start, Number) and start.is_integer and 1 <= start.value <= 12
            ):
                self.fail(start, "the third argument is the month a year starts in: a whole number 1 to 12")
        return DATE

    # -- aggregates over members, ranges and lists
    def _aggregate(self, node: Aggregate) -> Type | None:
        if node.variable is not None:
            element = self._items(node)
            if element is None:
                return None
            if node.variable in self.known_names() or node.variable in self.bound:
                self.fail(node, f"'{node.variable}' is already a name; call the variable something else")
                return None
            self.bound[node.variable] = element
            try:
                return self._aggregate_body(node)
            finally:
                del self.bound[node.variable]
        if not self._member_set(node, node.members or ""):
            if node.where is not None:
                self.check(node.where)
            return None
        return self._aggregate_body(node)

    def _member_set(self, node: Node, name: str) -> bool:
        """`name` is a set of members: members, a role's set, or a true/false value of each member."""
        if not self.sets:
            self.fail(node, "this rule decides one case, not a household: it has no members to go over")
            return False
        if name in self.sets:
            return True
        if name in self.member_names and self.lookup_name(name) == BOOLEAN:
            return True
        candidates = [*self.sets, *(n for n in self.member_names if self.lookup_name(n) == BOOLEAN)]
        self.fail(
            node,
            f"'{name}' is not a set of members",
            suggest(name, candidates) or "sets: " + ", ".join(self.sets),
        )
        return False

    def _items(self, node: Aggregate) -> Type | None:
        items = node.items
        if isinstance(items, Range):
            for bound in (items.low, items.high):
                kind = self.check(bound)
                if kind is not None and kind != INTEGER:
                    self.fail(bound, f"a range goes over whole numbers, this is a {kind}")
                    return None
                fixed = {name for name, _ in _names(bound)}
                varying = [n for n in fixed if n not in self.parameters]
                if varying:
                    self.fail(bound, f"a range's ends are numbers or parameters, not '{varying[0]}'")
                    return None
            self.types[items] = INTEGER
            return INTEGER
        if isinstance(items, tuple):
            types = [self.check(item) for item in items]
            if any(t is None for t in types):
                return None
            for item in items:
                if not isinstance(item, (Number, String)):
                    self.fail(item, 'the items of the list are written out: [1, 6, 12] or ["a", "b"]')
                    return None
            return self._common(node, list(items), types, "the items of the list")  # type: ignore[arg-type]
        assert isinstance(items, Name)
        parameter = self.parameters.get(items.name)
        if parameter is None or not parameter.is_list:
            lists = [p.name for p in self.parameters.values() if p.is_list]
            self.fail(items, f"'{items.name}' is not a list parameter", suggest(items.name, lists))
            return None
        return parameter.type

    def _aggregate_body(self, node: Aggregate) -> Type | None:
        function = node.function
        if node.where is not None:
            self._expect_boolean(node.where, "'where'")
        if function == "count":
            if node.body is not None:
                self.fail(node.body, f"count takes no ':' part: {AGGREGATE_HELP['count']}")
            return INTEGER
        if node.body is None:
            if function == "any" and node.where is not None:
                return BOOLEAN
            self.fail(node, f"{function} needs ':' and what to take of each: {AGGREGATE_HELP[function]}")
            return None
        kind = self.check(node.body)
        if kind is None:
            return None
        if function in ("any", "all"):
            if kind.kind is not Kind.BOOLEAN:
                self.fail(node.body, f"{function} needs true/false after ':', this is a {kind}")
            return BOOLEAN
        allowed = kind.numeric or kind.kind is Kind.MONEY or (function != "sum" and kind.kind is Kind.DATE)
        if not allowed:
            hint = "count(… where …) counts what is true" if kind.kind is Kind.BOOLEAN else ""
            self.fail(node.body, f"cannot take the {function} of {kind} values", hint)
            return None
        return kind

    def _rank(self, node: Rank) -> Type | None:
        if not self._member_set(node, node.members):
            return None
        if node.where is not None:
            self._expect_boolean(node.where, "'where'")
        kind = self.check(node.key)
        if kind is not None and not (kind.numeric or kind.kind in (Kind.MONEY, Kind.DATE)):
            self.fail(node.key, f"members are ranked by a number, an amount or a date, not a {kind}")
        return INTEGER

    def _extremum(self, node: Call, types: list[Type]) -> Type | None:
        if len(types) < 2:
            self.fail(node, f"{node.function} needs at least two values")
            return None
        return self._common(node, list(node.args), types, f"{node.function}(…)")

    def _rounding(self, node: Call, types: list[Type]) -> Type | None:
        name = node.function
        if name == "round" and len(types) == 2:
            if not (isinstance(node.args[1], Number) and node.args[1].is_integer):
                self.fail(node.args[1], "round(x, n) needs a whole number n of decimals")
            if not types[0].numeric:
                self.fail(node, "round(x, n) rounds numbers; round(amount) rounds money to the cent")
            return NUMBER
        if len(types) != 1:
            self.fail(node, f"{name} takes one value: {FUNCTIONS[name]}")
            return None
        kind = types[0]
        if kind.kind is Kind.MONEY:
            return MONEY
        if not kind.numeric:
            self.fail(node, f"{name} needs a number or an amount, this is a {kind}")
            return None
        if name == "abs":
            return kind
        return INTEGER

    # -- tables
    def _lookup(self, node: Lookup) -> Type | None:
        parameter = self.parameters.get(node.name)
        if parameter is None or parameter.shape is Shape.SCALAR:
            what = "unknown table" if parameter is None else "not a table"
            tables = [p.name for p in self.parameters.values() if p.shape is not Shape.SCALAR]
            self.fail(node, f"{what} '{node.name}'", suggest(node.name, tables))
            for key in node.keys:
                self.check(key)
            return None
        if parameter.shape is Shape.BRACKETS:
            self._bracket_key(node, parameter)
        else:
            self._table_keys(node, parameter)
        return parameter.type

    def _bracket_key(self, node: Lookup, parameter: Parameter) -> None:
        if len(node.keys) != 1:
            self.fail(node, f"'{parameter.name}' is a bracket table: look it up with one value")
            return
        kind = self.check(node.keys[0])
        over = parameter.over
        if kind is None or over is None:
            return
        if over.kind is Kind.MONEY and kind.kind is not Kind.MONEY:
            self.fail(node.keys[0], f"'{parameter.name}' has brackets of money, this is a {kind}")
        elif over.numeric and not kind.numeric:
            self.fail(node.keys[0], f"'{parameter.name}' has brackets of numbers, this is a {kind}")

    def _table_keys(self, node: Lookup, parameter: Parameter) -> None:
        if len(node.keys) != parameter.key_count:
            self.fail(
                node, f"'{parameter.name}' is keyed by {parameter.key_count} value(s), {len(node.keys)} given"
            )
            for key in node.keys:
                self.check(key)
            return
        for level, key in enumerate(node.keys):
            kind = self.check(key)
            if kind is None:
                continue
            if kind.kind is not Kind.ENUM:
                self.fail(key, f"'{parameter.name}' is keyed by categories (text), this is a {kind}")
                continue
            listed = table_keys(parameter, level)
            missing = [v for v in kind.values if v not in listed]
            if missing and parameter.default is None:
                hint = suggest(missing[0], listed)
                self.fail(key, f"'{parameter.name}' has no value for {', '.join(map(repr, missing))}", hint)

    # -- operators
    def _arithmetic(self, node: Arithmetic) -> Type | None:
        left, right = self.check(node.left), self.check(node.right)
        if left is None or right is None:
            return None
        op = node.op
        if left.numeric and right.numeric:
            return INTEGER if op != "/" and left == right == INTEGER else NUMBER
        money_left, money_right = left.kind is Kind.MONEY, right.kind is Kind.MONEY
        if op in "+-":
            if money_left and money_right:
                return MONEY
            if (money_left and is_zero(node.right)) or (money_right and is_zero(node.left)):
                return MONEY
            if left.kind is Kind.DATE and right == INTEGER:
                return DATE
            hint = "use days_between(a, b)" if left.kind is right.kind is Kind.DATE else ""
            if money_left or money_right:
                hint = 'write amounts as money("12.50") or as a parameter'
            self.fail(
                node,
                f"cannot add a {right} to a {left}"
                if op == "+"
                else f"cannot subtract a {right} from a {left}",
                hint,
            )
            return None
        if op == "*":
            if (money_left and right.numeric) or (money_right and left.numeric):
                return MONEY
        elif money_left and right.numeric:
            return MONEY
        elif money_left and money_right:
            return NUMBER
        self.fail(node, f"cannot {'multiply' if op == '*' else 'divide'} a {left} by a {right}")
        return None

    def _compare(self, node: Compare) -> Type:
        left, right = self.check(node.left), self.check(node.right)
        if left is None or right is None:
            return BOOLEAN
        if left.numeric and right.numeric:
            return BOOLEAN
        if left.kind is right.kind and left.kind in (Kind.MONEY, Kind.DATE):
            return BOOLEAN
        if (left.kind is Kind.MONEY and is_zero(node.right)) or (
            right.kind is Kind.MONEY and is_zero(node.left)
        ):
            return BOOLEAN
        if left.kind is right.kind and left.kind in (Kind.ENUM, Kind.BOOLEAN):
            if node.op not in ("==", "!="):
                self.fail(node, f"{left.kind.value} values can only be compared with == or !=")
            elif left.kind is Kind.ENUM:
                self._texts_compatible(node.left, left, node.right, right)
            return BOOLEAN
        hint = ""
        if Kind.MONEY in (left.kind, right.kind):
            hint = 'write amounts as money("12.50") or as a parameter'
        self.fail(node, f"cannot compare a {left} with a {right}", hint)
        return BOOLEAN

    def _texts_compatible(self, left_node: Node, left: Type, right_node: Node, right: Type) -> None:
        for literal, other in ((right_node, left), (left_node, right)):
            if isinstance(literal, String) and literal.value not in other.values:
                self.fail(
                    literal,
                    f"{literal.value!r} is not one of {', '.join(other.values)}",
                    suggest(literal.value, other.values),
                )
                return

    def _membership(self, node: Membership) -> Type:
        kind = self.check(node.operand)
        if node.parameter is not None:
            self._list_membership(node, kind)
            return BOOLEAN
        for item in node.items:
            item_type = self.check(item)
            if kind is None or item_type is None:
                continue
            if kind.kind is Kind.ENUM:
                if not isinstance(item, String):
                    self.fail(item, "the list after 'in' holds quoted texts here")
                elif item.value not in kind.values:
                    self.fail(
                        item,
                        f"{item.value!r} is not one of {', '.join(kind.values)}",
                        suggest(item.value, kind.values),
                    )
            elif not (
                (kind.numeric and item_type.numeric)
                or (kind.kind is item_type.kind and kind.kind in (Kind.MONEY, Kind.DATE))
            ):
                self.fail(item, f"a {item_type} cannot be in a list of {kind} values")
        return BOOLEAN

    def _list_membership(self, node: Membership, kind: Type | None) -> None:
        parameter = self.parameters.get(node.parameter or "")
        if parameter is None or not parameter.is_list:
            lists = [p.name for p in self.parameters.values() if p.is_list]
            self.fail(
                node, f"'{node.parameter}' is not a list parameter", suggest(str(node.parameter), lists)
            )
            return
        item = parameter.type
        if kind is None:
            return
        if kind.kind is Kind.ENUM and item.kind is Kind.ENUM:
            if not set(kind.values) & set(item.values):
                self.fail(node, f"no value of {kind} can be among the {item} values of '{parameter.name}'")
        elif not (
            (kind.numeric and item.numeric)
            or (kind.kind is item.kind and kind.kind in (Kind.MONEY, Kind.DATE))
        ):
            self.fail(node, f"a {kind} cannot be in '{parameter.name}', a list of {item} values")

    def _conditional(self, node: Conditional) -> Type | None:
        self._expect_boolean(node.condition, "'if'")
        then, otherwise = self.check(node.then), self.check(node.otherwise)
        if then is None or otherwise is None:
            return None
        return self._common(node, [node.then, node.otherwise], [then, otherwise], "both branches of 'if'")

    def _common(self, node: Node, nodes: list[Node], types: list[Type], where: str) -> Type | None:
        """The one type several values share: numbers widen, texts unite, a literal 0 joins money."""
        if all(t.numeric for t in types):
            return INTEGER if all(t == INTEGER for t in types) else NUMBER
        if any(t.kind is Kind.MONEY for t in types) and all(
            t.kind is Kind.MONEY or is_zero(n) for t, n in zip(types, nodes, strict=True)
        ):
            return MONEY
        kinds = {t.kind for t in types}
        if kinds == {Kind.ENUM}:
            values: list[str] = []
            for t in types:
                values.extend(v for v in t.values if v not in values)
            return Type(Kind.ENUM, tuple(values))
        if len(kinds) == 1 and kinds <= {Kind.DATE, Kind.BOOLEAN}:
            return types[0]
        self.fail(node, f"{where} must be of one type, not {' and '.join(str(t) for t in types)}")
        return None


def table_keys(parameter: Parameter, level: int) -> list[str]:
    """Keys present at one level of a table, across all its dated versions."""
    keys: list[str] = []
    for version in parameter.versions:
        layer = [version.value]
        for _ in range(level):
            layer = [child for table in layer for child in table.values()]
        for table in layer:
            keys.extend(k for k in table if k not in keys)
    return keys


def _children(node: Node) -> tuple[Node, ...]:
    from app.eligibility.expr import children

    return children(node)


def _names(node: Node):
    from app.eligibility.expr import names

    return names(node)


def _outside_member_aggregates(node: Node):
    """The nodes of a tree, without the insides of aggregates over members (which see each member)."""
    yield node
    if isinstance(node, Aggregate) and node.members is not None:
        return
    for child in _children(node):
        yield from _outside_member_aggregates(child)


def uses_members(node: Node) -> bool:
    return any(isinstance(n, (Aggregate, Rank)) and n.members is not None for n in walk(node))
