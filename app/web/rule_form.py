"""An eligibility form built from a rule file's inputs, and the case read back from it.

The fields come from the rule's own description (app/eligibility/describe.py: each input's type, allowed
values, bounds, default and description), so a new input in a rule file appears on the form with no page
change. A household rule gets one group of fields per member, prefilled from the registry
(app/eligibility/registry_input.py). Reading the form back converts each text to the JSON value the API
takes and leaves validation to the rule's own input parser, which names the field that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MEMBER_PREFIX = "m"  # member fields are named m<index>.<input>


@dataclass(frozen=True)
class Field:
    name: str  # the form field's name
    input: str  # the rule input it fills
    kind: str  # integer | number | money | boolean | date | enum
    description: str
    values: tuple[str, ...]  # an enum's choices
    minimum: Any
    maximum: Any
    required: bool
    value: str  # what the field shows (prefilled, posted back, or the default)

    @property
    def label(self) -> str:
        return self.input.replace("_", " ").capitalize()

    @property
    def checked(self) -> bool:
        return self.value in ("true", "on", "1")

    @property
    def step(self) -> str:
        return {"integer": "1", "money": "0.01"}.get(self.kind, "any")


@dataclass(frozen=True)
class Member:
    index: int
    id: str
    role: str
    fields: list[Field]


@dataclass(frozen=True)
class RuleForm:
    programme: str
    title: str
    description: str
    fields: list[Field]  # the case's own inputs (for a household: the household's)
    members: list[Member]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fields(inputs: list[dict[str, Any]], prefix: str, given: Mapping[str, Any]) -> list[Field]:
    fields = []
    for spec in inputs:
        name = f"{prefix}{spec['name']}"
        value = given.get(spec["name"], spec.get("default"))
        fields.append(
            Field(
                name,
                spec["name"],
                spec["type"],
                spec.get("description", ""),
                tuple(spec.get("values", ())),
                spec.get("min"),
                spec.get("max"),
                spec.get("required", True),
                _text(value),
            )
        )
    return fields


def build(detail: dict[str, Any], case: Mapping[str, Any] | None = None) -> RuleForm:
    """The form for a rule (`detail` as describe.detail gives it), showing `case`'s values where it has
    them: the registry's prefill, or a case read back from a posted form."""
    case = case or {}
    members = []
    if detail.get("members"):
        member_inputs = [i for i in detail["members"]["inputs"] if i["name"] not in ("id", "role")]
        for index, member in enumerate(case.get("members", [])):
            prefix = f"{MEMBER_PREFIX}{index}."
            members.append(
                Member(index, member["id"], member["role"], _fields(member_inputs, prefix, member))
            )
    return RuleForm(
        detail["id"],
        detail["title"],
        detail.get("description", ""),
        _fields(detail["inputs"], "", case),
        members,
    )


def _value(kind: str, text: str) -> Any:
    """The JSON value of a field's text; text that does not convert goes through as it is, and the rule's
    input parser then says what is wrong with it."""
    text = text.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text
    if kind == "boolean":
        return text in ("true", "on", "1")
    return text


def _read(fields: list[Field], form: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields:
        text = form.get(field.name, "")
        if field.kind == "boolean":
            values[field.input] = _value("boolean", text)  # an unticked box is not sent: false
        elif text.strip():
            values[field.input] = _value(field.kind, text)
        # an empty optional field is left out, so the rule's default applies
    return values


def case_from(detail: dict[str, Any], form: Mapping[str, str], members: list[dict[str, str]]) -> dict:
    """The case a posted form describes. `members` are the household's members (id and role) in the order
    the form numbered them; ids and roles come from the registry, never from the form."""
    blank = build(detail, {"members": members})
    case = _read(blank.fields, form)
    if detail.get("members"):
        case["members"] = [{"id": m.id, "role": m.role, **_read(m.fields, form)} for m in blank.members]
    return case
