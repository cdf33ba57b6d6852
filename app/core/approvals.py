"""Four eyes, built once for every kind of money decision (provider claims, employer claims, payment
batches): whoever prepared or submitted a thing cannot approve it; above a configurable amount it needs
two different approvers; every approval and rejection is audited. Domains open an approval when they
create the thing, and call approve/reject; they act (post to the ledger) when `approve` says it is final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.roles import Role
from app.core.settings import get_settings
from app.core.sql import Sql

APPROVER_ROLES = (Role.FINANCE_OFFICER, Role.APPROVER)
UNDECIDED = ("submitted", "second_approval_due")  # the statuses of a claim still to be decided
APPROVED = ("approved", "partly_approved")  # a claim approved in whole or in part
CLAIM_STATUSES = (*UNDECIDED, *APPROVED, "rejected")  # every status of a provider or employer claim


def approved_before(sql: Sql, n: int) -> str:
    """The claim `c` (joined with `decided_join`) was approved before timestamp argument n: its final
    approval, or its submission when it has no approval row."""
    return sql.before("COALESCE(ap.decided_at, c.submitted_at)", n)


def decided_join(subject_column: str) -> str:
    """A join giving `ap.decided_at`: when the subject in `subject_column` was finally approved (NULL when
    it has no approval row, e.g. a claim recorded by an import)."""
    return (
        "LEFT JOIN (SELECT subject_id, MAX(decided_at) AS decided_at FROM approval WHERE status = 'approved' "
        f"GROUP BY subject_id) ap ON ap.subject_id = {subject_column}"
    )


@dataclass(frozen=True)
class ApprovalState:
    id: str
    subject_type: str
    subject_id: str
    amount_minor: int
    required: int
    approvers: list[str]
    selection: Any
    status: str

    @property
    def final(self) -> bool:
        return self.status == "approved"


def required_approvers(amount_minor: int) -> int:
    return 2 if amount_minor > get_settings().approval_second_approver_limit_minor else 1


async def open_approval(
    actor: Actor,
    subject_type: str,
    subject_id: str,
    amount_minor: int,
    currency: str,
    prepared_by: list[str],
    required: int | None = None,
) -> str:
    """In the caller's transaction: a pending approval for a thing just prepared or submitted. `required`
    (approvers needed) defaults to the second-approver limit's answer; payment runs pass their value band."""
    approval_id = new_id("apr")
    await Sql().insert_many(
        "approval",
        (
            "public_id",
            "subject_type",
            "subject_id",
            "amount_minor",
            "currency",
            "prepared_by",
            "required",
            "approvals",
            "selection",
            "status",
            "reason",
            "created_at",
        ),
        [
            (
                approval_id,
                subject_type,
                subject_id,
                amount_minor,
                currency,
                json.dumps(prepared_by),
                required if required is not None else required_approvers(amount_minor),
                "[]",
                "",
                "pending",
                "",
                utcnow(),
            )
        ],
    )
    return approval_id


async def _locked(sql: Sql, subject_type: str, subject_id: str) -> dict[str, Any]:
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = await sql.fetch(
        f"SELECT * FROM approval WHERE subject_type = $1 AND subject_id = $2{lock}", subject_type, subject_id
    )
    if not rows:
        raise NotFound("approval")
    return rows[0]


def _state(
    row: dict[str, Any], approvals: list[dict[str, Any]], status: str, selection: Any
) -> ApprovalState:
    return ApprovalState(
        row["public_id"],
        row["subject_type"],
        row["subject_id"],
        row["amount_minor"],
        row["required"],
        [a["user"] for a in approvals],
        selection,
        status,
    )


def _check_approver(actor: Actor, row: dict[str, Any], approvals: list[dict[str, Any]]) -> None:
    if not actor.has_any(*APPROVER_ROLES):
        raise Forbidden("not_an_approver", "only finance officers and approvers approve", None)
    if actor.public_id in json.loads(row["prepared_by"]):
        raise Forbidden("four_eyes", "whoever prepared or submitted this cannot approve it", None)
    if any(a["user"] == actor.public_id for a in approvals):
        raise Conflict("already_approved_by_you", "a second approval must come from someone else", None)
    if row["status"] != "pending":
        raise Conflict("approval_closed", f"this was already {row['status']}", None)


