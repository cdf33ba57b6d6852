"""Batch reads of payment instructions and their lines, for reconciliation (which matches bank bookings to
instructions and checks the ledger against them). One query each; nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from app.core.sql import Sql
from app.disbursements import states

_COLUMNS = (
    "public_id, run, payee, payee_kind, payee_name, method, currency, amount_minor, state, reason_code, "
    "reason, message_id, submitted_at, settled_at, ended_at"
)
POSTED = frozenset({states.SUBMITTED, states.ACCEPTED, states.SETTLED})  # the payable has left 2110


async def by_ids(sql: Sql, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await sql.fetch(
        f"SELECT {_COLUMNS} FROM payment_instruction i {sql.join_any(1, 'text', 'k')} "
        "ON k.value = i.public_id",
        wanted,
    )
    return {r["public_id"]: r for r in rows}


async def in_messages(sql: Sql, message_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The instructions each pain.001 message carried."""
    if not message_ids:
        return {}
    rows = await sql.fetch(
        f"SELECT {_COLUMNS} FROM payment_instruction WHERE message_id <> '' "  # its partial index
        f"AND message_id {sql.any_(1, 'text')} ORDER BY public_id",
        sorted(set(message_ids)),
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["message_id"]].append(r)
    return dict(out)


async def sent_by_bank_since(sql: Sql, since: dt.datetime) -> list[dict[str, Any]]:
    """SEPA instructions handed to the bank since `since` (in transit, settled, or ended after that):
    the ones a bank statement should show."""
    return await sql.fetch(
        f"SELECT {_COLUMNS} FROM payment_instruction WHERE method = 'sepa' AND submitted_at >= $1 "
        "ORDER BY public_id",
        since if sql.postgres else since.isoformat(),
    )


def _live_at(sql: Sql, n: int, alias: str = "") -> str:
    """An instruction submitted before timestamp argument n and not ended (rejected, failed, returned)
    before it: its payable had left 2110 then."""
    a = f"{alias}." if alias else ""
    return (
        f"{a}submitted_at IS NOT NULL AND {sql.before(f'{a}submitted_at', n)} "
        f"AND NOT ({a}ended_at IS NOT NULL AND {sql.before(f'{a}ended_at', n)})"
    )


async def in_transit(sql: Sql, until: dt.datetime | None = None) -> dict[str, tuple[int, int]]:
    """Per currency: (count, sum) of instructions submitted and not yet settled; with `until`, as they
    stood then (submitted before it, and neither settled nor ended before it)."""
    if until is not None:
        rows = await sql.fetch(
            "SELECT currency, COUNT(*) AS n, SUM(amount_minor) AS amount FROM payment_instruction "
            f"WHERE {_live_at(sql, 1)} AND NOT (settled_at IS NOT NULL AND {sql.before('settled_at', 1)}) "
            "GROUP BY currency",
            sql.stamp(until),
        )
        return {r["currency"]: (int(r["n"]), int(r["amount"] or 0)) for r in rows}
    rows = await sql.fetch(
        "SELECT currency, COUNT(*) AS n, SUM(amount_minor) AS amount FROM payment_instruction "
        f"WHERE state {sql.any_(1, 'text')} GROUP BY currency",
        sorted(states.IN_TRANSIT),
    )
    return {r["currency"]: (int(r["n"]), int(r["amount"] or 0)) for r in rows}


async def posted_lines(sql: Sql, until: dt.datetime | None = None) -> dict[tuple[str, str, str, str], int]:
    """Per (payee, fund, programme, payable key): what live lines of submitted, accepted or settled
    instructions took out of the payables; with `until`, of instructions submitted before it and not
    ended before it. (A line is live unless its instruction ended; an ended one's payable reopened.)"""
    if until is None:
        where, args = f"l.live AND i.state {sql.any_(1, 'text')}", [sorted(POSTED)]
    else:
        where, args = _live_at(sql, 1, "i"), [sql.stamp(until)]
    rows = await sql.fetch(
        "SELECT i.payee, l.fund, l.programme, l.payable, SUM(l.amount_minor) AS amount FROM payment_line l "
        "JOIN payment_instruction i ON i.public_id = l.instruction "
        f"WHERE {where} GROUP BY i.payee, l.fund, l.programme, l.payable",
        *args,
    )
    return {(r["payee"], r["fund"], r["programme"], r["payable"]): int(r["amount"]) for r in rows}


async def settled_lines(sql: Sql, until: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per settled instruction and source (claim or stipend): the amount paid; with `until`, of the
    instructions settled before it and not returned before it."""
    if until is None:
        where, args = "l.live AND i.state = 'settled'", []
    else:
        where = (
            f"i.settled_at IS NOT NULL AND {sql.before('i.settled_at', 1)} "
            f"AND NOT (i.ended_at IS NOT NULL AND {sql.before('i.ended_at', 1)})"
        )
        args = [sql.stamp(until)]
    return await sql.fetch(
        "SELECT l.instruction, l.source_type, l.source_id, SUM(l.amount_minor) AS amount FROM payment_line l "
        f"JOIN payment_instruction i ON i.public_id = l.instruction WHERE {where} "
        "GROUP BY l.instruction, l.source_type, l.source_id",
        *args,
    )


async def legs(sql: Sql, instruction: str) -> list[tuple[str, str, int]]:
    """An instruction's (fund, programme, amount) legs."""
    rows = await sql.fetch(
        "SELECT fund, programme, SUM(amount_minor) AS amount FROM payment_line WHERE instruction = $1 "
        "GROUP BY fund, programme ORDER BY fund, programme",
        instruction,
    )
    return [(r["fund"], r["programme"], int(r["amount"])) for r in rows]


async def rejected_or_failed(sql: Sql) -> list[dict[str, Any]]:
    """Instructions the bank rejected or Stripe failed (their payables reopened)."""
    return await sql.fetch(
        f"SELECT {_COLUMNS} FROM payment_instruction WHERE state IN ('rejected', 'failed') ORDER BY public_id"
    )


async def stripe_runs(sql: Sql) -> list[str]:
    """Runs with instructions sent to Stripe (their transfers carry the run id as transfer_group)."""
    rows = await sql.fetch(
        "SELECT DISTINCT run FROM payment_instruction WHERE method = 'stripe' AND submitted_at IS NOT NULL "
        "ORDER BY run"
    )
    return [r["run"] for r in rows]
