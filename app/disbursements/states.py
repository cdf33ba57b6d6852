"""An instruction's lifecycle, as data: which state may follow which, and what each state means for the
payables it carries and for the ledger. Pure; no database.

    draft -> approved -> submitting (Stripe: key stored, call in flight) -> submitted -> accepted -> settled
    exits: cancelled (before submission), rejected (by the bank), failed (refused or reversed before
    settling), returned (after settling). An exit is final: the payables reopen for a follow-up.
"""

from __future__ import annotations

from app.core.errors import Conflict

DRAFT = "draft"
APPROVED = "approved"
SUBMITTING = "submitting"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
SETTLED = "settled"
CANCELLED = "cancelled"
REJECTED = "rejected"
FAILED = "failed"
RETURNED = "returned"

EXITS = frozenset({CANCELLED, REJECTED, FAILED, RETURNED})
IN_TRANSIT = frozenset({SUBMITTED, ACCEPTED})  # payable moved to payments in transit, not settled
NOT_SUBMITTED = frozenset({DRAFT, APPROVED, SUBMITTING})  # nothing posted yet
RETRIED_AFTER = frozenset({REJECTED, FAILED, RETURNED})  # a follow-up instruction points back to these

NEXT: dict[str, frozenset[str]] = {
    DRAFT: frozenset({APPROVED, CANCELLED}),
    APPROVED: frozenset({SUBMITTING, SUBMITTED, CANCELLED}),
    SUBMITTING: frozenset({SUBMITTED, FAILED}),
    SUBMITTED: frozenset({ACCEPTED, SETTLED, REJECTED, FAILED}),
    ACCEPTED: frozenset({SETTLED, REJECTED, FAILED}),
    SETTLED: frozenset({RETURNED}),
}


def may_move(current: str, new: str) -> bool:
    return new in NEXT.get(current, frozenset())


def check_move(instruction: str, current: str, new: str) -> None:
    if not may_move(current, new):
        raise Conflict(
            "invalid_transition", f"instruction {instruction} is {current}; it cannot become {new}"
        )
