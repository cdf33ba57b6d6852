"""The expression language of rule files: tokenizer and parser into a small, immutable syntax tree.

Never Python `eval`. The grammar, loosest binding first:

    expr        := 'if' expr 'then' expr 'else' expr | or
    or          := and ('or' and)*
    and         := not ('and' not)*
    not         := 'not' not | comparison
    comparison  := sum [('=='|'!='|'<'|'<='|'>'|'>=') sum | ['not'] 'in' list]
    sum         := product (('+'|'-') product)*
    product     := unary (('*'|'/') unary)*
    unary       := '-' unary | postfix
    postfix     := primary ['[' expr (',' expr)* ']']
    primary     := number ['%'] | string | 'true' | 'false' | name | name '(' args ')'
                 | aggregate | rank | '(' expr ')' | expr-if
    list        := '[' expr (',' expr)* ']' | name        (a list-valued parameter)

Over the members of a household, and over a range or a list (`where`, `by`, `descending` are words only
here, not reserved):

    aggregate   := ('sum'|'count'|'any'|'all'|'min'|'max') '(' source ['where' expr] [':' expr] ')'
    source      := name 'in' (sum '..' sum | list)     a variable bound to each item, in order
                 | name                                 a set of members: members, a role's set, or a
                                                        true/false value of each member
    rank        := 'rank' '(' name ['where' expr] 'by' expr ['descending'] ')'

`min(a, b)` and `max(a, b)` keep their meaning: they become aggregates only when the first argument is
followed by ':' or 'where', or is `name in`.

Every node keeps the offset where it starts, so errors point at a line and column of the rule file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KEYWORDS = {"if", "then", "else", "and", "or", "not", "in", "true", "false"}
COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d[\d_]*(?:\.\d+)?)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|\.\.|[-+*/<>()\[\],%:])
    """,
    re.VERBOSE,
)


