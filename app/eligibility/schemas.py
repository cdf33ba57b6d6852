"""Request and response shapes of the eligibility API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec

from app.core.schemas import Input

ParticipantId = Annotated[str, msgspec.Meta(max_length=32, description="a registered participant, par_…")]


# A household of the childcare rule (rules/childcare_voucher.yaml): one employed parent, one toddler.
HOUSEHOLD_EXAMPLE: dict[str, Any] = {
    "members": [
        {
            "id": "parent",
            "role": "parent",
            "birth_date": "1990-04-01",
            "activity": "employment",
            "weekly_activity_hours": 30,
            "activity_start": "2025-06-01",
            "monthly_income": "1200.00",
        },
        {"id": "child", "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 35},
    ]
}


class EvaluateIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "input": HOUSEHOLD_EXAMPLE,
        "date": "2026-03-02",
        "store": False,
    }
    # A household's rule: the household's inputs and "members": [{"id", "role", …inputs}, …]
    input: dict[str, Any]
    date: dt.date | None = None  # the date to decide for; default today
    participant: ParticipantId | None = None
    store: bool = True


class BatchIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "cases": [HOUSEHOLD_EXAMPLE],
        "date": "2026-03-02",
        "store": False,
    }
    cases: Annotated[list[dict[str, Any]], msgspec.Meta(min_length=1, max_length=10_000)]
    date: dt.date | None = None
    store: bool = False


class ConditionOut(msgspec.Struct):
    id: str
    met: bool
    rule: str
    values: dict[str, Any]
    reason: str | None = None
    description: str | None = None


class DecisionOut(msgspec.Struct, omit_defaults=False):
    id: str | None
    programme: str
    version: str
    as_of: str
    eligible: bool
    outputs: dict[str, Any]
    failed: list[str]
    # A household's decision: per member its id, role, eligibility, failed member conditions, outputs.
    members: list[dict[str, Any]] | None = None
    inputs: dict[str, Any] | None = None  # personal data: caseworkers only
    explanation: dict[str, Any] | None = None  # personal data: caseworkers only
    participant: str | None = None
    batch: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    rerun: dict[str, Any] | None = None


class BatchOut(msgspec.Struct):
    batch: str | None
    decided: int
    rejected: int
    results: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class ProgrammeOut(msgspec.Struct):
    id: str
    title: str
    description: str
    currency: str
    version: str
    file: str
    parameters_change_on: list[str]
    versions_used: list[dict[str, Any]]


class ProgrammeDetailOut(ProgrammeOut):
    inputs: list[dict[str, Any]]
    members: dict[str, Any] | None
    parameters: list[dict[str, Any]]
    values: list[dict[str, Any]]
    conditions: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    tests: int


def decision_out(view: dict[str, Any], personal: bool) -> DecisionOut:
    fields = {k: view.get(k) for k in DecisionOut.__struct_fields__}
    if not personal:
        fields["inputs"] = None
        fields["explanation"] = None
    return DecisionOut(**fields)
