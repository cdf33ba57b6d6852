"""Loading a rule file: YAML → checked, typed Rule, or every problem found, each with file, line and
column. A visible pipeline: parse YAML → read the sections → parse expressions → order named values
(cycles are errors) → type-check → read the test cases."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.core.errors import ErrorDetail, ValidationFailed
from app.core.money import check_currency, to_minor
from app.eligibility.dates import day_number
from app.eligibility.expr import Aggregate, ExpressionError, Lookup, Name, Node, Rank, String, parse
from app.eligibility.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    MEMBER_SET,
    MONEY,
    NUMBER,
    Brackets,
    Condition,
    InputSpec,
    Kind,
    Level,
    Members,
    NamedValue,
    Output,
    Parameter,
    ParameterVersion,
    Rule,
    Shape,
    TestCase,
    Type,
)
from app.eligibility.source import Document, RuleError, parse_document
from app.eligibility.typecheck import FUNCTIONS, Checker, suggest

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ELIGIBLE = "eligible"  # in a member's formulas: the member meets every member condition
ROLE = "role"  # each member's role
NO_BENEFICIARY = "no_beneficiary"  # failed by a household with member conditions and no beneficiary
RESERVED = (
    {"as_of", ELIGIBLE, "failed", ROLE, MEMBER_SET, "id", "where", "by", "descending"}
    | set(FUNCTIONS)
    | {"if", "then", "else", "and", "or", "not", "in", "true", "false"}
)
SECTIONS = (
    "id",
    "title",
    "description",
    "currency",
    "inputs",
    "parameters",
    "values",
    "members",
    "conditions",
    "outputs",
    "tests",
)
MEMBER_SECTIONS = ("description", "roles", "inputs", "values", "beneficiaries", "conditions", "outputs")
SIMPLE_TYPES = {"integer": INTEGER, "number": NUMBER, "money": MONEY, "boolean": BOOLEAN, "date": DATE}
PARAMETER_KEYS = (
    "type",
    "values",
    "choices",
    "list",
    "brackets",
    "default",
    "description",
    "unit",
    "reference",
    "changes",
    "as_at",
)
TEMPLATE_FIELD = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class RuleFileError(ValidationFailed):
    """A rule file that cannot be used; `errors` holds every problem, in file order."""

    def __init__(self, errors: list[RuleError]) -> None:
        errors = sorted(errors, key=lambda e: (e.file, e.line, e.column))
        first = errors[0]
        super().__init__(
            "invalid_rule_file",
            f"{len(errors)} problem(s) in {first.file}; first: {first}",
            first.file,
            details=[ErrorDetail("rule_error", str(e), f"{e.file}:{e.line}:{e.column}") for e in errors],
        )
        self.errors = errors


def load_rule_file(path: Path) -> Rule:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleFileError([RuleError(str(path), 1, 1, "the file is not UTF-8 text")]) from None
    return load_rule_text(text, str(path))


def load_rule_text(text: str, file: str = "<rule>") -> Rule:
    document, errors = parse_document(text, file)
    if document is None:
        raise RuleFileError(errors)
    builder = _Builder(document)
    rule = builder.build()
    if builder.errors or rule is None:
        raise RuleFileError(builder.errors)
    return rule


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Builder:
    def __init__(self, document: Document) -> None:
        self.doc = document
        self.errors: list[RuleError] = []
        self.currency = "EUR"
        self.inputs: dict[str, InputSpec] = {}
        self.parameters: dict[str, Parameter] = {}
        self.value_nodes: dict[str, tuple[Node, str, str]] = {}
        self.value_types: dict[str, Type | None] = {}
        self.types: dict[Node, Type] = {}
        self.value_paths: dict[str, tuple] = {}
        self.value_levels: dict[str, Level] = {}
        self.member_inputs: dict[str, InputSpec] = {}
        self.roles: tuple[str, ...] = ()
        self.sets: dict[str, str | None] = {}
        self.member_nodes: set[Node] = set()
        self.member_condition_nodes: list[tuple[int, Node]] = []

    def error(self, path: tuple, message: str, hint: str = "") -> None:
        self.errors.append(self.doc.error(path, message, hint))

    # -- pipeline
    def build(self) -> Rule | None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.error(
                (), "a rule file is a mapping with id, title, inputs, parameters, conditions, outputs, tests"
            )
            return None
        for key in data:
            if key not in SECTIONS:
                self.errors.append(
                    self.doc.key_error((key,), f"unknown section {key!r}", suggest(str(key), SECTIONS))
                )
        rule_id = self._identity(data)
        self.inputs = self._inputs(data.get("inputs"), ("inputs",), set())
        section = self._members_head(data.get("members"))
        self.parameters = self._parameters(data.get("parameters"))
        self._member_condition_nodes(section)
        order = self._values(data.get("values"), (section or {}).get("values"))
        values, at = [], 0
        for name in order:
            if name == ELIGIBLE:
                at = len([v for v in values if v is not None])
                continue
            values.append(self._check_value(name))
        members = self._members_tail(section) if section is not None else None
        conditions = self._conditions(data.get("conditions"), ("conditions",), Level.GROUP)
        outputs = self._outputs(data.get("outputs"), ("outputs",), Level.GROUP)
        tests = self._tests(data.get("tests"), conditions, outputs, members)
        if self.errors:
            return None
        return Rule(
            id=rule_id,
            title=str(data.get("title", rule_id)),
            description=str(data.get("description", "")).strip(),
            currency=self.currency,
            version=version_of(self.doc.text),
            file=self.doc.file,
            source=self.doc.text,
            inputs=self.inputs,
            parameters=self.parameters,
            values=tuple(v for v in values if v is not None),
            conditions=conditions,
            outputs=outputs,
            tests=tests,
            types=self.types,
            members=members,
            member_conditions_at=at,
            member_nodes=frozenset(self.member_nodes),
        )

    def _identity(self, data: dict) -> str:
        rule_id = data.get("id")
        if not isinstance(rule_id, str) or not NAME.match(rule_id):
            self.error(("id",), "id must be lower-case letters, digits and _ (like childcare_voucher)")
            rule_id = "invalid"
        if not isinstance(data.get("title"), str) or not data.get("title"):
            self.error(("title",), "title is required: one line saying what the programme is")
        currency = data.get("currency", "EUR")
        try:
            self.currency = check_currency(str(currency))
        except ValidationFailed as exc:
            self.error(("currency",), exc.message)
        required = ("conditions", "outputs") if "members" in data else ("inputs", "conditions", "outputs")
        for section in required:
            if section not in data:
                self.error((), f"the section '{section}' is missing")
        return rule_id

    def _name_ok(self, path: tuple, name: Any, taken: set[str]) -> bool:
        if not isinstance(name, str) or not NAME.match(name):
            self.errors.append(
                self.doc.key_error(path, f"{name!r} is not a valid name (lower-case letters, digits, _)")
            )
            return False
        if name in RESERVED:
            self.errors.append(self.doc.key_error(path, f"'{name}' is a reserved word; choose another name"))
            return False
        if name in taken:
            self.errors.append(self.doc.key_error(path, f"'{name}' is already defined"))
            return False
        return True

    def _names_taken(self) -> set[str]:
        return (
            set(self.inputs)
            | set(self.member_inputs)
            | set(self.sets)
            | set(self.parameters)
            | set(self.value_nodes)
        )

    # -- inputs
    def _inputs(self, section: Any, where: tuple, taken: set[str]) -> dict[str, InputSpec]:
        inputs: dict[str, InputSpec] = {}
        if section is None:
            return inputs
        if not isinstance(section, dict):
            self.error(where, "inputs is a mapping of name → {type, …}")
            return inputs
        for name, spec in section.items():
            path = (*where, name)
            if not self._name_ok(path, name, set(inputs) | taken):
                continue
            if isinstance(spec, str):
                spec = {"type": spec}
            if not isinstance(spec, dict):
                self.error(path, "an input is {type: integer|number|money|boolean|date|enum, …}")
                continue
            self._unknown_keys(path, spec, ("type", "values", "min", "max", "default", "description"))
            kind = self._type(path, spec)
            if kind is None:
                continue
            bounds = [self._value((*path, b), spec[b], kind) if b in spec else None for b in ("min", "max")]
            has_default = "default" in spec
            default = self._value((*path, "default"), spec["default"], kind) if has_default else None
            inputs[name] = InputSpec(
                name, kind, str(spec.get("description", "")), bounds[0], bounds[1], default, has_default
            )
        return inputs

    # -- members of a household
    def _members_head(self, section: Any) -> dict | None:
        """Roles, their sets and the members' inputs: what the parameters and values need to know."""
        if section is None:
            return None
        path = ("members",)
        if not isinstance(section, dict):
            self.error(
                path, "members is a mapping: roles, inputs, values, beneficiaries, conditions, outputs"
            )
            return None
        self._unknown_keys(path, section, MEMBER_SECTIONS)
        roles = section.get("roles")
        if not isinstance(roles, dict) or not roles:
            self.error(
                (*path, "roles"),
                "roles is a mapping of each role to the name of its set (parent: parents, child: children)",
            )
            return None
        self.sets = {MEMBER_SET: None}
        for role, set_name in roles.items():
            rpath = (*path, "roles", role)
            if not isinstance(role, str) or not NAME.match(role):
                self.errors.append(
                    self.doc.key_error(rpath, f"{role!r} is not a valid role (lower-case letters)")
                )
                continue
            if not self._name_ok(rpath, set_name, set(self.inputs) | set(self.sets)):
                continue
            self.sets[set_name] = role
        self.roles = tuple(r for r in self.sets.values() if r is not None)
        self.member_inputs = self._inputs(
            section.get("inputs"), (*path, "inputs"), set(self.inputs) | set(self.sets)
        )
        return section

    def _member_condition_nodes(self, section: dict | None) -> None:
        """The member conditions' expressions, parsed before the values: a value may use `eligible`."""
        if section is None:
            return
        for i, spec in enumerate(section.get("conditions") or []):
            if isinstance(spec, dict) and isinstance(spec.get("when"), str):
                node = self._parse(("members", "conditions", i, "when"), spec["when"])
                if node is not None:
                    self.member_condition_nodes.append((i, node))

    def _members_tail(self, section: dict) -> Members | None:
        beneficiaries = section.get("beneficiaries", MEMBER_SET)
        path = ("members", "beneficiaries")
        if beneficiaries not in self.sets and not (
            beneficiaries in self.value_nodes
            and self.value_levels.get(beneficiaries) is Level.MEMBER
            and self.value_types.get(beneficiaries) == BOOLEAN
        ):
            self.error(
                path,
                f"beneficiaries is a set of members, not {beneficiaries!r}",
                suggest(str(beneficiaries), self.sets),
            )
        conditions = self._conditions(section.get("conditions"), ("members", "conditions"), Level.MEMBER)
        outputs = self._outputs(section.get("outputs"), ("members", "outputs"), Level.MEMBER)
        return Members(
            roles=self.roles,
            sets=self.sets,
            inputs=self.member_inputs,
            beneficiaries=str(beneficiaries),
            conditions=conditions,
            outputs=outputs,
            description=str(section.get("description", "")).strip(),
        )

    def _type(self, path: tuple, spec: dict, enum_key: str = "values") -> Type | None:
        kind = spec.get("type")
        if kind == "enum":
            values = spec.get(enum_key)
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) and v for v in values)
            ):
                self.error((*path, enum_key), f"an enum needs {enum_key}: a list of texts")
                return None
            if len(set(values)) != len(values):
                self.error((*path, enum_key), "enum values must be different")
            return Type(Kind.ENUM, tuple(values))
        if kind not in SIMPLE_TYPES:
            self.error(
                (*path, "type"),
                f"unknown type {kind!r}",
                suggest(str(kind), [*SIMPLE_TYPES, "enum"])
                or "types: integer, number, money, boolean, date, enum",
            )
            return None
        return SIMPLE_TYPES[kind]

    def _unknown_keys(self, path: tuple, spec: dict, allowed: tuple[str, ...]) -> None:
        for key in spec:
            if key not in allowed:
                self.errors.append(
                    self.doc.key_error((*path, key), f"unknown field {key!r}", suggest(str(key), allowed))
                )

    def _value(self, path: tuple, raw: Any, kind: Type) -> Any:
        """A literal from the YAML in the internal representation of its type; None after an error."""
        try:
            return convert_literal(raw, kind, self.currency)
        except ValueError as exc:
            self.error(path, str(exc))
            return None

    # -- parameters
    def _parameters(self, section: Any) -> dict[str, Parameter]:
        parameters: dict[str, Parameter] = {}
        if section is None:
            return parameters
        if not isinstance(section, dict):
            self.error(("parameters",), "parameters is a mapping of name → {type, values: {date: value}}")
            return parameters
        taken = set(self.inputs) | set(self.member_inputs) | set(self.sets)
        for name, spec in section.items():
            path = ("parameters", name)
            if not self._name_ok(path, name, set(parameters) | taken):
                continue
            if not isinstance(spec, dict):
                self.error(path, "a parameter is {type, values: {date: value}}")
                continue
            self._unknown_keys(path, spec, PARAMETER_KEYS)
            parameter = self._parameter(path, name, spec)
            if parameter is not None:
                parameters[name] = parameter
        return parameters

    def _parameter(self, path: tuple, name: str, spec: dict) -> Parameter | None:
        kind = self._type(path, spec, enum_key="choices")
        dated = spec.get("values")
        if kind is None:
            return None
        if not isinstance(dated, dict) or not dated:
            self.error((*path, "values"), "values is a mapping of start date → value (2026-01-01: 16)")
            return None
        over = None
        if "brackets" in spec:
            over = SIMPLE_TYPES.get(spec["brackets"])
            if over is None or not (over.numeric or over.kind is Kind.MONEY):
                self.error((*path, "brackets"), "brackets: the type looked up (integer, number or money)")
                return None
        is_list = spec.get("list", False) is True
        versions = []
        for since, raw in dated.items():
            day = self._since((*path, "values", since, "<key>"), since)
            vpath = (*path, "values", since)
            if over is not None:
                value = self._brackets(vpath, raw, kind, over)
            elif is_list:
                value = self._list(vpath, raw, kind)
            elif isinstance(raw, dict):
                value = self._table(vpath, raw, kind)
            else:
                value = self._value(vpath, raw, kind)
            if day is None or value is None:
                continue
            versions.append(ParameterVersion(day, value))
        versions.sort(key=lambda v: v.since)
        shape = (
            Shape.BRACKETS
            if over
            else Shape.TABLE
            if isinstance(versions[0].value if versions else None, dict)
            else Shape.SCALAR
        )
        key_count = _depth(versions[0].value) if shape is Shape.TABLE else 0
        default = self._value((*path, "default"), spec["default"], kind) if "default" in spec else None
        if shape is Shape.TABLE:
            self._same_keys(path, versions)
            versions = self._changes(path, spec.get("changes"), versions, kind)
        elif any(isinstance(v.value, dict) for v in versions):
            self.error((*path, "values"), "every dated value must have the same shape")
        if "changes" in spec and shape is not Shape.TABLE:
            self.error(
                (*path, "changes"), "changes are for tables: each names the cells that change from a date"
            )
        return Parameter(
            name,
            kind,
            shape,
            tuple(versions),
            str(spec.get("description", "")),
            over,
            key_count,
            default,
            is_list,
            self._as_at((*path, "as_at"), spec.get("as_at")),
        )

    def _list(self, path: tuple, raw: Any, kind: Type) -> tuple | None:
        if not isinstance(raw, list):
            self.error(path, "a list parameter's dated value is a list, e.g. [employment, self_employment]")
            return None
        items = [self._value((*path, i), item, kind) for i, item in enumerate(raw)]
        return None if any(item is None for item in items) else tuple(items)

    def _as_at(self, path: tuple, raw: Any) -> tuple[str, int] | None:
        """`as_at: year` (or month, or {period: year, start_month: 4}): the parameter's value is the one in
        force when the decision's period began, so it stays fixed for the whole period."""
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = {"period": raw}
        if (
            isinstance(raw, dict)
            and raw.get("period") in ("year", "month")
            and set(raw) <= {"period", "start_month"}
        ):
            start = raw.get("start_month", 1)
            if isinstance(start, int) and not isinstance(start, bool) and 1 <= start <= 12:
                if raw["period"] == "month" and start != 1:
                    self.error(path, "start_month is for years")
                    return None
                return (raw["period"], start)
        self.error(path, "as_at is year, month, or {period: year, start_month: 4} (a fiscal year from April)")
        return None

    def _changes(
        self, path: tuple, raw: Any, versions: list[ParameterVersion], kind: Type
    ) -> list[ParameterVersion]:
        """`changes: {date: {key: {key: value}}}`: from that date only the cells named change; the rest of
        the table is the one in force the day before."""
        if raw is None or not versions:
            return versions
        if not isinstance(raw, dict):
            self.error((*path, "changes"), "changes is a mapping of start date → the cells that change")
            return versions
        starts = {v.since for v in versions}
        dated: list[tuple[int, tuple, Any]] = []
        for since, cells in raw.items():
            cpath = (*path, "changes", since)
            day = self._since((*cpath, "<key>"), since)
            if day is None:
                continue
            if day in starts:
                self.errors.append(
                    self.doc.key_error(cpath, "this date is in values too: give the table once a date")
                )
                continue
            if not isinstance(cells, dict) or not cells:
                self.error(cpath, 'a change names the cells that change: {under_3: {full_time: "275.00"}}')
                continue
            dated.append((day, cpath, cells))
        for day, cpath, cells in sorted(dated, key=lambda d: d[0]):
            base = next((v for v in reversed(versions) if v.since < day), None)
            if base is None:
                self.error(cpath, "a change needs a full table in force before it (under values)")
                continue
            merged = self._merge_cells(cpath, base.value, cells, kind)
            if merged is not None:
                versions.append(ParameterVersion(day, merged))
                versions.sort(key=lambda v: v.since)
        return versions

    def _merge_cells(self, path: tuple, table: dict, cells: dict, kind: Type) -> dict | None:
        merged = dict(table)
        for key, value in cells.items():
            key_text = str(key)
            if key_text not in table:
                self.errors.append(
                    self.doc.key_error(
                        (*path, key), f"the table has no key {key_text!r}", suggest(key_text, table)
                    )
                )
                return None
            if isinstance(table[key_text], dict):
                if not isinstance(value, dict):
                    self.error((*path, key), f"{key_text!r} holds a table: name the cells under it")
                    return None
                inner = self._merge_cells((*path, key), table[key_text], value, kind)
                if inner is None:
                    return None
                merged[key_text] = inner
            else:
                converted = self._value((*path, key), value, kind)
                if converted is None:
                    return None
                merged[key_text] = converted
        return merged

    def _since(self, path: tuple, raw: Any) -> int | None:
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return day_number(raw)
        try:
            return day_number(dt.date.fromisoformat(str(raw)))
        except ValueError:
            self.errors.append(self.doc.error(path, f"{raw!r} is not a start date like 2026-01-01"))
            return None

    def _table(self, path: tuple, raw: dict, kind: Type) -> dict | None:
        table: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                inner = self._table((*path, key), value, kind)
                if inner is None:
                    return None
                table[str(key)] = inner
            else:
                converted = self._value((*path, key), value, kind)
                if converted is None:
                    return None
                table[str(key)] = converted
        depths = {_depth(v) for v in table.values()}
        if len(depths) > 1:
            self.error(path, "every entry of a table must be nested to the same depth")
            return None
        return table

    def _same_keys(self, path: tuple, versions: list[ParameterVersion]) -> None:
        first = _key_sets(versions[0].value)
        for version in versions[1:]:
            if _key_sets(version.value) != first:
                self.error((*path, "values"), "every dated version of a table must list the same keys")

    def _brackets(self, path: tuple, raw: Any, kind: Type, over: Type) -> Brackets | None:
        if not isinstance(raw, list) or not raw:
            self.error(path, "brackets are a list of {from: threshold, value: value}, lowest first")
            return None
        thresholds, values = [], []
        for i, row in enumerate(raw):
            if isinstance(row, dict) and set(row) == {"from", "value"}:
                start, value = row["from"], row["value"]
            elif isinstance(row, list) and len(row) == 2:
                start, value = row
            else:
                self.error((*path, i), "a bracket is {from: threshold, value: value}")
                return None
            start = self._value((*path, i), start, over)
            value = self._value((*path, i), value, kind)
            if start is None or value is None:
                return None
            if thresholds and start <= thresholds[-1]:
                self.error((*path, i), "bracket thresholds must increase")
                return None
            thresholds.append(start)
            values.append(value)
        return Brackets(tuple(thresholds), tuple(values))

    # -- named values
    def _values(self, section: Any, member_section: Any = None) -> list[str]:
        """Named values of the household and of each member, in one order where each comes after what it
        uses (the member conditions, which `eligible` stands for, take their place in it too)."""
        for where, level, spec_section in (
            (("values",), Level.GROUP, section),
            (("members", "values"), Level.MEMBER, member_section),
        ):
            if spec_section is None:
                continue
            if not isinstance(spec_section, dict):
                self.error(where, "values is a mapping of name → expression")
                continue
            for name, spec in spec_section.items():
                path = (*where, name)
                if not self._name_ok(path, name, self._names_taken()):
                    continue
                text, description, expr_path = _expression_spec(spec, path)
                if text is None:
                    self.error(path, "a value is an expression, or {expr: …, description: …}")
                    continue
                node = self._parse(expr_path, text)
                if node is not None:
                    self.value_nodes[name] = (node, text, description)
                    self.value_paths[name] = expr_path
                    self.value_levels[name] = level
        return self._order_values()

    def _uses(self, name: str) -> list[str]:
        if name == ELIGIBLE:
            used = [n for _, node in self.member_condition_nodes for n, _ in _names(node)]
            if self.member_section_beneficiaries is not None:
                used.append(self.member_section_beneficiaries)
            return used
        return [n for n, _ in _names(self.value_nodes[name][0])]

    @property
    def member_section_beneficiaries(self) -> str | None:
        members = self.doc.data.get("members") if isinstance(self.doc.data, dict) else None
        value = members.get("beneficiaries") if isinstance(members, dict) else None
        return value if isinstance(value, str) else None

    def _order_values(self) -> list[str]:
        """Named values in dependency order; a cycle is reported once, at its first member."""
        order: list[str] = []
        state: dict[str, str] = {}
        nodes = [*self.value_nodes, *([ELIGIBLE] if self.sets else [])]

        def visit(name: str, trail: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "active":
                cycle = [*trail[trail.index(name) :], name]
                where = self.value_paths.get(name) or ("members", "conditions")
                self.error(
                    where,
                    "named values refer to each other in a cycle: "
                    + " → ".join(cycle)
                    + (" (eligible stands for the member conditions)" if ELIGIBLE in cycle else ""),
                )
                return
            state[name] = "active"
            for used in self._uses(name):
                if used in self.value_nodes or (used == ELIGIBLE and self.sets):
                    visit(used, [*trail, name])
            state[name] = "done"
            order.append(name)

        for name in nodes:
            visit(name, [])
        return order

    def _check_value(self, name: str) -> NamedValue | None:
        node, text, description = self.value_nodes[name]
        level = self.value_levels[name]
        kind = self._typecheck(self.value_paths[name], node, level, "a household's value")
        self.value_types[name] = kind
        if kind is None:
            return None
        return NamedValue(name, node, text, kind, description, level)

    # -- expressions
    def _parse(self, path: tuple, text: str) -> Node | None:
        try:
            return parse(text)
        except ExpressionError as exc:
            self.errors.append(self.doc.expression_error(path, exc.offset, exc.message))
            return None

    def _typecheck(self, path: tuple, node: Node, level: Level = Level.GROUP, what: str = "") -> Type | None:
        checker = Checker(
            self._type_of_name,
            self.parameters,
            self._known_names,
            self.types,
            member_names=frozenset(self._member_names()),
            sets=self.sets,
            member_nodes=self.member_nodes,
        )
        kind = checker.check(node)
        if level is Level.GROUP and self.sets and not checker.problems:
            checker.require_group(node, what or "a household's formula")
        for problem in checker.problems:
            self.errors.append(self.doc.expression_error(path, problem.offset, problem.message, problem.hint))
        return None if checker.problems else kind

    def _member_names(self) -> list[str]:
        if not self.sets:
            return []
        values = [n for n, level in self.value_levels.items() if level is Level.MEMBER]
        return [ROLE, ELIGIBLE, *self.member_inputs, *values]

    def _type_of_name(self, name: str) -> Type | None:
        if name == "as_of":
            return DATE
        if name in self.inputs:
            return self.inputs[name].type
        if name in self.member_inputs:
            return self.member_inputs[name].type
        if self.sets and name == ROLE:
            return Type(Kind.ENUM, self.roles)
        if self.sets and name == ELIGIBLE:
            return BOOLEAN
        if name in self.parameters:
            return self.parameters[name].type
        return self.value_types.get(name)

    def _known_names(self) -> list[str]:
        return ["as_of", *self.inputs, *self._member_names(), *self.parameters, *self.value_nodes]

    # -- conditions and outputs
    def _conditions(self, section: Any, where: tuple, level: Level) -> tuple[Condition, ...]:
        if section is None:
            return ()
        if not isinstance(section, list):
            self.error(where, "conditions is a list of {id, when, reason}")
            return ()
        conditions, seen = [], set()
        for i, spec in enumerate(section):
            path = (*where, i)
            if not isinstance(spec, dict):
                self.error(path, "a condition is {id, when, reason}")
                continue
            self._unknown_keys(path, spec, ("id", "when", "reason", "description"))
            cid, when, reason = spec.get("id"), spec.get("when"), spec.get("reason")
            if not isinstance(cid, str) or not NAME.match(cid) or cid in seen:
                self.error((*path, "id"), "each condition needs a unique id (lower-case letters, digits, _)")
                continue
            seen.add(cid)
            if not isinstance(reason, str) or not reason.strip():
                self.error(path, f"condition '{cid}' needs a reason: the sentence shown when it fails")
                continue
            if not isinstance(when, str):
                self.error(path, f"condition '{cid}' needs when: an expression that is true when it is met")
                continue
            node = self._condition_node(path, i, when, level)
            if node is None:
                continue
            kind = self._typecheck((*path, "when"), node, level, "a household's condition")
            if kind is not None and kind.kind is not Kind.BOOLEAN:
                self.error((*path, "when"), f"condition '{cid}' must be true or false, this is a {kind}")
                continue
            self._check_template((*path, "reason"), reason, level)
            conditions.append(
                Condition(cid, node, when, reason.strip(), str(spec.get("description", "")), _cited(node))
            )
        return tuple(conditions)

    def _condition_node(self, path: tuple, index: int, when: str, level: Level) -> Node | None:
        if level is Level.MEMBER:  # parsed already, before the values
            return next((n for i, n in self.member_condition_nodes if i == index), None)
        return self._parse((*path, "when"), when)

    def _check_template(self, path: tuple, reason: str, level: Level = Level.GROUP) -> None:
        member = set(self._member_names())
        for match in TEMPLATE_FIELD.finditer(reason):
            name = match.group(1)
            if self._type_of_name(name) is None and name not in self.value_nodes:
                self.error(
                    path,
                    f"the reason cites {{{name}}}, which is not an input, parameter or value",
                    suggest(name, self._known_names()),
                )
            elif level is Level.GROUP and name in member:
                self.error(path, f"the reason cites {{{name}}}, which each member has its own value of")

    def _outputs(self, section: Any, where: tuple, level: Level) -> tuple[Output, ...]:
        if not isinstance(section, dict):
            if section is not None:
                self.error(where, "outputs is a mapping of name → expression")
            return ()
        outputs = []
        for name, spec in section.items():
            path = (*where, name)
            if not self._name_ok(path, name, {o.name for o in outputs}):
                continue
            text, description, expr_path = _expression_spec(spec, path)
            if text is None:
                self.error(path, "an output is an expression, or {expr: …, type: …, description: …}")
                continue
            node = self._parse(expr_path, text)
            kind = (
                self._typecheck(expr_path, node, level, "a household's output") if node is not None else None
            )
            if node is None or kind is None:
                continue
            declared = spec.get("type") if isinstance(spec, dict) else None
            if declared is not None and declared != kind.kind.value:
                self.error((*path, "type"), f"output '{name}' is declared {declared} but computes a {kind}")
            outputs.append(Output(name, node, text, kind, description, _cited(node)))
        return tuple(outputs)

    # -- test cases
    def _tests(
        self,
        section: Any,
        conditions: tuple[Condition, ...],
        outputs: tuple[Output, ...],
        members: Members | None,
    ) -> tuple[TestCase, ...]:
        if section is None:
            return ()
        if not isinstance(section, list):
            self.error(("tests",), "tests is a list of {name, date, input, expect}")
            return ()
        group_values = [n for n, level in self.value_levels.items() if level is Level.GROUP]
        expectable = {"eligible", "failed", *(o.name for o in outputs), *group_values}
        givable = {*self.inputs, *group_values}
        if members is not None:
            expectable.add(MEMBER_SET)
            givable.add(MEMBER_SET)
        cases = []
        for i, spec in enumerate(section):
            path = ("tests", i)
            if not isinstance(spec, dict):
                self.error(path, "a test is {name, date, input, expect}")
                continue
            self._unknown_keys(path, spec, ("name", "date", "input", "expect", "absolute_error_margin"))
            day = self._since((*path, "date"), spec.get("date"))
            inputs, expect = spec.get("input", {}), spec.get("expect")
            if not isinstance(inputs, dict) or not isinstance(expect, dict) or not expect:
                self.error(path, "a test needs input (a mapping) and expect (a mapping)")
                continue
            self._known_keys((*path, "input"), inputs, givable, "input")
            self._known_keys((*path, "expect"), expect, expectable, "expect")
            # a household none of whose beneficiaries qualifies fails the member conditions they failed
            either = (*conditions, *(members.conditions if members is not None else ()))
            self._expected_failures((*path, "expect", "failed"), expect.get("failed", []), either)
            if members is not None:
                self._test_members(path, inputs.get(MEMBER_SET), expect.get(MEMBER_SET), members)
            margin = None
            if "absolute_error_margin" in spec:
                margin = self._value((*path, "absolute_error_margin"), spec["absolute_error_margin"], MONEY)
            if day is None:
                continue
            from app.eligibility.dates import from_day_number

            name = str(spec.get("name") or f"test {i + 1}")
            line = self.doc.mark(path).line
            cases.append(TestCase(name, from_day_number(day), inputs, expect, line, margin))
        return tuple(cases)

    def _known_keys(self, path: tuple, given: dict, allowed: set[str], what: str) -> None:
        for key in given:
            if key not in allowed:
                message = f"unknown input {key!r}" if what == "input" else f"cannot expect {key!r}"
                self.errors.append(self.doc.key_error((*path, key), message, suggest(str(key), allowed)))

    def _expected_failures(self, path: tuple, failed: Any, conditions: tuple[Condition, ...]) -> None:
        known = {c.id for c in conditions} | ({NO_BENEFICIARY} if self.sets else set())
        for cid in failed if isinstance(failed, list) else []:
            if cid not in known:
                self.error(path, f"no condition {cid!r}", suggest(str(cid), [c.id for c in conditions]))

    def _test_members(self, path: tuple, given: Any, expected: Any, members: Members) -> None:
        member_values = [n for n, level in self.value_levels.items() if level is Level.MEMBER]
        givable = {"id", ROLE, *members.inputs, *member_values}
        ids = []
        if not isinstance(given, list):
            self.error((*path, "input"), "a test of a household gives its members: a list of {role, …}")
            return
        for j, member in enumerate(given):
            mpath = (*path, "input", MEMBER_SET, j)
            if not isinstance(member, dict):
                self.error(mpath, "a member is a mapping of role and inputs")
                continue
            self._known_keys(mpath, member, givable, "input")
            ids.append(str(member.get("id", j + 1)))
        if expected is None:
            return
        epath = (*path, "expect", MEMBER_SET)
        if not isinstance(expected, dict):
            self.error(epath, 'expect members by id: {ada: {amount: "150.00"}} (ids default to 1, 2, …)')
            return
        expectable = {ELIGIBLE, "failed", *(o.name for o in members.outputs), *member_values}
        for key, wanted in expected.items():
            if str(key) not in ids:
                self.errors.append(
                    self.doc.key_error(
                        (*epath, key), f"no member {key!r} in the input", suggest(str(key), ids)
                    )
                )
                continue
            if not isinstance(wanted, dict):
                self.error((*epath, key), "expect a mapping of outputs and values for this member")
                continue
            self._known_keys((*epath, key), wanted, expectable, "expect")
            self._expected_failures((*epath, key, "failed"), wanted.get("failed", []), members.conditions)


def _expression_spec(spec: Any, path: tuple) -> tuple[str | None, str, tuple]:
    if isinstance(spec, str):
        return spec, "", path
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return str(spec), "", path
    if isinstance(spec, dict) and isinstance(spec.get("expr"), (str, int, float)):
        return str(spec["expr"]), str(spec.get("description", "")), (*path, "expr")
    return None, "", path


def _names(node: Node):
    from app.eligibility.expr import names

    return names(node)


def _cited(node: Node) -> tuple[str, ...]:
    """Names the explanation shows for a condition or output: variables, table lookups and aggregates,
    once each (not what is inside an aggregate, which differs from member to member or item to item)."""
    cited: list[str] = []
    for sub in cited_nodes(node):
        label = node_label(sub)
        if label not in cited:
            cited.append(label)
    return tuple(cited)


def cited_nodes(node: Node):
    """Names, lookups and aggregates of a tree, outside aggregates."""
    from app.eligibility.expr import children

    if isinstance(node, (Name, Lookup, Aggregate, Rank)):
        yield node
    if isinstance(node, (Aggregate, Rank)):
        return
    for child in children(node):
        yield from cited_nodes(child)


def node_label(node: Node) -> str:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Lookup):
        return lookup_label(node)
    return node.text  # type: ignore[attr-defined]


