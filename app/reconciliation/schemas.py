"""Request bodies of the reconciliation API (replies are the services' views, as JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from app.core.schemas import Input

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class RunIn(Input):
    as_of: dt.date | None = None


class AssignIn(Input):
    assignee: Annotated[str, msgspec.Meta(min_length=5, max_length=32, description="a user id, usr_…")]
    due_date: dt.date | None = None


class ResolveIn(Input):
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
    reason: Reason
