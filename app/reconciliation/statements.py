"""Importing bank statements (camt.053) and notifications (camt.054) into bookings, idempotently.

Refused, importing nothing: a malformed file (with the line), a statement for an account that is not
ours, a statement whose sequence number leaves a gap after the last one imported, an amount with more
decimals than its currency has, a statement whose balances do not add up. The same file again changes
nothing; an overlapping export adds only the entries not seen before (a booking's identity is the account
and the bank's reference, AcctSvcrRef, or else the statement id and the entry's reference).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app.core.actor import Actor
from app.core.db import utcnow
from app.core.errors import ValidationFailed
from app.core.ids import new_ids
from app.core.sql import Sql
from app.reconciliation import camt, config
from app.reconciliation.matching import BookingIn, Tx

_OTHER_FAMILIES = frozenset({"CHRG", "INTR", "FEES", "TAXE"})
BOOKING_COLUMNS = (
    "public_id", "identity", "statement", "account", "reference", "line", "booked", "currency",
    "amount_minor", "kind", "return_reason", "batch_message_id", "txs", "counterparty", "info", "state",
)  # fmt: skip


def identity(statement: camt.BankStatement, entry: camt.BankEntry) -> str:
    if entry.reference:
        return f"{statement.iban}|ref|{entry.reference}"[:200]
    return f"{statement.iban}|{statement.statement_id}|{entry.entry_ref or entry.position}"[:200]


def kind_of(entry: camt.BankEntry) -> str:
    if entry.is_return:
        return "return"
    if entry.amount_minor < 0 and entry.family not in _OTHER_FAMILIES:
        return "payment"
    return "other"


def check_account(statement: camt.BankStatement) -> None:
    ours = config.own_accounts()
    if statement.iban not in ours:
        shown = ", ".join(sorted(ours)) or "none configured (GRANTS_RECON_ACCOUNTS)"
        raise ValidationFailed(
            "unknown_account",
            f"Acct/Id/IBAN: the statement is for {statement.iban}, which is not an account of the "
            f"programme ({shown})",
            "Acct/Id/IBAN",
        )


async def check_sequence(sql: Sql, statement: camt.BankStatement) -> None:
    """Statements of an account come numbered (ElctrncSeqNb): a gap means one is missing."""
    if statement.sequence is None or statement.kind != "camt.053":
        return
    rows = await sql.fetch(
        "SELECT MAX(sequence) AS last FROM recon_statement WHERE account = $1 AND kind = 'camt.053'",
        statement.iban,
    )
    last = rows[0]["last"] if rows else None
    if last is not None and statement.sequence > int(last) + 1:
        missing = (
            f"{int(last) + 1}"
            if statement.sequence == int(last) + 2
            else f"{int(last) + 1}-{statement.sequence - 1}"
        )
        raise ValidationFailed(
            "statement_gap",
            f"Stmt/ElctrncSeqNb: statement {statement.sequence} follows statement {last}: "
            f"statement(s) {missing} of {statement.iban} are missing; import them first",
            "Stmt/ElctrncSeqNb",
        )


async def seen(sql: Sql, digest: str) -> dict[str, Any] | None:
    rows = await sql.fetch("SELECT * FROM recon_statement WHERE digest = $1", digest)
    return rows[0] if rows else None


async def known_identities(sql: Sql, identities: Sequence[str]) -> set[str]:
    known: set[str] = set()
    unique = sorted(set(identities))
    for i in range(0, len(unique), 20_000):
        rows = await sql.fetch(
            f"SELECT b.identity FROM recon_booking b {sql.join_any(1, 'text', 'k')} ON k.value = b.identity",
            unique[i : i + 20_000],
        )
        known.update(r["identity"] for r in rows)
    return known


def _booking_row(
    public_id: str, statement_id: str, statement: camt.BankStatement, e: camt.BankEntry, key: str
) -> tuple:
    txs = [[t.end_to_end_id, t.amount_minor, t.name, t.return_reason] for t in e.txs]
    reason = next((t.return_reason for t in e.txs if t.return_reason), "")
    name = next((t.name for t in e.txs if t.name), "")
    return (
        public_id, key, statement_id, statement.iban, e.reference[:100], e.line, e.booked, statement.currency,
        e.amount_minor, kind_of(e), reason[:10], e.batch_message_id[:64], json.dumps(txs), name[:200],
        e.info, "unmatched",
    )  # fmt: skip


def booking_in(public_id: str, statement: camt.BankStatement, e: camt.BankEntry) -> BookingIn:
    """What matching needs of a new booking, straight from the file (no second read of what was written)."""
    txs = tuple(Tx(t.end_to_end_id, t.amount_minor, t.name, t.return_reason) for t in e.txs)
    name = next((t.name for t in e.txs if t.name), "")[:200]
    return BookingIn(
        public_id,
        e.amount_minor,
        statement.currency,
        e.booked,
        kind_of(e),
        txs,
        e.batch_message_id[:64],
        name,
    )


async def store(
    actor: Actor, sql: Sql, data: bytes, statement: camt.BankStatement
) -> tuple[dict[str, Any], list[BookingIn], Callable[[dict[str, str]], Awaitable[None]]]:
    """Write the statement (in the caller's transaction); return the new booked entries as matching reads
    them, and the writer of those bookings, to call with their states once matched."""
    booked = [e for e in statement.entries if e.status in ("BOOK", "")]
    keys = [identity(statement, e) for e in booked]
    dupes_in_file = len(keys) - len(set(keys))
    known = await known_identities(sql, keys)
    fresh, taken = [], set(known)
    for e, key in zip(booked, keys, strict=True):
        if key not in taken:
            taken.add(key)
            fresh.append((e, key))
    statement_public_id = new_ids("stm", 1)[0]
    opening, closing = statement.balance("OPBD"), statement.balance("CLBD")
    await sql.insert_many(
        "recon_statement",
        ("public_id", "kind", "account", "statement_id", "sequence", "message_id", "currency",
         "opening_minor", "closing_minor", "closing_date", "entries", "new_bookings", "digest", "imported_by",
         "imported_at"),
        [(statement_public_id, statement.kind, statement.iban, statement.statement_id[:64],
          statement.sequence,
          statement.message_id[:64], statement.currency, opening.amount_minor if opening else None,
          closing.amount_minor if closing else None, (closing.day or statement.to_date) if closing else None,
          len(statement.entries), len(fresh), hashlib.sha256(data).hexdigest(), actor.public_id, utcnow())],
    )  # fmt: skip
    ids = new_ids("bkg", len(fresh))

    async def write_bookings(state_of: dict[str, str]) -> None:
        """Written once matched, each with its state: no second pass over 100,000 fresh rows."""
        await sql.insert_many(
            "recon_booking",
            BOOKING_COLUMNS,
            (
                (*_booking_row(i, statement_public_id, statement, e, key)[:-1], state_of.get(i, "unmatched"))
                for i, (e, key) in zip(ids, fresh, strict=True)
            ),
            count=len(fresh),
        )

    summary = {
        "statement": statement_public_id,
        "kind": statement.kind,
        "account": statement.iban,
        "statement_id": statement.statement_id,
        "sequence": statement.sequence,
        "entries": len(statement.entries),
        "new_bookings": len(fresh),
        "already_known": len(booked) - len(fresh) - dupes_in_file,
        "repeated_in_file": dupes_in_file,
        "not_booked": len(statement.entries) - len(booked),
    }
    return (
        summary,
        [booking_in(i, statement, e) for i, (e, _) in zip(ids, fresh, strict=True)],
        write_bookings,
    )