def lookup_label(node: Lookup) -> str:
    keys = []
    for key in node.keys:
        if isinstance(key, Name):
            keys.append(key.name)
        elif isinstance(key, String):
            keys.append(repr(key.value))
        else:
            keys.append("…")
    return f"{node.name}[{', '.join(keys)}]"


def _depth(value: Any) -> int:
    if isinstance(value, dict) and value:
        return 1 + _depth(next(iter(value.values())))
    return 0


def _key_sets(value: Any) -> list[frozenset]:
    levels: list[frozenset] = []
    layer = [value]
    while layer and isinstance(layer[0], dict):
        levels.append(frozenset(k for table in layer for k in table))
        layer = [child for table in layer for child in table.values()]
    return levels


def convert_literal(raw: Any, kind: Type, currency: str) -> Any:
    """A YAML/JSON literal → internal representation; ValueError with a plain message when it does not fit."""
    if raw is None:
        raise ValueError(f"a {kind} value is required here")
    match kind.kind:
        case Kind.INTEGER:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise ValueError(f"{raw!r} is not a whole number")
            return raw
        case Kind.NUMBER:
            return _number(raw)
        case Kind.MONEY:
            if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
                raise ValueError(f"{raw!r} is not an amount")
            try:
                return to_minor(str(raw), currency)
            except ValidationFailed as exc:
                raise ValueError(f"{raw!r}: {exc.message}") from None
        case Kind.BOOLEAN:
            if not isinstance(raw, bool):
                raise ValueError(f"{raw!r} is not true or false")
            return raw
        case Kind.DATE:
            if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
                return day_number(raw)
            try:
                return day_number(dt.date.fromisoformat(str(raw)))
            except ValueError:
                raise ValueError(f"{raw!r} is not a date like 2026-01-31") from None
        case Kind.ENUM:
            if raw not in kind.values:
                hint = suggest(str(raw), kind.values)
                raise ValueError(
                    f"{raw!r} is not one of {', '.join(kind.values)}" + (f"; {hint}" if hint else "")
                )
            return raw
    raise AssertionError(kind)


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a number")
    if isinstance(raw, (int, float)):
        return float(raw)
    text = str(raw).strip()
    try:
        if text.endswith("%"):
            return float(Decimal(text[:-1]) / 100)
        return float(Decimal(text))
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a number (write 0.5 or 50%)") from None
