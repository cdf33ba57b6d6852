"""Reconciliation's operations, each one transaction: import a statement (and match what it brought), run
reconciliation (match, look for instructions the bank never showed and for rejections, run the checks,
turn every difference into an exception), and read the dashboard.

Matching on our own keys settles the instructions the bank shows paid (in transit -> cash at bank), through
the payments domain's own move, so the ledger and the instruction states never disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import as_date, today, utcnow, write_transaction
from app.core.errors import Forbidden
from app.core.ids import new_ids
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import instructions as moves
from app.disbursements import reads as payments
from app.disbursements import states
from app.reconciliation import camt, checks, config, matching, queue, statements
from app.reconciliation.matching import BookingIn, Finding, InstructionIn, Tx, money

RUNNERS = (Role.FINANCE_OFFICER, Role.ADMIN)
READERS = (Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.BUDGET_HOLDER)
_CANDIDATE_DAYS = 60  # tolerance rules look at instructions submitted this long before the bookings


def require(actor: Actor, roles: Sequence[Role], what: str) -> None:
    if not actor.has_any(*roles):
        raise Forbidden("not_allowed", f"your role does not allow {what}", None)


# --- import ----------------------------------------------------------------------------------


async def import_statement(actor: Actor, data: bytes) -> dict[str, Any]:
    """Parse, check and store a camt.053/054 file, then match its bookings: all or nothing."""
    require(actor, RUNNERS, "importing bank statements")
    statement = camt.parse(data)
    statements.check_account(statement)
    digest = hashlib.sha256(data).hexdigest()
    async with write_transaction():
        sql = Sql()
        earlier = await statements.seen(sql, digest)
        if earlier is not None:
            return {
                "statement": earlier["public_id"], "already_imported": True, "new_bookings": 0,
                "entries": int(earlier["entries"]), "kind": earlier["kind"], "account": earlier["account"],
            }  # fmt: skip
        await statements.check_sequence(sql, statement)
        summary, fresh, write_bookings = await statements.store(actor, sql, data, statement)
        matched = await match_pending(actor, sql, fresh, set_states=False)
        await write_bookings(matched.booking_state)
        opened = await queue.record(actor, sql, matched.findings)
        after = {k: v for k, v in summary.items() if k != "statement"}
        await audit.record(
            actor, "reconciliation.statement_imported", "recon_statement", summary["statement"], after=after
        )
    return summary | {
        "already_imported": False,
        **_match_summary(matched),
        "exceptions_opened": opened["opened"],
    }


def _match_summary(outcome: matching.Outcome) -> dict[str, int]:
    states_ = list(outcome.booking_state.values())
    return {
        "matched_bookings": states_.count("matched"),
        "exception_bookings": states_.count("exception"),
        "matched_instructions": len(
            {lk.instruction for m in outcome.matches if not m.proposed for lk in m.links}
        ),
        "proposals": sum(1 for m in outcome.matches if m.proposed),
    }


# --- matching --------------------------------------------------------------------------------


def _booking_in(row: dict[str, Any]) -> BookingIn:
    return BookingIn(
        row["public_id"],
        int(row["amount_minor"]),
        row["currency"],
        as_date(row["booked"]) if row["booked"] else None,
        row["kind"],
        tuple(Tx(*t) for t in json.loads(row["txs"] or "[]")),
        row["batch_message_id"],
        row["counterparty"],
    )


def _instruction_in(row: dict[str, Any]) -> InstructionIn:
    submitted = row["submitted_at"]
    if submitted is not None and not isinstance(submitted, dt.datetime):
        submitted = dt.datetime.fromisoformat(str(submitted))
    return InstructionIn(
        row["public_id"],
        int(row["amount_minor"]),
        row["currency"],
        row["payee_name"] or "",
        submitted.date() if submitted else None,
        row["state"],
        row["message_id"] or "",
    )


async def claimed_instructions(sql: Sql, ids: Sequence[str]) -> dict[str, str]:
    """Instruction -> the booking of its confirmed match, for the given instructions."""
    out: dict[str, str] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), 20_000):
        rows = await sql.fetch(
            f"SELECT m.instruction, m.booking FROM recon_match m {sql.join_any(1, 'text', 'k')} "
            "ON k.value = m.instruction WHERE m.status = 'confirmed'",
            unique[i : i + 20_000],
        )
        out.update({r["instruction"]: r["booking"] for r in rows})
    return out


async def _inputs(sql: Sql, bookings: list[BookingIn]) -> tuple[dict[str, InstructionIn], dict]:
    named = {t.end_to_end_id for b in bookings for t in b.txs if t.end_to_end_id}
    found = {k: _instruction_in(v) for k, v in (await payments.by_ids(sql, sorted(named))).items()}
    messages = sorted({b.batch_message_id for b in bookings if b.batch_message_id and not b.txs})
    by_message: dict[str, list[str]] = {}
    for message, members in (await payments.in_messages(sql, messages)).items():
        by_message[message] = [m["public_id"] for m in members]
        found.update({m["public_id"]: _instruction_in(m) for m in members})
    if any(b.kind == "payment" and not b.batch_message_id and not any(t.end_to_end_id in found for t in b.txs)
           for b in bookings):  # fmt: skip
        days = [b.booked for b in bookings if b.booked]
        since = dt.datetime.combine(min(days) if days else today(), dt.time(), dt.UTC) - dt.timedelta(
            days=_CANDIDATE_DAYS
        )
        for r in await payments.sent_by_bank_since(sql, since):
            found.setdefault(r["public_id"], _instruction_in(r))
    return found, by_message


async def match_pending(
    actor: Actor, sql: Sql, bookings: list[BookingIn] | None = None, set_states: bool = True
) -> matching.Outcome:
    """Match every booking not yet decided (or the ones just imported); store the matches; settle what the
    bank shows paid."""
    if bookings is None:
        rows = await sql.fetch("SELECT * FROM recon_booking WHERE state = 'unmatched' ORDER BY id")
        bookings = [_booking_in(r) for r in rows]
    if not bookings:
        return matching.Outcome([], [], {})
    found, by_message = await _inputs(sql, bookings)
    claimed = await claimed_instructions(sql, list(found))
    outcome = matching.match(bookings, found, claimed, config.tolerances(), by_message)
    await store_matches(actor, sql, outcome.matches)
    booked = {b.booking: b.booked for b in bookings}
    confirmed = [lk for m in outcome.matches if not m.proposed for lk in m.links]
    await settle_paid(actor, sql, confirmed, booked, found)
    if set_states:
        await _set_booking_states(sql, outcome.booking_state)
    return outcome


async def store_matches(
    actor: Actor, sql: Sql, matches: Sequence[matching.MatchOut], rule: str | None = None
) -> None:
    groups = new_ids("mtc", len(matches))
    now = utcnow()
    rows = [
        (group, lk.booking, lk.instruction, lk.amount_minor, m.strategy, rule or m.rule, m.why,
         "proposed" if m.proposed else "confirmed", actor.public_id, now)
        for group, m in zip(groups, matches, strict=True)
        for lk in m.links
    ]  # fmt: skip
    await sql.insert_many(
        "recon_match",
        ("group_id", "booking", "instruction", "amount_minor", "strategy", "rule", "why", "status",
         "created_by", "created_at"),
        rows,
    )  # fmt: skip


async def settle_paid(
    actor: Actor,
    sql: Sql,
    links: Sequence[matching.Link],
    booked: dict[str, dt.date | None],
    known: dict[str, InstructionIn] | None = None,
) -> int:
    """Instructions still in transit that a booking shows paid are settled, dated the booking's day.
    `known` (states read at matching) spares locking the many that the bank's pain.002 settled already."""
    when_of = {
        lk.instruction: booked.get(lk.booking) or today()
        for lk in links
        if known is None or lk.instruction not in known or known[lk.instruction].state in states.IN_TRANSIT
    }
    rows = await moves.lock(sql, sorted(when_of))
    due = [r for r in rows if r["state"] in states.IN_TRANSIT and r["method"] == "sepa"]
    by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for r in due:
        by_day[when_of[r["public_id"]]].append(r)
    for day, chosen in sorted(by_day.items()):
        await moves.settle(actor, sql, chosen, day)
    return len(due)


