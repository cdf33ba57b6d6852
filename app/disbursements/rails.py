"""The rails a payment run is released to, behind one interface: a rail checks that it is configured,
takes its instructions over in the release transaction, and afterwards sends whatever must go over the
network. Two real implementations:

- SEPA credit transfer files (app/disbursements/sepa.py): the hand-over puts the instructions into
  pain.001 files and submits them (payable -> in transit); nothing is sent (the files are downloaded and
  taken to the bank);
- Stripe Connect (app/disbursements/stripe_rail.py): the hand-over stores each instruction's idempotency key
  (`submitting`); sending makes the transfers in chunks outside any transaction, recording each chunk's
  answers in one transaction; what Stripe later says (webhooks, refresh) is applied here too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from app.core import crashpoints
from app.core.actor import Actor
from app.core.db import today, write_transaction
from app.core.sql import Sql
from app.disbursements import instructions, runs, sepa, states, stripe_rail

CHUNK = 500
CONCURRENCY = 8
Progress = Callable[[str], None]
Renew = Callable[[], Awaitable[None]]


class Rail(Protocol):
    method: str

    def check_ready(self) -> None:
        """Refuse (ValidationFailed) when the rail is not configured."""

    async def hand_over(
        self, actor: Actor, sql: Sql, run: dict[str, Any], rows: list[dict[str, Any]], progress: Progress
    ) -> int:
        """In the release transaction: take the approved instructions over; returns how many it submitted."""

    async def send(self, actor: Actor, run_id: str, renew: Renew, progress: Progress) -> tuple[int, int]:
        """After the hand-over committed: (instructions now decided, instructions still unconfirmed)."""


class SepaRail:
    method = "sepa"

    def check_ready(self) -> None:
        sepa.check_ready()

    async def hand_over(
        self, actor: Actor, sql: Sql, run: dict[str, Any], rows: list[dict[str, Any]], progress: Progress
    ) -> int:
        if not rows:
            return 0
        progress(f"writing {len(rows):,} SEPA instructions into files and posting them")
        await sepa.hand_over(sql, run, rows)
        await instructions.submit(actor, sql, rows, today(), carry=sepa.FILE_COLUMNS)
        return len(rows)

    async def send(self, actor: Actor, run_id: str, renew: Renew, progress: Progress) -> tuple[int, int]:
        return 0, 0


class StripeRail:
    method = "stripe"

    def check_ready(self) -> None:
        stripe_rail.client()

    async def hand_over(
        self, actor: Actor, sql: Sql, run: dict[str, Any], rows: list[dict[str, Any]], progress: Progress
    ) -> int:
        await sql.executemany(
            "UPDATE payment_instruction SET state = $1, attempt = 1, idempotency_key = $2 "
            "WHERE public_id = $3",
            [
                (states.SUBMITTING, stripe_rail.idempotency_key(r["public_id"], 1), r["public_id"])
                for r in rows
            ],
        )
        return 0

    async def send(self, actor: Actor, run_id: str, renew: Renew, progress: Progress) -> tuple[int, int]:
        return await _send(actor, run_id, renew, progress)


RAILS: dict[str, Rail] = {"sepa": SepaRail(), "stripe": StripeRail()}


async def _send(actor: Actor, run_id: str, renew: Renew, progress: Progress) -> tuple[int, int]:
    async with write_transaction():
        sql = Sql()
        waiting = await sql.fetch(
            "SELECT public_id FROM payment_instruction WHERE run = $1 AND state = $2 ORDER BY id",
            run_id,
            states.SUBMITTING,
        )
    ids = [r["public_id"] for r in waiting]
    if not ids:
        return 0, 0
    sc = stripe_rail.client()
    sent = unknown = 0
    for start in range(0, len(ids), CHUNK):
        progress(f"sending Stripe transfers {start + 1:,}-{min(start + CHUNK, len(ids)):,} of {len(ids):,}")
        await renew()
        async with write_transaction():
            sql = Sql()
            rows = [
                r
                for r in await instructions.lock(sql, ids[start : start + CHUNK])
                if r["state"] == states.SUBMITTING
            ]
            accounts = await _accounts(sql, rows)
        outcomes = await _send_all(sc, rows, accounts)
        crashpoints.reached("release.after_send")
        await renew()
        async with write_transaction():
            sql = Sql()
            done, waiting_now = await record(actor, sql, rows, outcomes)
        sent += done
        unknown += waiting_now
    return sent, unknown


async def _accounts(sql: Sql, rows: list[dict[str, Any]]) -> dict[str, str]:
    if not rows:
        return {}
    found = await sql.fetch(
        f"SELECT public_id, stripe_account FROM payment_detail WHERE public_id {sql.any_(1, 'text')}",
        sorted({r["detail"] for r in rows}),
    )
    return {r["public_id"]: r["stripe_account"] for r in found}


async def _send_all(sc: Any, rows: list[dict[str, Any]], accounts: dict[str, str]) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(row: dict[str, Any]) -> tuple[str, Any]:
        async with gate:
            return row["public_id"], await stripe_rail.send(sc, row, accounts[row["detail"]])

    return dict(await asyncio.gather(*(one(r) for r in rows)))


async def record(
    actor: Actor, sql: Sql, rows: list[dict[str, Any]], outcomes: dict[str, Any]
) -> tuple[int, int]:
    """Record Stripe's answers; rows a webhook moved on meanwhile are left as they are."""
    current = {r["public_id"]: r for r in await instructions.lock(sql, [r["public_id"] for r in rows])}
    sent, refused, unknown = [], [], 0
    retry = []
    for instruction_id, outcome in outcomes.items():
        row = current[instruction_id]
        if row["state"] != states.SUBMITTING:
            continue
        if outcome.kind == "sent":
            row.update(transfer_id=outcome.transfer_id, destination_payment=outcome.destination_payment)
            sent.append(row)
        elif outcome.kind == "refused":
            refused.append((row, outcome))
        else:
            unknown += 1
            if outcome.next_attempt:
                retry.append(row)
    await instructions.submit(actor, sql, sent, today(), carry=stripe_rail.TRANSFER_COLUMNS)
    for row, outcome in refused:
        await instructions.end(
            actor,
            sql,
            [row],
            states.FAILED,
            outcome.code,
            f"Stripe refused the transfer: {outcome.message}",
            today(),
        )
    await sql.executemany(
        "UPDATE payment_instruction SET attempt = $1, idempotency_key = $2 WHERE public_id = $3",
        [
            (r["attempt"] + 1, stripe_rail.idempotency_key(r["public_id"], r["attempt"] + 1), r["public_id"])
            for r in retry
        ],
    )
    return len(sent) + len(refused), unknown


