"""The roles people hold, and which of them belong to an outside organisation."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    FINANCE_OFFICER = "finance_officer"
    APPROVER = "approver"
    BUDGET_HOLDER = "budget_holder"
    PROVIDER = "provider"
    EMPLOYER = "employer"
    AUDITOR = "auditor"


ALL_ROLES: frozenset[Role] = frozenset(Role)

# Users with these roles act for one outside organisation and see only its records.
ORGANISATION_ROLES: dict[Role, str] = {Role.PROVIDER: "provider", Role.EMPLOYER: "employer"}

STAFF_ROLES: frozenset[Role] = ALL_ROLES - frozenset(ORGANISATION_ROLES)

# Least privilege for personal data: only caseworkers, who register and assess people, see it.
PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({Role.CASEWORKER})


def parse_roles(text: str) -> frozenset[Role]:
    return frozenset(Role(part) for part in text.split(",") if part)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


def check_role_combination(roles: frozenset[Role], organisation_kind: str | None) -> str | None:
    """Why this set of roles cannot be given to a user with this organisation, or None if it can."""
    if not roles:
        return "a user needs at least one role"
    outside = roles & frozenset(ORGANISATION_ROLES)
    if outside and roles - outside:
        return "provider and employer roles cannot be combined with staff roles"
    if len(outside) > 1:
        return "a user acts for one organisation: provider or employer, not both"
    if outside:
        (role,) = outside
        needed = ORGANISATION_ROLES[role]
        if organisation_kind != needed:
            return f"a {role.value} user must belong to a {needed} organisation"
    elif organisation_kind is not None:
        return "staff users do not belong to an outside organisation"
    return None
