"""A rule's household input from the registry: the household's participants and children as members,
with what the registry knows of them (date of birth, a child's disability) under the rule's input names.
The caseworker adds what the registry does not hold (activity, income, hours of care) before deciding."""

from __future__ import annotations

from typing import Any

from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.eligibility.catalogue import catalogue
from app.registry import households, participants

# Registry field → the member input a rule usually calls it (used when the rule has that input).
FROM_PARTICIPANT = {"date_of_birth": "birth_date"}
FROM_CHILD = {"date_of_birth": "birth_date", "has_disability": "has_disability"}


async def household_case(
    actor: Actor, programme: str, household: str, adult_role: str = "parent", child_role: str = "child"
) -> dict[str, Any]:
    """{"members": [{id, role, birth_date, …}, …]} for `programme`'s rule, from registry household
    `household`: participants first (role `adult_role`), then children (role `child_role`)."""
    rule = catalogue().current(programme).rule
    if rule.members is None:
        raise ValidationFailed(
            "not_a_household_rule", f"{programme} decides one case, not a household", "programme"
        )
    for role, param in ((adult_role, "adult_role"), (child_role, "child_role")):
        if role not in rule.members.roles:
            raise ValidationFailed(
                "unknown_role",
                f"{programme}'s roles are {', '.join(rule.members.roles)}, not {role!r}",
                param,
            )
    participants.require_personal_access(actor)
    view = await households.get_household(actor, household)
    inputs = rule.members.inputs
    members = []
    for public_id in view.members:
        person = await participants.get(actor, public_id)
        members.append(_member(public_id, adult_role, person.personal or {}, FROM_PARTICIPANT, inputs))
    for child in await households.list_children(actor, household):
        members.append(_member(child.id, child_role, child.personal or {}, FROM_CHILD, inputs))
    return {"members": members}


def _member(
    public_id: str, role: str, personal: dict, fields: dict[str, str], inputs: dict
) -> dict[str, Any]:
    member: dict[str, Any] = {"id": public_id, "role": role}
    for field, name in fields.items():
        if name in inputs and personal.get(field) is not None:
            value = personal[field]
            member[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return member
