"""Moving instructions between states, with their ledger postings, many at a time, in the caller's
transaction. Every rail and every status source (release, Stripe webhooks, pain.002 imports) goes
through these three moves, so the ledger and the states can never disagree:

- submit: payable -> payments in transit (one entry per instruction and fund x programme);
- settle: payments in transit -> cash at bank or the Stripe balance; expended -> paid;
- end (an exit): the payables reopen; what had been posted is reversed (a return reverses the settlement
  too), each reversal pointing at what it reverses.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from app.core.actor import Actor
from app.core.db import utcnow
from app.core.sql import Sql
from app.disbursements import states
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target

REFERENCE = "payment_instruction"


async def lock(sql: Sql, ids: Sequence[str]) -> list[dict[str, Any]]:
    """The instructions, locked for update (PostgreSQL; SQLite's write lock is already held)."""
    if not ids:
        return []
    lock_clause = " ORDER BY id FOR UPDATE" if sql.postgres else " ORDER BY id"
    return await sql.fetch(
        f"SELECT * FROM payment_instruction WHERE public_id {sql.any_(1, 'text')}{lock_clause}", list(ids)
    )


async def legs(sql: Sql, ids: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
    """Each instruction's amounts per fund x programme."""
    rows = await sql.fetch(
        "SELECT instruction, fund, programme, SUM(amount_minor) AS amount FROM payment_line "
        f"WHERE instruction {sql.any_(1, 'text')} GROUP BY instruction, fund, programme "
        "ORDER BY instruction, fund, programme",
        list(ids),
    )
    out: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for r in rows:
        out[r["instruction"]].append((r["fund"], r["programme"], int(r["amount"])))
    return out


def _operations(
    kind: Kind, stage: str, rows: Sequence[dict[str, Any]], by_instruction: dict, when: dt.date
) -> list[Operation]:
    return [
        Operation(
            kind,
            Target(fund, programme, row["payee"]),
            amount,
            f"pin:{row['public_id']}:{stage}:{fund}:{programme}",
            when,
            f"Payment {row['public_id']} {stage} ({row['method']})",
            REFERENCE,
            row["public_id"],
        )
        for row in rows
        for fund, programme, amount in by_instruction[row["public_id"]]
    ]


def _entries_by_instruction(posted: Sequence[Any]) -> dict[str, str]:
    out: dict[str, list[str]] = defaultdict(list)
    for entry in posted:
        out[entry.reference_id].append(str(entry.seq))
    return {k: ",".join(v) for k, v in out.items()}


_TYPES = {
    "state": "text",
    "submitted_at": "timestamptz",
    "settled_at": "timestamptz",
    "ended_at": "timestamptz",
    "submit_entries": "text",
    "settle_entries": "text",
    "reason_code": "text",
    "reason": "text",
    "file_seq": "int",
    "message_id": "text",
    "transfer_id": "text",
    "destination_payment": "text",
}


async def set_each(sql: Sql, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Set `columns` of many instructions, each row being (values…, public id). One statement on
    PostgreSQL (an UPDATE from unnested arrays: ten thousand rows in one round trip)."""
    if not rows:
        return
    if sql.postgres:
        arrays = ", ".join(f"${i + 1}::{_TYPES[c]}[]" for i, c in enumerate(columns))
        names = ", ".join(columns)
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        n = len(columns) + 1
        await sql.execute(
            f"UPDATE payment_instruction AS i SET {sets} FROM unnest({arrays}, ${n}::text[]) "
            f"AS u({names}, id) WHERE i.public_id = u.id",
            *[[row[k] for row in rows] for k in range(n)],
        )
        return
    sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(columns))
    await sql.executemany(
        f"UPDATE payment_instruction SET {sets} WHERE public_id = ${len(columns) + 1}", rows
    )


def _refuse_moves(rows: Sequence[dict[str, Any]], new: str) -> None:
    for row in rows:
        states.check_move(row["public_id"], row["state"], new)


async def submit(
    actor: Actor, sql: Sql, rows: Sequence[dict[str, Any]], when: dt.date, carry: Sequence[str] = ()
) -> None:
    """Approved (or submitting) instructions handed to their rail. `carry` names columns the caller set
    on each row beforehand (the file a SEPA instruction went into, a Stripe transfer id): they are written
    in the same statement as the state, so each instruction row is rewritten once."""
    if not rows:
        return
    _refuse_moves(rows, states.SUBMITTED)
    by_instruction = await legs(sql, [r["public_id"] for r in rows])
    posted = await ledger.apply(actor, _operations(Kind.PAYMENT_SUBMIT, "submit", rows, by_instruction, when))
    entries = _entries_by_instruction(posted)
    now = utcnow()
    for row in rows:
        row.update(state=states.SUBMITTED, submitted_at=now, submit_entries=entries.get(row["public_id"], ""))
    columns = ("state", "submitted_at", "submit_entries", *carry)
    await set_each(sql, columns, [(*(r[c] for c in columns), r["public_id"]) for r in rows])


async def accept(sql: Sql, rows: Sequence[dict[str, Any]]) -> None:
    """The bank accepted the instructions for execution: still in transit, nothing posted."""
    if not rows:
        return
    _refuse_moves(rows, states.ACCEPTED)
    await set_each(sql, ("state",), [(states.ACCEPTED, r["public_id"]) for r in rows])
    for row in rows:
        row["state"] = states.ACCEPTED


async def settle(actor: Actor, sql: Sql, rows: Sequence[dict[str, Any]], when: dt.date) -> None:
    if not rows:
        return
    _refuse_moves(rows, states.SETTLED)
    by_instruction = await legs(sql, [r["public_id"] for r in rows])
    operations = []
    for method, kind in (("sepa", Kind.SETTLE_BANK), ("stripe", Kind.SETTLE_STRIPE)):
        chosen = [r for r in rows if r["method"] == method]
        operations += _operations(kind, "settle", chosen, by_instruction, when)
    posted = await ledger.apply(actor, operations)
    entries = _entries_by_instruction(posted)
    now = utcnow()
    await set_each(
        sql,
        ("state", "settled_at", "settle_entries"),
        [(states.SETTLED, now, entries.get(r["public_id"], ""), r["public_id"]) for r in rows],
    )
    for row in rows:
        row.update(state=states.SETTLED, settled_at=now, settle_entries=entries.get(row["public_id"], ""))


def _seqs(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s]


async def end(
    actor: Actor,
    sql: Sql,
    rows: Sequence[dict[str, Any]],
    state: str,
    reason_code: str,
    reason: str,
    when: dt.date,
) -> None:
    """An exit: reverse what was posted (settlement first, then submission), reopen the payables."""
    if not rows:
        return
    _refuse_moves(rows, state)
    reversals = []
    for row in rows:
        posted = _seqs(row["settle_entries"]) if row["state"] == states.SETTLED else []
        if row["state"] in states.IN_TRANSIT or row["state"] == states.SETTLED:
            posted += _seqs(row["submit_entries"])
        note = f"payment {row['public_id']} {state}: {reason}"[:200]
        reversals += [(seq, f"pin:{row['public_id']}:{state}:{seq}", note) for seq in posted]
    await ledger.reverse_many(actor, reversals, when)
    now = utcnow()
    await set_each(
        sql,
        ("state", "reason_code", "reason", "ended_at"),
        [(state, reason_code, reason, now, r["public_id"]) for r in rows],
    )
    ids = [r["public_id"] for r in rows]
    await sql.execute(f"UPDATE payment_line SET live = FALSE WHERE instruction {sql.any_(1, 'text')}", ids)
    for row in rows:
        row.update(state=state, reason_code=reason_code, reason=reason, ended_at=now)
