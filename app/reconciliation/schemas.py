"""Request bodies of the reconciliation API (replies are the services' views, as JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec

from app.core.schemas import Input

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class RunIn(Input):
    example: ClassVar[dict[str, Any]] = {"as_of": "2026-03-31"}
    as_of: dt.date | None = None


class AssignIn(Input):
    example: ClassVar[dict[str, Any]] = {"assignee": "usr_0k2m4p6r8t0v2x4z", "due_date": "2026-03-13"}
    assignee: Annotated[str, msgspec.Meta(min_length=5, max_length=32, description="a user id, usr_…")]
    due_date: dt.date | None = None


class ResolveIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "resolution": "matched_by_hand",
        "reason": "the provider was paid in two parts",
        "params": {"instruction": "pin_2m4p6r8t0v2x4z6b"},
    }
    resolution: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^(matched_by_hand|fixed_by_booking|accepted|written_off|reissued)$",
            description="matched_by_hand, fixed_by_booking, accepted, written_off or reissued",
        ),
    ]
    reason: Reason
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class ReasonIn(Input):
    example: ClassVar[dict[str, Any]] = {"reason": "the statement line belongs to another account"}
    reason: Reason