async def approve(
    actor: Actor,
    subject_type: str,
    subject_id: str,
    selection: Any = None,
    total_minor: int | None = None,
) -> ApprovalState:
    """In the caller's transaction. `selection` is what is approved (e.g. claim lines): the first approver
    sets it and a second approver must approve the same. `total_minor`, when given, is what the payee
    would then have approved in the service period, this selection included: the first approval decides
    from it whether a second approver is needed (the limit applies to that total, not to one claim).
    Returns the state; `final` once enough approved."""
    sql = Sql()
    row = await _locked(sql, subject_type, subject_id)
    approvals = json.loads(row["approvals"])
    _check_approver(actor, row, approvals)
    agreed = json.loads(row["selection"]) if row["selection"] else None
    if approvals and selection is not None and selection != agreed:
        raise Conflict("selection_differs", "the first approver approved a different selection", "lines")
    chosen = agreed if approvals else selection
    required = row["required"]
    if not approvals and total_minor is not None:
        required = required_approvers(total_minor)
    approvals.append({"user": actor.public_id, "at": utcnow().isoformat()})
    status = "approved" if len(approvals) >= required else "pending"
    await sql.execute(
        "UPDATE approval SET approvals = $1, selection = $2, status = $3, decided_at = $4, required = $5 "
        "WHERE public_id = $6",
        json.dumps(approvals),
        json.dumps(chosen) if chosen is not None else "",
        status,
        utcnow() if status == "approved" else None,
        required,
        row["public_id"],
    )
    await audit.record(
        actor,
        "approval.approve",
        subject_type,
        subject_id,
        after={"approvals": len(approvals), "required": required, "status": status},
    )
    return _state({**row, "required": required}, approvals, status, chosen)


async def reject(actor: Actor, subject_type: str, subject_id: str, reason: str) -> ApprovalState:
    sql = Sql()
    row = await _locked(sql, subject_type, subject_id)
    approvals = json.loads(row["approvals"])
    if not actor.has_any(*APPROVER_ROLES):
        raise Forbidden("not_an_approver", "only finance officers and approvers reject", None)
    if actor.public_id in json.loads(row["prepared_by"]):
        raise Forbidden("four_eyes", "whoever prepared or submitted this cannot decide on it", None)
    if row["status"] != "pending":
        raise Conflict("approval_closed", f"this was already {row['status']}", None)
    await sql.execute(
        "UPDATE approval SET status = 'rejected', reason = $1, decided_at = $2 WHERE public_id = $3",
        reason,
        utcnow(),
        row["public_id"],
    )
    await audit.record(actor, "approval.reject", subject_type, subject_id, after={"reason": reason})
    return _state(row, approvals, "rejected", None)


# --- claims made of lines (provider and employer claims) ---------------------------------------


async def lock_undecided(sql: Sql, table: str, prefix: str, claim_id: str) -> dict[str, Any]:
    """In the caller's transaction: the claim, locked, if it exists and is still to be decided."""
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = (
        await sql.fetch(f"SELECT * FROM {table} WHERE public_id = $1{lock}", claim_id)
        if has_prefix(claim_id, prefix)
        else []
    )
    if not rows:
        raise NotFound("claim")
    if rows[0]["status"] not in UNDECIDED:
        raise Conflict("claim_decided", f"the claim is already {rows[0]['status']}", None)
    return rows[0]


async def lock_payee_periods(sql: Sql, subject_type: str, payee: str, periods: list[str]) -> None:
    """In the caller's transaction: serialise approvals for one payee and service period (a month), so
    two officers approving two claims of one employer's month at once both count the other's. On SQLite
    the write transaction already runs alone."""
    if not sql.postgres:
        return
    for period in sorted(set(periods)):
        await sql.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{subject_type}:{payee}:{period}")


async def approve_lines(
    actor: Actor,
    subject_type: str,
    claim_id: str,
    requested: list[int] | None,
    payable: dict[int, int],
    approved_before_minor: int,
) -> set[int] | None:
    """Approve a claim whole (`requested` None) or some of its payable lines (line number -> amount).
    `approved_before_minor` is what the payee already has approved for the same service period in other
    claims (the caller holds lock_payee_periods): the second-approver limit applies to that plus these
    lines. Returns the lines to pay once the approval is final, or None while a second approver is due."""
    if requested is not None and not set(requested) <= set(payable):
        unknown = sorted(set(requested) - set(payable))
        raise ValidationFailed(
            "not_payable_lines", f"lines {unknown} are not payable lines of this claim", "lines"
        )
    selected = set(payable) if requested is None else set(requested)
    total = approved_before_minor + sum(payable[n] for n in selected)
    state = await approve(
        actor, subject_type, claim_id, sorted(requested) if requested is not None else None, total
    )
    if not state.final:
        return None
    return set(payable) if state.selection is None else set(state.selection)