class ExpressionError(Exception):
    """A syntax error at an offset of the expression text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, keyword, op, end
    text: str
    offset: int


# The syntax tree. `eq=False` keeps identity hashing, so a node can key the type table.
@dataclass(frozen=True, eq=False)
class Node:
    offset: int


@dataclass(frozen=True, eq=False)
class Number(Node):
    value: int | float
    is_integer: bool


@dataclass(frozen=True, eq=False)
class String(Node):
    value: str


@dataclass(frozen=True, eq=False)
class Boolean(Node):
    value: bool


@dataclass(frozen=True, eq=False)
class Name(Node):
    name: str


@dataclass(frozen=True, eq=False)
class Call(Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Lookup(Node):
    """`table[key, …]`: a parameter table by category key, or a bracket table by amount."""

    name: str
    keys: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False)
class Arithmetic(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False)
class Logical(Node):
    op: str  # and / or
    operands: tuple[Node, ...]


@dataclass(frozen=True, eq=False)
class Membership(Node):
    operand: Node
    items: tuple[Node, ...]  # empty when the list is a parameter
    negated: bool = False
    parameter: str | None = None  # `x in counted_sources`: a list-valued parameter


@dataclass(frozen=True, eq=False)
class Conditional(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, eq=False)
class Range(Node):
    """`low..high`: the whole numbers from low to high, both included."""

    low: Node
    high: Node


@dataclass(frozen=True, eq=False)
class Aggregate(Node):
    """sum, count, any, all, min or max over the members of a set, or over the items of a range or list.

    Over members: `members` names the set (members, a role's set or a true/false member value) and
    `where` and `body` are evaluated for each member. Over items: `variable` is bound to each item of
    `items` (a Range, a tuple of literal nodes, or the Name of a list parameter) in turn."""

    function: str
    text: str  # the aggregate as written, labels it in explanations
    members: str | None
    variable: str | None
    items: Node | tuple[Node, ...] | None
    where: Node | None
    body: Node | None


@dataclass(frozen=True, eq=False)
class Rank(Node):
    """A member's place (1, 2, …) in a set of its household ordered by a key; 0 outside the set."""

    text: str
    members: str
    where: Node | None
    key: Node
    descending: bool


AGGREGATES = ("sum", "count", "any", "all", "min", "max")


@dataclass
class _Parser:
    text: str
    tokens: list[Token] = field(default_factory=list)
    index: int = 0

    def __post_init__(self) -> None:
        self.tokens = tokenize(self.text)

    # -- token helpers
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def accept(self, *texts: str) -> Token | None:
        token = self.current
        if token.kind in ("op", "keyword") and token.text in texts:
            self.index += 1
            return token
        return None

    def expect(self, text: str, context: str) -> Token:
        token = self.accept(text)
        if token is None:
            found = self.current.text or "the end of the expression"
            raise ExpressionError(f"expected '{text}' {context}, found {found!r}", self.current.offset)
        return token

    # -- grammar
    def parse(self) -> Node:
        if self.current.kind == "end":
            raise ExpressionError("the expression is empty", 0)
        node = self.expression()
        if self.current.kind != "end":
            raise ExpressionError(f"unexpected {self.current.text!r}", self.current.offset)
        return node

    def expression(self) -> Node:
        start = self.accept("if")
        if start is None:
            return self.disjunction()
        condition = self.expression()
        self.expect("then", "after the condition of 'if'")
        then = self.expression()
        self.expect("else", "after 'then …' (every 'if' needs an 'else')")
        otherwise = self.expression()
        return Conditional(start.offset, condition, then, otherwise)

    def disjunction(self) -> Node:
        return self._logical("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._logical("and", self.negation)

    def _logical(self, op: str, operand) -> Node:
        first = operand()
        operands = [first]
        while self.accept(op):
            operands.append(operand())
        return first if len(operands) == 1 else Logical(first.offset, op, tuple(operands))

    def negation(self) -> Node:
        token = self.accept("not")
        if token is not None:
            return Not(token.offset, self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.current
        if token.kind == "op" and token.text in COMPARISONS:
            self.index += 1
            node: Node = Compare(left.offset, token.text, left, self.sum())
        elif self.accept("in"):
            node = self._membership(left, negated=False)
        elif token.kind == "keyword" and token.text == "not" and self._peek_text() == "in":
            self.index += 2
            node = self._membership(left, negated=True)
        else:
            return left
        after = self.current
        if (after.kind == "op" and after.text in COMPARISONS) or after.text == "in":
            raise ExpressionError("comparisons cannot be chained; join them with 'and'", after.offset)
        return node

    def _membership(self, left: Node, negated: bool) -> Membership:
        token = self.current
        if token.kind == "name":
            self.index += 1
            return Membership(left.offset, left, (), negated, token.text)
        return Membership(left.offset, left, self.items(), negated)

    def _peek_text(self) -> str:
        return self.tokens[self.index + 1].text if self.index + 1 < len(self.tokens) else ""

    def items(self) -> tuple[Node, ...]:
        self.expect("[", "to start the list after 'in'")
        items = [self.expression()]
        while self.accept(","):
            items.append(self.expression())
        self.expect("]", "to close the list")
        return tuple(items)

    def sum(self) -> Node:
        node = self.product()
        while (token := self.accept("+", "-")) is not None:
            node = Arithmetic(node.offset, token.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while (token := self.accept("*", "/")) is not None:
            node = Arithmetic(node.offset, token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.accept("-")
        if token is not None:
            return Negate(token.offset, self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.primary()
        if self.current.text == "[" and self.current.kind == "op":
            if not isinstance(node, Name):
                raise ExpressionError("only a parameter table can be indexed with [...]", self.current.offset)
            self.index += 1
            keys = [self.expression()]
            while self.accept(","):
                keys.append(self.expression())
            self.expect("]", "to close the table lookup")
            return Lookup(node.offset, node.name, tuple(keys))
        return node

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.index += 1
            return self._number(token)
        if token.kind == "string":
            self.index += 1
            return String(token.offset, token.text[1:-1])
        if token.kind == "keyword" and token.text in ("true", "false"):
            self.index += 1
            return Boolean(token.offset, token.text == "true")
        if token.kind == "keyword" and token.text == "if":
            return self.expression()
        if token.kind == "name":
            self.index += 1
            if self.accept("("):
                if token.text == "rank":
                    return self._rank(token)
                if token.text in AGGREGATES and self._starts_aggregate(token.text):
                    return self._aggregate(token)
                return Call(token.offset, token.text, self._arguments())
            return Name(token.offset, token.text)
        if self.accept("("):
            node = self.expression()
            self.expect(")", "to close '('")
            return node
        found = token.text or "the end of the expression"
        raise ExpressionError(f"expected a value, found {found!r}", token.offset)

    def _arguments(self) -> tuple[Node, ...]:
        if self.accept(")"):
            return ()
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")", "to close the function call")
        return tuple(args)

    # -- aggregates
    def _starts_aggregate(self, function: str) -> bool:
        """After `fn(`: is this an aggregate (a set or an iteration) rather than a call of min/max?"""
        if function not in ("min", "max"):
            return True
        first, second = self.current, self._peek()
        if first.kind != "name":
            return False
        if second.kind == "keyword" and second.text == "in":
            return True
        return (second.kind == "op" and second.text == ":") or (
            second.kind == "name" and second.text == "where"
        )

    def _peek(self) -> Token:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def _word(self, word: str) -> bool:
        token = self.current
        if token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    def _aggregate(self, start: Token) -> Aggregate:
        function = start.text
        name = self.current
        if name.kind != "name":
            raise ExpressionError(
                f"{function}(…) starts with a set of members (members, children …) or 'name in …'",
                name.offset,
            )
        self.index += 1
        variable = members = None
        items: Node | tuple[Node, ...] | None = None
        if self.accept("in"):
            variable, items = name.text, self._iteration_items()
        else:
            members = name.text
        where = self.expression() if self._word("where") else None
        body = self.expression() if self.accept(":") else None
        end = self.expect(")", f"to close {function}(…)")
        text = self.text[start.offset : end.offset + 1]
        return Aggregate(start.offset, function, text, members, variable, items, where, body)

    def _iteration_items(self) -> Node | tuple[Node, ...]:
        if self.current.kind == "op" and self.current.text == "[":
            self.index += 1
            items = [self.expression()]
            while self.accept(","):
                items.append(self.expression())
            self.expect("]", "to close the list")
            return tuple(items)
        low = self.sum()
        if self.accept(".."):
            return Range(low.offset, low, self.sum())
        if isinstance(low, Name):
            return low  # a list-valued parameter
        raise ExpressionError(
            "after 'in' comes a range (1..12), a list [1, 6, 12] or a list parameter", low.offset
        )

    def _rank(self, start: Token) -> Rank:
        name = self.current
        if name.kind != "name":
            raise ExpressionError("rank(…) starts with a set of members (children, parents …)", name.offset)
        self.index += 1
        where = self.expression() if self._word("where") else None
        if not self._word("by"):
            raise ExpressionError(
                "rank(set by key): say what orders the members, e.g. 'by birth_date'", self.current.offset
            )
        key = self.expression()
        descending = self._word("descending")
        end = self.expect(")", "to close rank(…)")
        return Rank(start.offset, self.text[start.offset : end.offset + 1], name.text, where, key, descending)

    def _number(self, token: Token) -> Number:
        text = token.text.replace("_", "")
        percent = self.accept("%") is not None
        if percent:
            # 12.5% is the number 0.125, computed exactly from the decimal text.
            value = float(_decimal_div_100(text))
            return Number(token.offset, value, False)
        if "." in text:
            return Number(token.offset, float(text), False)
        return Number(token.offset, int(text), True)


def _decimal_div_100(text: str):
    from decimal import Decimal

    return Decimal(text) / 100


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"unexpected character {text[position]!r}", position)
        kind = match.lastgroup or ""
        if kind != "space":
            value = match.group()
            if kind == "name" and value in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def parse(text: str) -> Node:
    """Parse one expression; raises ExpressionError with the offset of the problem."""
    return _Parser(text).parse()


def walk(node: Node):
    """Every node of a tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Call(args=args):
            return args
        case Lookup(keys=keys):
            return keys
        case Negate(operand=x) | Not(operand=x):
            return (x,)
        case Arithmetic(left=a, right=b) | Compare(left=a, right=b):
            return (a, b)
        case Logical(operands=operands):
            return operands
        case Membership(operand=x, items=items):
            return (x, *items)
        case Conditional(condition=c, then=a, otherwise=b):
            return (c, a, b)
        case Range(low=a, high=b):
            return (a, b)
        case Aggregate(items=items, where=where, body=body):
            found = items if isinstance(items, tuple) else (items,)
            return tuple(n for n in (*found, where, body) if n is not None)
        case Rank(where=where, key=key):
            return tuple(n for n in (where, key) if n is not None)
    return ()


def names(node: Node) -> list[tuple[str, int]]:
    """Names a tree refers to (variables, tables and sets of members), with their offsets, in order of
    appearance. A variable an aggregate binds is not a reference."""
    found: list[tuple[str, int]] = []
    _names(node, frozenset(), found)
    return found


def _names(node: Node, bound: frozenset[str], found: list[tuple[str, int]]) -> None:
    if isinstance(node, (Name, Lookup)) and node.name not in bound:
        found.append((node.name, node.offset))
    if isinstance(node, Membership) and node.parameter is not None:
        found.append((node.parameter, node.offset))
    if isinstance(node, (Aggregate, Rank)) and node.members is not None:
        found.append((node.members, node.offset))
    if isinstance(node, Aggregate) and node.variable is not None:
        items = node.items if isinstance(node.items, tuple) else (node.items,)
        for item in items:
            if item is not None:
                _names(item, bound, found)
        inner = bound | {node.variable}
        for sub in (node.where, node.body):
            if sub is not None:
                _names(sub, inner, found)
        return
    for child in children(node):
        _names(child, bound, found)