async def _set_booking_states(sql: Sql, booking_state: dict[str, str]) -> None:
    for state in ("matched", "exception"):
        ids = sorted(b for b, s in booking_state.items() if s == state)
        for i in range(0, len(ids), 20_000):
            await sql.execute(
                f"UPDATE recon_booking SET state = $1 WHERE public_id {sql.any_(2, 'text')}",
                state,
                ids[i : i + 20_000],
            )


# --- instruction-level findings ---------------------------------------------------------------


async def _latest_statement_day(sql: Sql) -> dt.date | None:
    rows = await sql.fetch("SELECT MAX(closing_date) AS day FROM recon_statement WHERE kind = 'camt.053'")
    day = rows[0]["day"] if rows else None
    return as_date(day) if day else None


async def _held_by_exceptions(sql: Sql) -> set[str]:
    """Instructions an open exception already holds (a mismatch, a duplicate, a return), other than the
    unmatched-instruction exceptions themselves, which each run finds afresh or clears."""
    rows = await sql.fetch(
        "SELECT instruction FROM recon_exception WHERE state <> 'resolved' AND instruction <> '' "
        "AND kind <> 'unmatched_instruction'"
    )
    return {r["instruction"] for r in rows}


async def instruction_findings(sql: Sql, findings_so_far: Sequence[Finding]) -> list[Finding]:
    """SEPA instructions the bank's statements should show by now but do not, and instructions the bank
    rejected (or Stripe failed): each becomes an exception."""
    day = await _latest_statement_day(sql)
    out: list[Finding] = []
    if day is not None:
        grace = dt.timedelta(days=config.unmatched_after_days())
        since = dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(days=_CANDIDATE_DAYS)
        sent = await payments.sent_by_bank_since(sql, since)
        claimed = await claimed_instructions(sql, [r["public_id"] for r in sent])
        held = await _held_by_exceptions(sql) | {f.instruction for f in findings_so_far if f.instruction}
        for r in sent:
            ins = _instruction_in(r)
            if (
                r["state"] in payments.POSTED
                and ins.instruction not in claimed
                and ins.instruction not in held
                and ins.submitted is not None
                and ins.submitted + grace <= day
            ):
                out.append(Finding(
                    "unmatched_instruction", f"unmatched_instruction:{ins.instruction}", ins.amount_minor,
                    ins.currency,
                    f"{ins.instruction} ({money(ins.amount_minor)} to {ins.payee_name or 'the payee'}) "
                    "was sent to the "
                    f"bank on {ins.submitted} and no statement up to {day} shows it.",
                    "", ins.instruction,
                    {"state": ins.state, "submitted": str(ins.submitted), "statements_until": str(day)},
                ))  # fmt: skip
    for r in await payments.rejected_or_failed(sql):
        out.append(Finding(
            "rejection", f"rejection:{r['public_id']}", int(r["amount_minor"]), r["currency"],
            f"{r['public_id']} ({money(int(r['amount_minor']))} to {r['payee_name'] or 'the payee'}) "
            f"was {r['state']}: "
            f"{r['reason'] or r['reason_code']}.",
            "", r["public_id"], {"state": r["state"], "reason_code": r["reason_code"], "reason": r["reason"]},
        ))  # fmt: skip
    return out


