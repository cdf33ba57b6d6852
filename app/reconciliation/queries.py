"""Reading the exception queue, bookings and statements: filtered lists (newest first, cursor pages) and
one exception with its booking, its instruction and its matches."""

from __future__ import annotations

import json
from typing import Any

from app.core.actor import Actor
from app.core.db import as_date, write_transaction
from app.core.errors import ValidationFailed
from app.core.sql import Sql
from app.reconciliation import queue, service
from app.reconciliation.matching import money

FILTERS = ("state", "kind", "severity", "assignee")


async def list_exceptions(
    actor: Actor,
    *,
    state: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    assignee: str | None = None,
    limit: int = 100,
    starting_after: str | None = None,
) -> dict[str, Any]:
    service.require(actor, service.READERS, "reading the exception queue")
    if state is not None and state not in (*queue.OPEN_STATES, "resolved", "unresolved"):
        raise ValidationFailed(
            "invalid_state", "state is open, assigned, pending_resolution, resolved or unresolved", "state"
        )
    if kind is not None and kind not in queue.KINDS:
        raise ValidationFailed("invalid_kind", f"kind is one of {', '.join(queue.KINDS)}", "kind")
    where, args = [], []
    for column, value in (("kind", kind), ("severity", severity), ("assignee", assignee)):
        if value is not None:
            args.append(value)
            where.append(f"{column} = ${len(args)}")
    if state == "unresolved":
        where.append("state <> 'resolved'")
    elif state is not None:
        args.append(state)
        where.append(f"state = ${len(args)}")
    async with write_transaction():
        sql = Sql()
        if starting_after:
            cursor = await sql.fetch("SELECT id FROM recon_exception WHERE public_id = $1", starting_after)
            if not cursor:
                raise ValidationFailed("invalid_cursor", "no such exception", "starting_after")
            args.append(cursor[0]["id"])
            where.append(f"id < ${len(args)}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await sql.fetch(
            f"SELECT * FROM recon_exception{clause} ORDER BY id DESC LIMIT {int(limit) + 1}", *args
        )
    return {"data": [queue.view(r) for r in rows[:limit]], "has_more": len(rows) > limit}


def _booking_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "statement": row["statement"],
        "account": row["account"],
        "reference": row["reference"],
        "line": row["line"],
        "booked": as_date(row["booked"]) if row["booked"] else None,
        "amount": money(int(row["amount_minor"])),
        "currency": row["currency"],
        "kind": row["kind"],
        "return_reason": row["return_reason"] or None,
        "payments": [
            {"end_to_end_id": t[0], "amount": money(t[1]), "name": t[2]} for t in json.loads(row["txs"])
        ],
        "counterparty": row["counterparty"],
        "state": row["state"],
    }


async def get_exception(actor: Actor, exception_id: str) -> dict[str, Any]:
    service.require(actor, service.READERS, "reading the exception queue")
    async with write_transaction():
        sql = Sql()
        row = await queue.load(sql, exception_id)
        booking = (
            await sql.fetch("SELECT * FROM recon_booking WHERE public_id = $1", row["booking"])
            if row["booking"]
            else []
        )
        matches = await sql.fetch(
            "SELECT group_id, booking, instruction, amount_minor, strategy, rule, why, status "
            "FROM recon_match "
            "WHERE (booking = $1 AND $1 <> '') OR (instruction = $2 AND $2 <> '') ORDER BY id",
            row["booking"], row["instruction"],
        )  # fmt: skip
    return queue.view(row) | {
        "booking_detail": _booking_view(booking[0]) if booking else None,
        "matches": [m | {"amount": money(int(m.pop("amount_minor")))} for m in matches],
    }
