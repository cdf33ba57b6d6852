"""Deciding one household: its values, each member's values and member conditions, the household's
conditions, each member's outputs and the household's, with an explanation that lists every member's
values and which members each aggregate took.

The order is the rule's: named values of the household and of its members in dependency order, the
member conditions where `eligible` is first needed, then the household's conditions and the outputs.
A member's money outputs are 0 unless the household is eligible and the member is (a beneficiary who
meets every member condition); the household's money outputs are 0 unless the household is eligible.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from app.eligibility import arith
from app.eligibility.dates import day_number
from app.eligibility.expr import Aggregate, Name, Node, walk
from app.eligibility.inputs import MEMBERS as MEMBERS_INPUT
from app.eligibility.inputs import formatter, json_value
from app.eligibility.loader import ELIGIBLE, NO_BENEFICIARY, TEMPLATE_FIELD, cited_nodes, node_label
from app.eligibility.model import Condition, Kind, Level, Rule
from app.eligibility.parameters import Resolved
from app.eligibility.results import Decision, ParameterCache
from app.eligibility.scalar import ID, MEMBER, MEMBERS, TAKEN, ScalarCompiler

Env = dict[str, Any]
Getter = Callable[[Env], Any]


class HouseholdEvaluator:
    """One household at a time, with its explanation. Build once per rule (and per set of given
    values, for a rule file's tests that give a named value instead of its formula)."""

    def __init__(self, rule: Rule, given: frozenset[str] = frozenset()) -> None:
        assert rule.members is not None
        self.rule = rule
        self.members = rule.members
        self.parameters = ParameterCache(rule)
        compiler = ScalarCompiler(rule.currency, rule)
        self.compiler = compiler
        self.steps: list[tuple[Level | None, str, Any]] = []
        for index, value in enumerate(rule.values):
            if index == rule.member_conditions_at:
                self.steps.append((None, ELIGIBLE, None))
            if value.name not in given:
                self.steps.append((value.level, value.name, compiler.compile(value.node)))
        if rule.member_conditions_at >= len(rule.values):
            self.steps.append((None, ELIGIBLE, None))
        self.beneficiary = compiler.in_set(self.members.beneficiaries)
        self.member_conditions = [(c, compiler.compile(c.node)) for c in self.members.conditions]
        self.conditions = [(c, compiler.compile(c.node)) for c in rule.conditions]
        currency = rule.currency
        self.outputs = [
            (o.name, compiler.compile(o.node), o.type.kind, formatter(o.type.kind, currency))
            for o in rule.outputs
        ]
        self.member_outputs = [
            (o.name, compiler.compile(o.node), o.type.kind, formatter(o.type.kind, currency))
            for o in self.members.outputs
        ]
        self.group_inputs = [(n, formatter(s.type.kind, currency)) for n, s in rule.inputs.items()]
        self.member_inputs = [(n, formatter(s.type.kind, currency)) for n, s in self.members.inputs.items()]
        self.group_values = [
            (v.name, formatter(v.type.kind, currency)) for v in rule.values if v.level is Level.GROUP
        ]
        self.member_values = [
            (v.name, formatter(v.type.kind, currency)) for v in rule.values if v.level is Level.MEMBER
        ]
        self.condition_cites = [self._cites(c) for c in rule.conditions]
        self.member_condition_cites = [self._cites(c) for c in self.members.conditions]
        self.aggregates = self._aggregate_formatters()

    # -- how the explanation shows what a condition uses
    def _cites(self, condition: Condition) -> list[tuple[str, Getter, Callable[[Any], Any]]]:
        cites, seen = [], set()
        for node in cited_nodes(condition.node):
            label = node_label(node)
            if label in seen:
                continue
            seen.add(label)
            cites.append(
                (label, self._getter(node), formatter(self.rule.types[node].kind, self.rule.currency))
            )
        return cites

    def _getter(self, node: Node) -> Getter:
        if isinstance(node, Name):
            name = node.name
            if node in self.rule.member_nodes:
                return lambda env: env[MEMBER][name]
            return lambda env: env[name]
        return self.compiler.compile(node)  # a lookup or an aggregate, worked out again for the explanation

    def _aggregate_formatters(self) -> dict[str, Callable[[Any], Any]]:
        nodes: list[Node] = [v.node for v in self.rule.values]
        nodes += [c.node for c in (*self.rule.conditions, *self.members.conditions)]
        nodes += [o.node for o in (*self.rule.outputs, *self.members.outputs)]
        found: dict[str, Callable[[Any], Any]] = {}
        for root in nodes:
            for node in walk(root):
                if isinstance(node, Aggregate) and node.members is not None and node.text not in found:
                    found[node.text] = (node, formatter(self.rule.types[node].kind, self.rule.currency))
        return found  # type: ignore[return-value]

    # -- deciding
    def decide(
        self, inputs: dict[str, Any], as_of: dt.date, resolved: Resolved | None = None, explain: bool = True
    ) -> Decision:
        day = day_number(as_of)
        parameters, shown_parameters, _ = self.parameters.get(day, resolved)
        members = [dict(m) for m in inputs[MEMBERS_INPUT]]
        env: Env = {**parameters, **inputs, "as_of": day, MEMBERS: members, TAKEN: {}, MEMBER: None}
        met_by_member: list[list[bool] | None] = [None] * len(members)
        for level, name, compiled in self.steps:
            if level is Level.GROUP:
                env[name] = compiled(env)
            elif level is Level.MEMBER:
                for member in members:
                    env[MEMBER] = member
                    member[name] = compiled(env)
            else:
                met_by_member = self._member_conditions(env, members)
        env[MEMBER] = None
        met = [compiled(env) is True for _, compiled in self.conditions]
        failed = [c.id for (c, _), ok in zip(self.conditions, met, strict=True) if not ok]
        failed += self._none_qualifies(members, met_by_member)
        eligible = not failed
        outputs = self._outputs(env, self.outputs, eligible)
        decided_members = []
        for member, member_met in zip(members, met_by_member, strict=True):
            env[MEMBER] = member
            member_ok = eligible and member[ELIGIBLE]
            member_failed = [
                c.id for (c, _), ok in zip(self.member_conditions, member_met or [], strict=False) if not ok
            ]
            decided_members.append(
                {
                    "id": member[ID],
                    "role": member["role"],
                    "eligible": member_ok,
                    "failed": member_failed,
                    "outputs": self._outputs(env, self.member_outputs, member_ok),
                }
            )
        env[MEMBER] = None
        explanation = (
            self._explain(env, members, met, met_by_member, decided_members, shown_parameters)
            if explain
            else {}
        )
        return Decision(
            self.rule.id,
            self.rule.version,
            as_of,
            eligible,
            outputs,
            failed,
            explanation,
            self._inputs_json(inputs),
            decided_members,
        )

    def _none_qualifies(
        self, members: list[dict[str, Any]], met_by_member: list[list[bool] | None]
    ) -> list[str]:
        """When the rule has member conditions and no beneficiary meets them all, the household is not
        eligible: it fails the member conditions its beneficiaries failed (or no_beneficiary)."""
        if not self.member_conditions or any(m[ELIGIBLE] for m in members):
            return []
        failed = [
            c.id
            for i, (c, _) in enumerate(self.member_conditions)
            if any(met is not None and not met[i] for met in met_by_member)
        ]
        return failed or [NO_BENEFICIARY]

    def _member_conditions(self, env: Env, members: list[dict[str, Any]]) -> list[list[bool] | None]:
        results: list[list[bool] | None] = []
        for member in members:
            if self.beneficiary is not None and not self.beneficiary(member):
                member[ELIGIBLE] = False
                results.append(None)
                continue
            env[MEMBER] = member
            met = [compiled(env) is True for _, compiled in self.member_conditions]
            member[ELIGIBLE] = all(met)
            results.append(met)
        return results

    def _outputs(self, env: Env, outputs: list, eligible: bool) -> dict[str, Any]:
        shown = {}
        for name, compiled, kind, fmt in outputs:
            value = compiled(env)
            if kind is Kind.MONEY:
                if not eligible:
                    value = 0
                elif type(value) is not int:
                    value = int(arith.round_half_away(value, math.floor))
            shown[name] = fmt(value)
        return shown

    def _inputs_json(self, inputs: dict[str, Any]) -> dict[str, Any]:
        shown = {name: fmt(inputs[name]) for name, fmt in self.group_inputs}
        shown[MEMBERS_INPUT] = [
            {"id": m[ID], "role": m["role"], **{name: fmt(m[name]) for name, fmt in self.member_inputs}}
            for m in inputs[MEMBERS_INPUT]
        ]
        return shown

    # -- explaining
    def _explain(
        self,
        env: Env,
        members: list[dict[str, Any]],
        met: list[bool],
        met_by_member: list[list[bool] | None],
        decided: list[dict[str, Any]],
        parameters: dict[str, Any],
    ) -> dict[str, Any]:
        conditions = [
            self._condition(env, c, ok, cites)
            for (c, _), ok, cites in zip(self.conditions, met, self.condition_cites, strict=True)
        ]
        values = {name: fmt(env[name]) for name, fmt in self.group_values if name in env}
        shown_members = []
        for member, member_met, outcome in zip(members, met_by_member, decided, strict=True):
            env[MEMBER] = member
            entry: dict[str, Any] = {
                "id": member[ID],
                "role": member["role"],
                "eligible": outcome["eligible"],
                "beneficiary": member_met is not None,
                "values": {name: fmt(member[name]) for name, fmt in self.member_values if name in member},
            }
            if member_met is not None:
                entry["conditions"] = [
                    self._condition(env, c, ok, cites)
                    for (c, _), ok, cites in zip(
                        self.member_conditions, member_met, self.member_condition_cites, strict=True
                    )
                ]
            shown_members.append(entry)
        env[MEMBER] = None
        aggregates = {}
        for label, (node, fmt) in self.aggregates.items():  # type: ignore[misc]
            value = self.compiler.compile(node)(env)
            aggregates[label] = {"value": fmt(value), "members": env[TAKEN].get(label, [])}
        return {
            "conditions": conditions,
            "values": values,
            "aggregates": aggregates,
            "members": shown_members,
            "parameters": parameters,
        }

    def _condition(self, env: Env, condition: Condition, ok: bool, cites: list) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": condition.id, "rule": condition.text.strip()}
        if condition.description:
            entry["description"] = condition.description
        entry["met"] = ok
        entry["values"] = {label: fmt(get(env)) for label, get, fmt in cites}
        if not ok:
            entry["reason"] = self._fill(condition.reason, env)
        return entry

    def _fill(self, reason: str, env: Env) -> str:
        member = env.get(MEMBER) or {}
        for name in TEMPLATE_FIELD.findall(reason):
            value = member[name] if name in member else env[name]
            shown = json_value(value, self._kind(name), self.rule.currency)
            if isinstance(shown, float) and shown.is_integer():
                shown = int(shown)
            reason = reason.replace("{" + name + "}", str(shown))
        return reason

    def _kind(self, name: str) -> Kind:
        rule = self.rule
        for specs in (rule.inputs, self.members.inputs):
            if name in specs:
                return specs[name].type.kind
        if name in rule.parameters:
            return rule.parameters[name].type.kind
        value = rule.value(name)
        if value is not None:
            return value.type.kind
        return Kind.ENUM if name == "role" else Kind.BOOLEAN if name == ELIGIBLE else Kind.DATE
