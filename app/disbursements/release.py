"""Releasing an approved run to the rails, safely against crashes, retries and a second release.

1. One transaction hands every approved instruction over: SEPA ones are put into bank files and submitted
   (payable -> in transit); Stripe ones become `submitting` with the idempotency key of attempt 1 stored.
   Instructions whose payee can no longer be paid (details changed, paused) are cancelled. The releaser
   takes a lease on the run.
2. Stripe transfers are sent in chunks, outside any transaction, each with its stored key; each chunk's
   answers are recorded in one transaction (and the lease renewed). Killed between a call and its record,
   the next release sends the same key again and Stripe replays the first answer: nothing is paid twice.
3. When nothing is left `submitting`, the run is released and the lease given back.

A second release of a released run sends nothing; two at the same moment serialise on the run's row lock,
and the one that finds the lease held by the other is refused (`release_in_progress`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from typing import Any

from app.core import audit, crashpoints
from app.core.actor import Actor
from app.core.batching import collector_paused
from app.core.db import today, utcnow, write_transaction
from app.core.errors import Conflict
from app.core.sql import Sql
from app.disbursements import config, details, instructions, runs, sepa, states, stripe_rail
from app.disbursements.runs import Progress

CHUNK = 500
CONCURRENCY = 8


def _quiet(_: str) -> None:
    """No progress to show."""


async def release_run(actor: Actor, run_id: str, progress: Progress = _quiet) -> dict[str, Any]:
    token = secrets.token_hex(8)
    with collector_paused():
        handed = await _hand_over(actor, run_id, token, progress)
    crashpoints.reached("release.after_hand_over")
    sent, unknown = await _send_stripe(actor, run_id, token, progress)
    await _finish(run_id, token)
    view = await runs.get_run(actor, run_id)
    view["sent_now"] = handed + sent
    view["unconfirmed"] = unknown
    return view


def _lease_held(run: dict[str, Any], token: str, now: dt.datetime) -> bool:
    until = run["lease_until"]
    if until is None or run["lease_token"] in ("", token):
        return False
    until = until if isinstance(until, dt.datetime) else dt.datetime.fromisoformat(str(until))
    return until > now


async def _approval(sql: Sql, run_id: str) -> dict[str, Any]:
    return (
        await sql.fetch(
            "SELECT * FROM approval WHERE subject_type = $1 AND subject_id = $2", runs.SUBJECT, run_id
        )
    )[0]


async def _hand_over(actor: Actor, run_id: str, token: str, progress: Progress) -> int:
    async with write_transaction():
        sql = Sql()
        run = await runs.lock_run(sql, run_id)
        runs.check_releaser(actor, run, await _approval(sql, run_id)) if run[
            "status"
        ] != "cancelled" else None
        if run["status"] == "released":
            return 0
        now = utcnow()
        if _lease_held(run, token, now):
            raise Conflict(
                "release_in_progress",
                f"another release of this run is sending payments (lease until {run['lease_until']}); "
                "try again when it has finished or its lease has run out",
            )
        handed = 0
        if run["status"] == "approved":
            handed = await _first_hand_over(actor, sql, run, progress)
        await sql.execute(
            "UPDATE payment_run SET lease_token = $1, lease_until = $2 WHERE public_id = $3",
            token,
            now + dt.timedelta(seconds=config.release_lease_s()),
            run_id,
        )
    return handed


async def _first_hand_over(actor: Actor, sql: Sql, run: dict[str, Any], progress: Progress) -> int:
    run_id = run["public_id"]
    rows = await sql.fetch(
        "SELECT * FROM payment_instruction WHERE run = $1 AND state = $2 ORDER BY id", run_id, states.APPROVED
    )
    progress(f"checking {len(rows):,} payees' payment details again")
    payable = await details.payability(sorted({r["payee"] for r in rows}))
    stale, ready = [], []
    for row in rows:
        status = payable[row["payee"]]
        changed = status.detail is None or status.detail["public_id"] != row["detail"]
        (stale if status.reason_code or changed else ready).append((row, status))
    for code in sorted({s.reason_code or "details_changed" for _, s in stale}):
        chosen = [r for r, s in stale if (s.reason_code or "details_changed") == code]
        reason = next(s.reason for r, s in stale if (s.reason_code or "details_changed") == code)
        await instructions.end(
            actor,
            sql,
            chosen,
            states.CANCELLED,
            code,
            reason or "payment details changed after preparation",
            today(),
        )
    bank = [r for r, _ in ready if r["method"] == "sepa"]
    online = [r for r, _ in ready if r["method"] == "stripe"]
    if bank:
        sepa.check_ready()
    if online:
        stripe_rail.client()  # refuses now, before anything is handed over, if Stripe is not configured
    run["file_size"] = config.sepa_file_size()
    await sql.execute(
        "UPDATE payment_run SET status = 'releasing', released_by = $1, released_at = $2, file_size = $3 "
        "WHERE public_id = $4",
        actor.public_id,
        utcnow(),
        run["file_size"],
        run_id,
    )
    progress(f"writing {len(bank):,} SEPA instructions into files and posting them")
    await sepa.hand_over(sql, run, bank)
    await instructions.submit(actor, sql, bank, today())
    await sql.executemany(
        "UPDATE payment_instruction SET state = $1, attempt = 1, idempotency_key = $2 WHERE public_id = $3",
        [(states.SUBMITTING, stripe_rail.idempotency_key(r["public_id"], 1), r["public_id"]) for r in online],
    )
    await audit.record(
        actor,
        "payment_run.release",
        runs.SUBJECT,
        run_id,
        after={"sepa": len(bank), "stripe": len(online), "cancelled": len(stale)},
    )
    return len(bank)


async def _renew(sql: Sql, run_id: str, token: str) -> None:
    run = await runs.lock_run(sql, run_id)
    if run["lease_token"] != token:
        raise Conflict("release_taken_over", "another release took this run over; it carries on from here")
    await sql.execute(
        "UPDATE payment_run SET lease_until = $1 WHERE public_id = $2",
        utcnow() + dt.timedelta(seconds=config.release_lease_s()),
        run_id,
    )


async def _send_stripe(actor: Actor, run_id: str, token: str, progress: Progress) -> tuple[int, int]:
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
        async with write_transaction():
            sql = Sql()
            await _renew(sql, run_id, token)
            rows = [
                r
                for r in await instructions.lock(sql, ids[start : start + CHUNK])
                if r["state"] == states.SUBMITTING
            ]
            accounts = await _accounts(sql, rows)
        outcomes = await _send_all(sc, rows, accounts)
        crashpoints.reached("release.after_send")
        async with write_transaction():
            sql = Sql()
            await _renew(sql, run_id, token)
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
    await sql.executemany(
        "UPDATE payment_instruction SET transfer_id = $1, destination_payment = $2 WHERE public_id = $3",
        [(r["transfer_id"], r["destination_payment"], r["public_id"]) for r in sent],
    )
    await instructions.submit(actor, sql, sent, today())
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


async def _finish(run_id: str, token: str) -> None:
    async with write_transaction():
        sql = Sql()
        run = await runs.lock_run(sql, run_id)
        if run["lease_token"] != token:
            return
        left = await sql.fetch(
            "SELECT COUNT(*) AS n FROM payment_instruction WHERE run = $1 AND state = $2",
            run_id,
            states.SUBMITTING,
        )
        status = "released" if int(left[0]["n"]) == 0 and run["status"] == "releasing" else run["status"]
        await sql.execute(
            "UPDATE payment_run SET status = $1, lease_token = '', lease_until = NULL WHERE public_id = $2",
            status,
            run_id,
        )


# --- what Stripe says happened, from a webhook or a refresh ------------------------------------------


async def apply_transfer(actor: Actor, sql: Sql, row: dict[str, Any], transfer: Any) -> str:
    """Bring a Stripe instruction in line with its (re-fetched) transfer. Returns what changed."""
    when = today()
    if row["state"] == states.SUBMITTING:
        row.update(
            transfer_id=transfer.id, destination_payment=getattr(transfer, "destination_payment", "") or ""
        )
        await sql.execute(
            "UPDATE payment_instruction SET transfer_id = $1, destination_payment = $2 WHERE public_id = $3",
            row["transfer_id"],
            row["destination_payment"],
            row["public_id"],
        )
        await instructions.submit(actor, sql, [row], when)
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
        await runs.lock_run(sql, run_id)
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
