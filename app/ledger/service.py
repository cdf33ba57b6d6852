"""What other domains call to move money through the budget stages. They never write postings themselves.

Every call takes an idempotency key: the same call twice posts once and returns the first result. Calls
made inside the caller's transaction join it, so a voucher and its commitment are written together or not
at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from app.core.actor import Actor
from app.core.db import today
from app.ledger import entries, posting
from app.ledger.entries import PostedEntry
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import (
    AccountKey,
    Draft,
    Kind,
    Leg,
    Operation,
    Target,
    draft_for,
    reversal_draft,
)

__all__ = [
    "AccountKey",
    "Kind",
    "Leg",
    "Operation",
    "PostedEntry",
    "Target",
    "apply",
    "apply_one",
    "journal",
    "reverse",
    "reverse_many",
]


async def apply(actor: Actor, operations: Sequence[Operation]) -> list[PostedEntry]:
    """Post a batch of operations, all or nothing."""
    legs_made: dict = {}
    return await posting.post(actor, [draft_for(op, legs_made) for op in operations])


async def apply_one(actor: Actor, operation: Operation) -> PostedEntry:
    return (await apply(actor, [operation]))[0]


async def journal(
    actor: Actor,
    legs: Sequence[Leg],
    *,
    idempotency_key: str,
    effective_date: dt.date,
    description: str,
    reference_type: str = "",
    reference_id: str = "",
) -> PostedEntry:
    """A manual entry by a finance officer. Each track must balance, like every other entry."""
    draft = Draft(
        kind=Kind.JOURNAL,
        idempotency_key=idempotency_key,
        effective_date=effective_date,
        legs=tuple(legs),
        description=description,
        reference_type=reference_type,
        reference_id=reference_id,
    )
    return (await posting.post(actor, [draft]))[0]


async def reverse(
    actor: Actor, seq: int, *, idempotency_key: str, reason: str, effective_date: dt.date | None = None
) -> PostedEntry:
    """Cancel an entry by posting its mirror image, dated in an open month, pointing at the original."""
    found = await entries.load_entries([seq])
    if not found:
        raise LedgerRefusal(Refusal.UNKNOWN_ENTRY, f"no entry je_{seq}", "entry")
    original = found[0]
    legs = [
        Leg(AccountKey(leg.code, leg.fund, leg.programme, leg.party), leg.amount) for leg in original.legs
    ]
    draft = reversal_draft(
        seq,
        legs,
        idempotency_key,
        effective_date or today(),
        reason,
        original.reference_type,
        original.reference_id,
    )
    return (await posting.post(actor, [draft]))[0]


async def reverse_many(
    actor: Actor, requests: Sequence[tuple[int, str, str]], effective_date: dt.date | None = None
) -> list[PostedEntry]:
    """Reverse several entries at once, all or nothing: each request is (entry seq, idempotency key,
    reason). Used when a whole bank file is rejected: one posting call instead of one per entry."""
    if not requests:
        return []
    found = {entry.seq: entry for entry in await entries.load_entries([seq for seq, _, _ in requests])}
    drafts = []
    for i, (seq, key, reason) in enumerate(requests):
        original = found.get(seq)
        if original is None:
            raise LedgerRefusal(Refusal.UNKNOWN_ENTRY, f"no entry je_{seq}", "entry", i)
        legs = [Leg(AccountKey(g.code, g.fund, g.programme, g.party), g.amount) for g in original.legs]
        drafts.append(
            reversal_draft(
                seq,
                legs,
                key,
                effective_date or today(),
                reason,
                original.reference_type,
                original.reference_id,
            )
        )
    return await posting.post(actor, drafts)
