"""The integrity chain: each entry's hash covers its content, its postings and the previous hash.

Editing a posted entry, removing one or slipping one in changes a hash that later entries depend on, so
`grants ledger verify` finds the first entry where the chain breaks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class HashedPosting:
    account_id: int
    amount: int
    currency: str


@dataclass(frozen=True)
class HashedEntry:
    seq: int
    idempotency_key: str
    kind: str
    effective_date: dt.date
    description: str
    reference_type: str
    reference_id: str
    reverses: int | None
    created_by: str
    created_at: dt.datetime
    postings: Sequence[HashedPosting]


def _micros(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round(moment.timestamp() * 1_000_000)


def canonical(entry: HashedEntry) -> bytes:
    legs = sorted((p.account_id, p.amount, p.currency) for p in entry.postings)
    body = [
        entry.seq,
        entry.idempotency_key,
        entry.kind,
        entry.effective_date.isoformat(),
        entry.description,
        entry.reference_type,
        entry.reference_id,
        entry.reverses,
        entry.created_by,
        _micros(entry.created_at),
        legs,
    ]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: HashedEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(entry)).hexdigest()


def request_hash(parts: Iterable[object]) -> str:
    """A fingerprint of what was asked for, to tell a retry from a different request with the same key."""
    return hashlib.sha256(json.dumps(list(parts), default=str, separators=(",", ":")).encode()).hexdigest()