def check_findings(results: Sequence[checks.CheckResult]) -> list[Finding]:
    return [
        Finding(
            "failed_check",
            f"failed_check:{r.name}:{r.currency}",
            abs(r.drift_minor),
            r.currency,
            f"{r.title}: the ledger says {money(r.books_minor)}, the records {money(r.records_minor)} "
            f"(drift {money(r.drift_minor)} {r.currency}).",
            evidence={"check": r.name, **r.view()},
        )
        for r in results
        if not r.ok
    ]


# --- a run -----------------------------------------------------------------------------------


async def run(actor: Actor, as_of: dt.date | None = None) -> dict[str, Any]:
    """Match what is pending, raise instruction findings, run every check, record the exceptions."""
    require(actor, RUNNERS, "running reconciliation")
    as_of = as_of or today()
    async with write_transaction():
        sql = Sql()
        outcome = await match_pending(actor, sql)
        findings = list(outcome.findings)
        findings += await instruction_findings(sql, findings)
        results = await checks.run_all(sql, as_of)
        findings += check_findings(results)
        recorded = await queue.record(actor, sql, findings)
        cleared = await queue.clear_stale(actor, sql, {f.fingerprint for f in findings})
        rate = await match_rate(sql)
        run_id = new_ids("rcr", 1)[0]
        ok = all(r.ok for r in results)
        await sql.insert_many(
            "recon_check_run",
            ("public_id", "as_of", "ok", "results", "match_rate", "run_by", "run_at"),
            [
                (
                    run_id,
                    as_of,
                    ok,
                    json.dumps([r.view() for r in results]),
                    json.dumps(rate),
                    actor.public_id,
                    utcnow(),
                )
            ],
        )
        failed = [r.name for r in results if not r.ok]
        await audit.record(actor, "reconciliation.run", "recon_check_run", run_id,
                           after={"ok": ok, "failed": failed, **recorded})  # fmt: skip
    return {
        "id": run_id,
        "as_of": as_of,
        "ok": ok,
        "checks": [r.view() for r in results],
        "match_rate": rate,
        **_match_summary(outcome),
        "exceptions_opened": recorded["opened"],
        "exceptions_refreshed": recorded["refreshed"],
        "exceptions_cleared": cleared,
    }


async def match_rate(sql: Sql) -> dict[str, Any]:
    rows = await sql.fetch("SELECT state, COUNT(*) AS n FROM recon_booking GROUP BY state")
    counts = {r["state"]: int(r["n"]) for r in rows}
    total = sum(counts.values())
    open_ = await sql.fetch(
        "SELECT kind, COUNT(*) AS n FROM recon_exception WHERE state <> 'resolved' "
        "GROUP BY kind ORDER BY kind"
    )
    return {
        "bookings": total,
        "matched": counts.get("matched", 0),
        "rate": round(counts.get("matched", 0) / total, 4) if total else None,
        "open_exceptions": {r["kind"]: int(r["n"]) for r in open_},
    }


async def dashboard(actor: Actor) -> dict[str, Any]:
    """The latest run's checks and the match rate now."""
    require(actor, READERS, "reading reconciliation")
    async with write_transaction():
        sql = Sql()
        rows = await sql.fetch("SELECT * FROM recon_check_run ORDER BY id DESC LIMIT 1")
        rate = await match_rate(sql)
    last = rows[0] if rows else None
    return {
        "last_run": None if last is None else {
            "id": last["public_id"], "as_of": as_date(last["as_of"]), "ok": bool(last["ok"]),
            "run_at": last["run_at"], "checks": json.loads(last["results"]),
        },
        "match_rate": rate,
    }  # fmt: skip
