"""What waits for four eyes: the pending approvals of claims (and anything else opened through
app/core/approvals.py), newest first, with who submitted each, how many approvers it needs and who has
approved it so far — the finance officers' and approvers' queue. Reads only the approval table; the
pages add each claim's details from its own domain."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.pagination import Page, paginate
from app.core.tables import Approval

STAGES = ("first", "second")  # waiting for its first approval; approved once, waiting for the second


@dataclass(frozen=True)
class Waiting:
    id: str
    subject_type: str
    subject_id: str
    amount_minor: int
    currency: str
    prepared_by: list[str]
    required: int
    approved_by: list[str]
    status: str  # pending | approved | rejected
    reason: str
    created_at: dt.datetime
    selection: list[int] | None  # what the first approver approved (claim lines); None: the whole claim

    @property
    def second_due(self) -> bool:
        """Approved by some, not yet by enough: waiting for a second approver."""
        return self.status == "pending" and 0 < len(self.approved_by) < self.required

    def submitted_by(self, actor: Actor) -> bool:
        return actor.public_id in self.prepared_by

    def approved_by_actor(self, actor: Actor) -> bool:
        return actor.public_id in self.approved_by

    def may_decide(self, actor: Actor) -> bool:
        """The actor could approve or reject it now (the services check again when they do)."""
        return self.status == "pending" and not self.submitted_by(actor) and not self.approved_by_actor(actor)


def _waiting(row: dict) -> Waiting:
    return Waiting(
        row["public_id"],
        row["subject_type"],
        row["subject_id"],
        row["amount_minor"],
        row["currency"],
        json.loads(row["prepared_by"]),
        row["required"],
        [a["user"] for a in json.loads(row["approvals"])],
        row["status"],
        row["reason"],
        row["created_at"],
        json.loads(row["selection"]) if row["selection"] else None,
    )


def _refuse_outsiders(actor: Actor) -> None:
    if actor.is_outside:
        raise NotFound("approval")


async def pending(
    actor: Actor,
    subject_types: Sequence[str],
    *,
    limit: int,
    starting_after: str | None = None,
    stage: str | None = None,
    min_amount_minor: int | None = None,
    submitted_by: str | None = None,
) -> Page:
    """Pending approvals of these kinds, newest first; `starting_after` is an approval id (apr_…)."""
    _refuse_outsiders(actor)
    if stage is not None and stage not in STAGES:
        raise ValidationFailed("invalid_stage", f"stage is one of {', '.join(STAGES)}", "stage")
    where = [Approval.status == "pending", Approval.subject_type.is_in(list(subject_types))]
    if stage == "first":
        where.append(Approval.approvals == "[]")
    elif stage == "second":
        where.append(Approval.approvals != "[]")
    if min_amount_minor is not None:
        where.append(Approval.amount_minor >= min_amount_minor)
    if submitted_by:
        if not submitted_by.replace("_", "").isalnum():
            raise ValidationFailed("invalid_user", "give a user id such as usr_…", "submitted_by")
        # prepared_by is a JSON list of ids, which contain no quote: a quoted id matches one whole item
        where.append(Approval.prepared_by.like(f'%"{submitted_by}"%'))
    page = await paginate(Approval, Approval.all_columns(), where, limit, starting_after)
    return Page(rows=[_waiting(r) for r in page.rows], has_more=page.has_more)


async def for_subject(actor: Actor, subject_type: str, subject_id: str) -> Waiting | None:
    """The approval of one thing, whatever its status (None if it has none)."""
    _refuse_outsiders(actor)
    row = (
        await Approval.select()
        .where(Approval.subject_type == subject_type, Approval.subject_id == subject_id)
        .first()
    )
    return _waiting(row) if row else None
