"""A rule as JSON for people and the API: inputs, dated parameters, values, conditions, outputs."""

from __future__ import annotations

from typing import Any

from app.eligibility.dates import from_day_number
from app.eligibility.inputs import json_value
from app.eligibility.model import Brackets, Level, Parameter, Rule, Shape


def summary(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "description": rule.description,
        "currency": rule.currency,
        "version": rule.version,
        "file": rule.file.rsplit("/", 1)[-1],
        "parameters_change_on": [d.isoformat() for d in rule.parameters_changed_on()],
    }


def detail(rule: Rule) -> dict[str, Any]:
    return {
        **summary(rule),
        "inputs": [_input(rule, spec) for spec in rule.inputs.values()],
        "parameters": [_parameter(rule, p) for p in rule.parameters.values()],
        "values": [
            {"name": v.name, "type": str(v.type), "expr": v.text, "description": v.description}
            for v in rule.values
            if v.level is Level.GROUP
        ],
        "members": _members(rule),
        "conditions": [
            {"id": c.id, "when": c.text, "reason": c.reason, "description": c.description}
            for c in rule.conditions
        ],
        "outputs": [
            {"name": o.name, "type": str(o.type), "expr": o.text, "description": o.description}
            for o in rule.outputs
        ],
        "tests": len(rule.tests),
    }


def _members(rule: Rule) -> dict[str, Any] | None:
    """A household's members: roles and their sets, each member's inputs, values, conditions, outputs."""
    members = rule.members
    if members is None:
        return None
    return {
        "description": members.description,
        "roles": [{"role": role, "set": name} for name, role in members.sets.items() if role is not None],
        "inputs": [_input(rule, spec) for spec in members.inputs.values()],
        "values": [
            {"name": v.name, "type": str(v.type), "expr": v.text, "description": v.description}
            for v in rule.values
            if v.level is Level.MEMBER
        ],
        "beneficiaries": members.beneficiaries,
        "conditions": [
            {"id": c.id, "when": c.text, "reason": c.reason, "description": c.description}
            for c in members.conditions
        ],
        "outputs": [
            {"name": o.name, "type": str(o.type), "expr": o.text, "description": o.description}
            for o in members.outputs
        ],
    }


def _input(rule: Rule, spec) -> dict[str, Any]:
    kind = spec.type.kind
    out: dict[str, Any] = {"name": spec.name, "type": kind.value, "description": spec.description}
    if spec.type.values:
        out["values"] = list(spec.type.values)
    for label, bound in (("min", spec.minimum), ("max", spec.maximum)):
        if bound is not None:
            out[label] = json_value(bound, kind, rule.currency)
    out["required"] = not spec.has_default
    if spec.has_default:
        out["default"] = json_value(spec.default, kind, rule.currency)
    return out


def _parameter(rule: Rule, parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "type": str(parameter.type),
        "shape": "list" if parameter.is_list else parameter.shape.value,
        "description": parameter.description,
        **(
            {"as_at": {"period": parameter.as_at[0], "start_month": parameter.as_at[1]}}
            if parameter.as_at
            else {}
        ),
        "versions": [
            {"since": from_day_number(v.since).isoformat(), "value": _value(rule, parameter, v.value)}
            for v in parameter.versions
        ],
    }


def _value(rule: Rule, parameter: Parameter, value: Any) -> Any:
    kind = parameter.type.kind
    if parameter.shape is Shape.BRACKETS and isinstance(value, Brackets):
        over = parameter.over.kind if parameter.over else kind
        return [
            {"from": json_value(t, over, rule.currency), "value": json_value(v, kind, rule.currency)}
            for t, v in zip(value.thresholds, value.values, strict=True)
        ]
    if isinstance(value, dict):
        return {k: _value(rule, parameter, v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [json_value(v, kind, rule.currency) for v in value]
    return json_value(value, kind, rule.currency)
