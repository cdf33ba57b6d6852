"""Posted entries as immutable records, and reading them back by chain position.

Both the posting path (an idempotent retry returns the entries first posted) and the read API use these.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from app.core.db import as_date, raw
from app.core.errors import NotFound


class PostedLeg(NamedTuple):
    account_id: int
    code: str
    fund: str
    programme: str
    party: str
    amount: int
    currency: str


class PostedEntry(NamedTuple):
    id: str
    seq: int
    kind: str
    effective_date: dt.date
    description: str
    reference_type: str
    reference_id: str
    reverses: str | None
    idempotency_key: str
    created_at: dt.datetime
    created_by: str
    legs: tuple[PostedLeg, ...]


def entry_public_id(seq: int) -> str:
    return f"je_{seq}"


def parse_entry_id(value: str) -> int | None:
    head, _, tail = value.partition("_")
    return int(tail) if head == "je" and tail.isdigit() and len(tail) < 19 else None


async def load_entries(seqs: Sequence[int]) -> list[PostedEntry]:
    """Entries by chain position, with their postings, in the order asked."""
    if not seqs:
        return []
    entries: dict[int, dict] = {}
    legs: dict[int, list[PostedLeg]] = defaultdict(list)
    for start in range(0, len(seqs), 500):
        chunk = list(seqs[start : start + 500])
        marks = ", ".join("{}" for _ in chunk)
        for row in await raw(f"SELECT * FROM ledger_entry WHERE id IN ({marks})", *chunk):
            entries[row["id"]] = row
        for row in await raw(_LEGS_SQL + f" WHERE po.entry IN ({marks}) ORDER BY po.id", *chunk):
            legs[row["entry"]].append(_leg(row))
    return [_entry(entries[s], legs[s]) for s in seqs if s in entries]


_LEGS_SQL = (
    "SELECT po.entry, po.account, po.amount, po.currency, ch.code, f.code AS fund, p.code AS programme, "
    "a.party FROM ledger_posting po JOIN ledger_account a ON a.id = po.account "
    "JOIN ledger_chart ch ON ch.id = a.chart JOIN ledger_fund f ON f.id = a.fund "
    "JOIN ledger_programme p ON p.id = a.programme"
)


def _leg(row: dict) -> PostedLeg:
    return PostedLeg(
        row["account"],
        row["code"],
        row["fund"],
        row["programme"],
        row["party"],
        row["amount"],
        row["currency"],
    )


def _entry(row: dict, legs: list[PostedLeg]) -> PostedEntry:
    return PostedEntry(
        id=entry_public_id(row["id"]),
        seq=row["id"],
        kind=row["kind"],
        effective_date=as_date(row["effective_date"]),
        description=row["description"],
        reference_type=row["reference_type"],
        reference_id=row["reference_id"],
        reverses=entry_public_id(row["reverses"]) if row["reverses"] is not None else None,
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        legs=tuple(legs),
    )


async def get_entry(seq: int) -> PostedEntry:
    found = await load_entries([seq])
    if not found:
        raise NotFound("entry")
    return found[0]