# --- what Stripe says happened, from a webhook or a refresh ------------------------------------------


async def apply_transfer(actor: Actor, sql: Sql, row: dict[str, Any], transfer: Any) -> str:
    """Bring a Stripe instruction in line with its (re-fetched) transfer. Returns what changed."""
    when = today()
    if row["state"] == states.SUBMITTING:
        row.update(
            transfer_id=transfer.id, destination_payment=getattr(transfer, "destination_payment", "") or ""
        )
        await instructions.submit(actor, sql, [row], when, carry=stripe_rail.TRANSFER_COLUMNS)
    if stripe_rail.fully_reversed(transfer):
        if row["state"] in states.IN_TRANSIT:
            await instructions.end(
                actor, sql, [row], states.FAILED, "transfer_reversed", "Stripe reversed the transfer", when
            )
            return "failed"
        if row["state"] == states.SETTLED:
            await instructions.end(
                actor, sql, [row], states.RETURNED, "transfer_reversed", "Stripe reversed the transfer", when
            )
            return "returned"
        return "unchanged"
    if row["state"] in states.IN_TRANSIT:
        await instructions.settle(actor, sql, [row], when)
        return "settled"
    return "unchanged"


async def refresh_stripe(actor: Actor, run_id: str) -> dict[str, int]:
    """Re-fetch every Stripe instruction of a run that is not final and apply what Stripe shows (for
    webhooks that were missed; the same path as a webhook)."""
    async with write_transaction():
        sql = Sql()
        await runs.lock_run(sql, run_id)  # NotFound for an unknown run
        rows = await sql.fetch(
            f"SELECT public_id, transfer_id FROM payment_instruction WHERE run = $1 AND method = 'stripe' "
            f"AND transfer_id <> '' AND state {sql.any_(2, 'text')} ORDER BY id",
            run_id,
            sorted(states.IN_TRANSIT | {states.SETTLED}),
        )
    sc = stripe_rail.client()
    changed: dict[str, int] = {}
    for item in rows:
        transfer = await stripe_rail.fetch_transfer(sc, item["transfer_id"])
        if transfer is None:
            continue
        async with write_transaction():
            sql = Sql()
            row = (await instructions.lock(sql, [item["public_id"]]))[0]
            result = await apply_transfer(actor, sql, row, transfer)
        changed[result] = changed.get(result, 0) + 1
    return changed
