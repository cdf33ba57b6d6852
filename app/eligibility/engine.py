"""The engine: one rule, two ways to run it with identical results.

- `CaseEvaluator.decide` — one case, with an explanation: every condition, whether it held, the values it
  used and its reason; the value of every named value; the parameters in force.
- `CaseloadEvaluator.decide` — a whole caseload (a DataFrame), vectorised with numpy.

Conventions: a case is eligible when every condition holds; when it is not, its money outputs are 0.
Money outputs are rounded once, here, to the minor unit, half away from zero.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from app.eligibility import arith
from app.eligibility.dates import day_number
from app.eligibility.expr import Lookup, Name, Node
from app.eligibility.inputs import ParsedFrame, formatter, given_specs, json_value, parse_frame
from app.eligibility.loader import lookup_label
from app.eligibility.model import Kind, Rule, Shape, Type
from app.eligibility.parameters import Resolved, resolve
from app.eligibility.results import (
    Decision,
    ParameterCache,
    format_money,
    output_array,
    vector_parameters,
)
from app.eligibility.scalar import ScalarCompiler
from app.eligibility.vector import Frame, VectorCompiler


class CaseEvaluator:
    """One case at a time, with its explanation. Build once per rule; `decide` is the hot path."""

    def __init__(self, rule: Rule, given: frozenset[str] = frozenset()) -> None:
        self.rule = rule
        currency = rule.currency
        compiler = ScalarCompiler(currency, rule)
        self.values = [(v.name, compiler.compile(v.node)) for v in rule.values if v.name not in given]
        self.conditions = [(c, compiler.compile(c.node)) for c in rule.conditions]
        self.condition_closures = [compiled for _, compiled in self.conditions]
        self.condition_ids = [c.id for c in rule.conditions]
        self.outputs = [
            (o.name, compiler.compile(o.node), o.type.kind is Kind.MONEY, formatter(o.type.kind, currency))
            for o in rule.outputs
        ]
        self.input_formatters = [
            (name, formatter(spec.type.kind, rule.currency)) for name, spec in rule.inputs.items()
        ]
        # The explanation formats each cited name or lookup once per case: one list of what to format,
        # then per condition the labels it cites.
        cited: dict[str, tuple[Any, Any]] = {}
        self.condition_labels = [_cite(rule, compiler, c.node, cited) for c in rule.conditions]
        for v in rule.values:
            cited.setdefault(v.name, (operator.itemgetter(v.name), formatter(v.type.kind, rule.currency)))
        # Inputs are formatted once for the decision's record and parameters once per date: only named
        # values, lookups and the date are formatted per case.
        constant = set(rule.inputs) | {n for n, p in rule.parameters.items() if p.shape is Shape.SCALAR}
        self.cited = [(label, get, fmt) for label, (get, fmt) in cited.items() if label not in constant]
        self.cited_parameters = [
            (label, get, fmt) for label, (get, fmt) in cited.items() if label in rule.parameters
        ]
        # What every explanation entry shares, built once.
        self.condition_entries = [
            (
                {
                    "id": c.id,
                    "rule": c.text.strip(),
                    **({"description": c.description} if c.description else {}),
                },
                _picker(labels),
                c,
                _template_fields(c.reason),
            )
            for c, labels in zip(rule.conditions, self.condition_labels, strict=True)
        ]
        self.value_names = [v.name for v in rule.values]
        self.pick_values = _picker(self.value_names)
        self._parameters = ParameterCache(rule, self.cited_parameters)

    def parameter_env(self, day: int, resolved: Resolved | None = None) -> tuple[dict, dict, dict]:
        """The parameter part of the environment and its explanation, cached per date (not for what-ifs)."""
        return self._parameters.get(day, resolved)

    def decide(
        self, inputs: dict[str, Any], as_of: dt.date, resolved: Resolved | None = None, explain: bool = True
    ) -> Decision:
        """`inputs` in internal representation (see inputs.parse_case)."""
        day = day_number(as_of)
        parameters, shown_parameters, formatted_parameters = self.parameter_env(day, resolved)
        env = {**parameters, **inputs, "as_of": day}
        for name, compiled in self.values:
            env[name] = compiled(env)
        met = [compiled(env) is True for compiled in self.condition_closures]  # typed boolean
        eligible = False not in met
        outputs = {}
        for name, compiled, is_money, fmt in self.outputs:
            value = compiled(env)
            if is_money:
                if not eligible:
                    value = 0
                elif type(value) is not int:
                    value = int(arith.round_half_away_scalar(value))
            outputs[name] = fmt(value)
        failed = [] if eligible else [cid for cid, ok in zip(self.condition_ids, met, strict=True) if not ok]
        inputs_json = {name: fmt(inputs[name]) for name, fmt in self.input_formatters}
        explanation = (
            self._explain(env, met, shown_parameters, {**formatted_parameters, **inputs_json})
            if explain
            else {}
        )
        return Decision(
            self.rule.id, self.rule.version, as_of, eligible, outputs, failed, explanation, inputs_json
        )

    def _explain(
        self, env: dict[str, Any], met: list[bool], shown_parameters: dict[str, Any], shown: dict[str, Any]
    ) -> dict[str, Any]:
        for label, get, fmt in self.cited:
            shown[label] = fmt(get(env))
        conditions = []
        for (template, pick, condition, fields), ok in zip(self.condition_entries, met, strict=True):
            entry = {**template, "met": ok, "values": pick(shown)}
            if not ok:
                entry["reason"] = _fill(condition.reason, fields, env, self.rule)
            conditions.append(entry)
        # Named values by name; what each is computed from is static, in the programme's description.
        return {"conditions": conditions, "values": self.pick_values(shown), "parameters": shown_parameters}


def _picker(labels: tuple[str, ...] | list[str]) -> Any:
    """A function taking {label: value} to the sub-dict of these labels, in this order (built in C)."""
    if not labels:
        return lambda shown: {}
    if len(labels) == 1:
        (label,) = labels
        return lambda shown: {label: shown[label]}
    get = operator.itemgetter(*labels)
    return lambda shown: dict(zip(labels, get(shown), strict=True))


def _remembered(label: str, lookup: Any) -> Any:
    """The value a lookup left in the environment; looked up now if its branch was not taken."""

    def get(env: dict[str, Any]) -> Any:
        value = env.get(label)
        return lookup(env) if value is None else value

    return get


def _cite(
    rule: Rule, compiler: ScalarCompiler, node: Node, cited: dict[str, tuple[Any, Any]]
) -> tuple[str, ...]:
    """Labels of the names and table lookups an expression uses; registers how to get and show each."""
    from app.eligibility.loader import cited_nodes

    labels: list[str] = []
    for sub in cited_nodes(node):
        if isinstance(sub, Name):
            label = sub.name
            if label not in cited:
                cited[label] = (operator.itemgetter(label), formatter(rule.types[sub].kind, rule.currency))
        elif isinstance(sub, Lookup):
            label = lookup_label(sub)
            if label not in cited:
                kind = rule.parameters[sub.name].type.kind
                cited[label] = (_remembered(label, compiler.compile(sub)), formatter(kind, rule.currency))
        else:
            continue
        if label not in labels:
            labels.append(label)
    return tuple(labels)


def _template_fields(reason: str) -> list[str]:
    from app.eligibility.loader import TEMPLATE_FIELD

    return TEMPLATE_FIELD.findall(reason)


def _fill(reason: str, fields: list[str], env: dict[str, Any], rule: Rule) -> str:
    for name in fields:
        kind = _kind_of_name(rule, name)
        value = json_value(env[name], kind, rule.currency)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # "16 hours", not "16.0 hours"
        reason = reason.replace("{" + name + "}", str(value))
    return reason


def _kind_of_name(rule: Rule, name: str) -> Kind:
    if name in rule.inputs:
        return rule.inputs[name].type.kind
    if name in rule.parameters:
        return rule.parameters[name].type.kind
    for value in rule.values:
        if value.name == name:
            return value.type.kind
    return Kind.DATE  # as_of


@dataclass
class CaseloadResult:
    """Decisions for the good rows (in input order) and the rejected rows with field and reason."""

    decisions: pd.DataFrame  # row, eligible, <outputs…>, failed
    errors: pd.DataFrame  # row, field, reason
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # raw arrays, for simulation

    @property
    def eligible_count(self) -> int:
        return int(self.columns["eligible"].sum()) if "eligible" in self.columns else 0


class CaseloadEvaluator:
    """A whole caseload at once. Build once per rule."""

    def __init__(self, rule: Rule, given: frozenset[str] = frozenset()) -> None:
        self.rule = rule
        self.given = given
        compiler = VectorCompiler(rule)

        def compile_value(node: Node, kind: Type) -> Any:
            return compiler.compile_as(node, kind) if kind.kind is Kind.ENUM else compiler.compile(node)

        self.values = [(v.name, compile_value(v.node, v.type)) for v in rule.values if v.name not in given]
        self.conditions = [(c.id, compiler.compile(c.node)) for c in rule.conditions]
        self.outputs = [(o.name, compile_value(o.node, o.type), o.type) for o in rule.outputs]

    def decide(
        self, frame: pd.DataFrame, as_of: dt.date, resolved: Resolved | None = None, as_text: bool = False
    ) -> CaseloadResult:
        parsed = parse_frame(self.rule, frame, given_specs(self.rule, self.given))
        return self.decide_parsed(parsed, as_of, resolved, as_text)

    def decide_parsed(
        self, parsed: ParsedFrame, as_of: dt.date, resolved: Resolved | None = None, as_text: bool = False
    ) -> CaseloadResult:
        from app.eligibility.dates import day_number

        day = day_number(as_of)
        resolved = resolved or resolve(self.rule, day)
        size = len(parsed.good)
        values: dict[str, Any] = dict(parsed.columns)
        values["as_of"] = day
        run = Frame(values, self._vector_parameters(resolved), size)
        for name, compiled in self.values:
            values[name] = compiled(run)
        eligible = np.ones(size, dtype=bool)
        condition_results = {}
        for cid, compiled in self.conditions:
            met = np.broadcast_to(np.asarray(compiled(run), dtype=bool), (size,))
            condition_results[cid] = met
            eligible &= met
        columns: dict[str, np.ndarray] = {"eligible": eligible}
        for name, compiled, kind in self.outputs:
            columns[name] = self._output(compiled(run), kind, eligible, size)
        for cid, met in condition_results.items():
            columns[f"condition.{cid}"] = met
        decisions = pd.DataFrame(  # the columns as they are (copy-on-write keeps them safe), not copied
            {"row": parsed.good, **{k: v for k, v in columns.items() if not k.startswith("condition.")}},
            copy=False,
        )
        if as_text:
            decisions = self._as_text(decisions, condition_results)
        return CaseloadResult(decisions, parsed.errors, columns)

    def _vector_parameters(self, resolved: Resolved) -> dict[str, Any]:
        return vector_parameters(self.rule, resolved)

    def _output(self, value: Any, kind: Type, eligible: np.ndarray, size: int) -> np.ndarray:
        return output_array(value, kind, eligible, size)

    def _as_text(self, decisions: pd.DataFrame, conditions: dict[str, np.ndarray]) -> pd.DataFrame:
        """Money as decimal text, dates as ISO text, and the failed condition ids: for CSV files."""
        from app.core.money import exponent

        out = decisions.copy()
        digits = exponent(self.rule.currency)
        for output in self.rule.outputs:
            column = out[output.name]
            if output.type.kind is Kind.MONEY:
                out[output.name] = format_money(column.to_numpy(), digits)
            elif output.type.kind is Kind.DATE:
                out[output.name] = column.to_numpy().astype("datetime64[D]").astype(str)
        failed = pd.Series("", index=out.index, dtype=object)
        for cid, met in conditions.items():
            if (~met).any():
                failed = failed.where(met, failed + np.where(failed == "", "", ";") + cid)
        out["failed"] = failed
        return out
