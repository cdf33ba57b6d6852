"""Releasing an approved run to the rails, safely against crashes, retries and a second release.

1. One transaction hands every approved instruction over: SEPA ones are put into bank files and submitted
   (payable -> in transit); Stripe ones become `submitting` with the idempotency key of attempt 1 stored.
   Instructions whose payee can no longer be paid (details changed, paused) are cancelled. The releaser
   takes a lease on the run.
2. Then each rail sends what must go over the network (app/disbursements/rails.py): Stripe transfers in
   chunks, outside any transaction, each with its stored key; each chunk's answers are recorded in one
   transaction, and the lease renewed. Killed between a call and its record,
   the next release sends the same key again and Stripe replays the first answer: nothing is paid twice.
3. When nothing is left `submitting`, the run is released and the lease given back.

A second release of a released run sends nothing; two at the same moment serialise on the run's row lock,
and the one that finds the lease held by the other is refused (`release_in_progress`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from app.core import audit, crashpoints
from app.core.actor import Actor
from app.core.batching import collector_paused
from app.core.db import today, utcnow, write_transaction
from app.core.errors import Conflict
from app.core.sql import Sql
from app.disbursements import config, details, instructions, rails, runs, states
from app.disbursements.runs import Progress


def _quiet(_: str) -> None:
    """No progress to show."""


async def release_run(actor: Actor, run_id: str, progress: Progress = _quiet) -> dict[str, Any]:
    token = secrets.token_hex(8)
    with collector_paused():
        handed = await _hand_over(actor, run_id, token, progress)
    crashpoints.reached("release.after_hand_over")

    async def renew() -> None:
        async with write_transaction():
            await _renew(Sql(), run_id, token)

    sent = unknown = 0
    for rail in rails.RAILS.values():
        done, waiting = await rail.send(actor, run_id, renew, progress)
        sent, unknown = sent + done, unknown + waiting
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
        # Only an approved run is released; a release that stopped half-way is finished, a released run
        # sends nothing. A run still waiting for (a second) approval, or cancelled, is refused.
        runs.require_status(run, "approved", "releasing", "released")
        runs.check_releaser(actor, run, await _approval(sql, run_id))
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
    by_rail = {method: [r for r, _ in ready if r["method"] == method] for method in rails.RAILS}
    for method, chosen in by_rail.items():
        if chosen:
            rails.RAILS[method].check_ready()  # refuse now, before anything is handed over
    run["file_size"] = config.sepa_file_size()
    await sql.execute(
        "UPDATE payment_run SET status = 'releasing', released_by = $1, released_at = $2, file_size = $3 "
        "WHERE public_id = $4",
        actor.public_id,
        utcnow(),
        run["file_size"],
        run_id,
    )
    handed = 0
    for method, chosen in by_rail.items():
        handed += await rails.RAILS[method].hand_over(actor, sql, run, chosen, progress)
    await audit.record(
        actor,
        "payment_run.release",
        runs.SUBJECT,
        run_id,
        after={**{m: len(c) for m, c in by_rail.items()}, "cancelled": len(stale)},
    )
    return handed


async def _renew(sql: Sql, run_id: str, token: str) -> None:
    run = await runs.lock_run(sql, run_id)
    if run["lease_token"] != token:
        raise Conflict("release_taken_over", "another release took this run over; it carries on from here")
    await sql.execute(
        "UPDATE payment_run SET lease_until = $1 WHERE public_id = $2",
        utcnow() + dt.timedelta(seconds=config.release_lease_s()),
        run_id,
    )


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
