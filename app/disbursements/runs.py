"""Payment runs: a finance officer gathers every approved, unpaid payable into one instruction per payee;
approvers approve by value band; a third person releases it to the rails (four eyes three times over:
preparer != approver(s) != releaser). Payees that cannot be paid now are left out with the reason.

Creating a run is one transaction (a crash leaves nothing); a unique index allows one live instruction line
per payable, so no payable is ever in two live instructions. Releasing hands SEPA instructions to their
bank files in one transaction, then sends Stripe transfers one by one under a lease, each with an
idempotency key stored before the call: a release killed half-way is finished by the next one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core import approvals, audit, crashpoints
from app.core.actor import Actor
from app.core.batching import collector_paused
from app.core.db import today, utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id, new_ids
from app.core.money import format_minor
from app.core.pagination import paginate
from app.core.payables import Payable
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import config, details, instructions, states
from app.disbursements.tables import PaymentRun
from app.ledger import dimensions, queries
from app.vouchers import payables as voucher_payables
from app.wage_subsidies import payables as wage_payables

SUBJECT = "payment_run"
PREPARERS = (Role.FINANCE_OFFICER,)
RELEASERS = (Role.FINANCE_OFFICER, Role.APPROVER)
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """No progress to show."""


# --- creating a run ------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What a run will hold, before anything is written."""

    instructions: list[tuple]
    lines: list[tuple]
    left_out: list[tuple]
    total: int


async def _candidates(sql: Sql, programme: str | None, currency: str) -> list[Payable]:
    found = [
        *await voucher_payables.approved_claims(sql, programme, currency),
        *await voucher_payables.stipends(sql, programme, currency),
        *await wage_payables.approved_claims(sql, programme, currency),
    ]
    return sorted(found, key=lambda p: (p.payee, p.period_end, p.key, p.fund, p.programme))


async def _line_keys(sql: Sql, payables: Sequence[Payable]) -> tuple[set[tuple], dict[tuple, str]]:
    """Which payables are in a live instruction already, and for the others the instruction that last
    carried them and ended (rejected, failed or returned): the follow-up points back to it. Live lines are
    looked up by key (the unique index of live lines); ended lines, few (only failures end), are read whole
    from their own partial index rather than probed with every key."""
    keys = sorted({p.key for p in payables})
    if not keys:
        return set(), {}
    live = {
        (r["payable"], r["fund"], r["programme"])
        for r in await sql.fetch(
            "SELECT l.payable, l.fund, l.programme FROM payment_line l "
            f"{sql.join_any(1, 'text', 'k')} ON k.value = l.payable WHERE l.live",
            keys,
        )
    }
    ended = await sql.fetch(
        "SELECT l.payable, l.fund, l.programme, l.instruction, i.state FROM payment_line l "
        "JOIN payment_instruction i ON i.public_id = l.instruction WHERE NOT l.live ORDER BY l.id"
    )
    retry_of = {
        (r["payable"], r["fund"], r["programme"]): r["instruction"]
        for r in ended
        if r["state"] in states.RETRIED_AFTER and (r["payable"], r["fund"], r["programme"]) not in live
    }
    return live, retry_of


async def _room_in_ledger(sql: Sql, currency: str) -> dict[tuple[str, str, str], int]:
    """Per payee x fund x programme: what the ledger still owes (the payable's balance) less what live
    instructions not yet submitted will take from it. A run never pays more than this."""
    room: dict[tuple[str, str, str], int] = defaultdict(int)
    for account in await queries.account_balances(code="2110"):
        if account.currency == currency:
            room[(account.party, account.fund, account.programme)] += -account.balance
    unsubmitted = await sql.fetch(
        "SELECT i.payee, l.fund, l.programme, SUM(l.amount_minor) AS amount FROM payment_line l "
        "JOIN payment_instruction i ON i.public_id = l.instruction "
        f"WHERE l.live AND i.state {sql.any_(1, 'text')} GROUP BY i.payee, l.fund, l.programme",
        sorted(states.NOT_SUBMITTED),
    )
    for r in unsubmitted:
        room[(r["payee"], r["fund"], r["programme"])] -= int(r["amount"])
    return room


async def _names(sql: Sql, payees: list[str]) -> dict[str, str]:
    organisations = [p for p in payees if not p.startswith("par_")]
    if not organisations:
        return {}
    rows = await sql.fetch(
        f"SELECT public_id, name FROM organisation WHERE public_id {sql.any_(1, 'text')}", organisations
    )
    return {r["public_id"]: r["name"] for r in rows}


def _fit(payables: list[Payable], room: dict) -> tuple[list[Payable], list[Payable]]:
    """Oldest first, the payables the ledger still owes; the rest do not fit (a disallowance or a payment
    recorded by hand took part of what was owed)."""
    wanted: dict[tuple, int] = defaultdict(int)
    for p in payables:
        wanted[(p.payee, p.fund, p.programme)] += p.amount_minor
    if all(amount <= room.get(key, 0) for key, amount in wanted.items()):
        return payables, []  # the usual case: the ledger owes all of it
    fits, over = [], []
    left = {key: room.get(key, 0) for key in wanted}
    for p in payables:
        key = (p.payee, p.fund, p.programme)
        if p.amount_minor <= left[key]:
            left[key] -= p.amount_minor
            fits.append(p)
        else:
            over.append(p)
    return fits, over


async def _plan(sql: Sql, run_id: str, programme: str | None, currency: str, progress: Progress) -> _Plan:
    progress("collecting approved payables")
    candidates = await _candidates(sql, programme, currency)
    progress(f"{len(candidates):,} approved payables; finding those already in instructions")
    live, retry_of = await _line_keys(sql, candidates)
    open_ = [p for p in candidates if (p.key, p.fund, p.programme) not in live]
    by_payee: dict[str, list[Payable]] = defaultdict(list)
    for p in open_:
        by_payee[p.payee].append(p)
    payees = sorted(by_payee)
    progress(f"checking {len(payees):,} payees")
    payable = await details.payability(payees)
    room = await _room_in_ledger(sql, currency)
    names = await _names(sql, payees)
    progress("making instructions")
    plan = _Plan([], [], [], 0)
    ids = iter(new_ids("pin", len(payees)))
    now = utcnow()
    for payee in payees:
        items, status = by_payee[payee], payable[payee]
        if status.reason_code:
            total = sum(p.amount_minor for p in items)
            plan.left_out.append((run_id, payee, status.reason_code, status.reason, total, len(items)))
            continue
        fits, over = _fit(items, room)
        if over:
            owed = format_minor(sum(p.amount_minor for p in over), currency)
            plan.left_out.append(
                (
                    run_id,
                    payee,
                    "exceeds_ledger_payable",
                    f"{len(over)} payable(s) ({owed}) exceed what the ledger still owes this payee",
                    sum(p.amount_minor for p in over),
                    len(over),
                )
            )
        if not fits:
            continue
        instruction, detail = next(ids), status.detail
        amount = sum(p.amount_minor for p in fits)
        plan.total += amount
        plan.instructions.append(
            (
                instruction,
                run_id,
                payee,
                details.payee_kind(payee),
                names.get(payee, ""),
                detail["method"],
                detail["public_id"],
                currency,
                amount,
                states.DRAFT,
                now,
            )
        )
        plan.lines += [
            (
                instruction,
                run_id,
                p.key,
                p.source_type,
                p.source_id,
                p.fund,
                p.programme,
                p.amount_minor,
                p.period_end,
                True,
                retry_of.get((p.key, p.fund, p.programme)),
            )
            for p in fits
        ]
    return plan


INSTRUCTION_COLUMNS = (
    "public_id", "run", "payee", "payee_kind", "payee_name", "method", "detail", "currency",
    "amount_minor", "state", "created_at",
)  # fmt: skip
LINE_COLUMNS = (
    "instruction", "run", "payable", "source_type", "source_id", "fund", "programme", "amount_minor",
    "period_end", "live", "retry_of",
)  # fmt: skip


async def _serialise_creation(sql: Sql) -> None:
    """Runs are created one at a time, so two never gather the same payables (SQLite's write lock does
    this already; on PostgreSQL a transaction-scoped advisory lock, freed by commit or by a crash)."""
    if sql.postgres:
        await sql.execute("SELECT pg_advisory_xact_lock(hashtext('payment_run.create'))")


async def create_run(
    actor: Actor,
    programme: str | None,
    pay_date: dt.date,
    currency: str | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """A run for one programme (or all) and a pay date, pending approval."""
    if not actor.has_any(*PREPARERS):
        raise Forbidden("not_a_preparer", "finance officers prepare payment runs", None)
    if pay_date < today():
        raise ValidationFailed("pay_date_in_past", "the pay date cannot be before today", "pay_date")
    if programme is not None:
        found = await dimensions.get("programme", programme)
        currency = currency or found.currency
        if currency != found.currency:
            raise ValidationFailed(
                "currency_mismatch", f"programme {programme} pays in {found.currency}", "currency"
            )
    currency = currency or "EUR"
    run_id = new_id("prn")
    with collector_paused():
        await _create(actor, run_id, programme, pay_date, currency, progress)
    return await get_run(actor, run_id)


async def _create(
    actor: Actor, run_id: str, programme: str | None, pay_date: dt.date, currency: str, progress: Progress
) -> None:
    async with write_transaction():
        sql = Sql()
        await _serialise_creation(sql)
        plan = await _plan(sql, run_id, programme, currency, progress)
        if not plan.instructions and not plan.left_out:
            raise Conflict("nothing_to_pay", "no approved, unpaid payables for this programme and currency")
        progress(f"writing {len(plan.instructions):,} instructions and {len(plan.lines):,} lines")
        await sql.insert_many(
            "payment_run",
            ("public_id", "programme", "currency", "pay_date", "status", "total_minor", "instructions",
             "left_out", "created_by", "created_at", "released_by", "lease_token", "reason"),
            [(run_id, programme, currency, pay_date, "pending_approval", plan.total, len(plan.instructions),
              len(plan.left_out), actor.public_id, utcnow(), "", "", "")],
        )  # fmt: skip
        await sql.insert_many("payment_instruction", INSTRUCTION_COLUMNS, plan.instructions)
        await sql.insert_many("payment_line", LINE_COLUMNS, plan.lines)
        await sql.insert_many(
            "payment_left_out",
            ("run", "payee", "reason_code", "reason", "amount_minor", "payables"),
            plan.left_out,
        )
        required = config.approvers_needed(plan.total)
        await approvals.open_approval(
            actor, SUBJECT, run_id, plan.total, currency, [actor.public_id], required=required
        )
        await audit.record(
            actor,
            "payment_run.create",
            SUBJECT,
            run_id,
            after={
                "programme": programme,
                "currency": currency,
                "pay_date": pay_date.isoformat(),
                "total_minor": plan.total,
                "instructions": len(plan.instructions),
                "left_out": len(plan.left_out),
                "approvers_required": required,
            },
        )
        crashpoints.reached("run.create.before_commit")


# --- approving, rejecting, cancelling ------------------------------------------------------------


async def lock_run(sql: Sql, run_id: str) -> dict[str, Any]:
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = (
        await sql.fetch(f"SELECT * FROM payment_run WHERE public_id = $1{lock}", run_id)
        if has_prefix(run_id, "prn")
        else []
    )
    if not rows:
        raise NotFound("payment run")
    return rows[0]


def require_status(run: dict[str, Any], *allowed: str) -> None:
    if run["status"] not in allowed:
        raise Conflict("run_status", f"the run is {run['status'].replace('_', ' ')}", None)


async def approve_run(actor: Actor, run_id: str) -> dict[str, Any]:
    """Approve a run (not its preparer; a second approver above the value band). Once enough approved,
    its instructions are approved and it waits for release."""
    async with write_transaction():
        sql = Sql()
        run = await lock_run(sql, run_id)
        require_status(run, "pending_approval")
        state = await approvals.approve(actor, SUBJECT, run_id)
        if state.final:
            await sql.execute("UPDATE payment_run SET status = 'approved' WHERE public_id = $1", run_id)
            await sql.execute(
                "UPDATE payment_instruction SET state = $1 WHERE run = $2 AND state = $3",
                states.APPROVED,
                run_id,
                states.DRAFT,
            )
    return await get_run(actor, run_id)


async def _cancel_instructions(actor: Actor, sql: Sql, run_id: str, code: str, reason: str) -> None:
    rows = await sql.fetch(
        f"SELECT * FROM payment_instruction WHERE run = $1 AND state {sql.any_(2, 'text')}",
        run_id,
        [states.DRAFT, states.APPROVED],
    )
    await instructions.end(actor, sql, rows, states.CANCELLED, code, reason, today())


async def reject_run(actor: Actor, run_id: str, reason: str) -> dict[str, Any]:
    """An approver refuses the run: it is cancelled and its payables wait for the next run."""
    async with write_transaction():
        sql = Sql()
        run = await lock_run(sql, run_id)
        require_status(run, "pending_approval")
        await approvals.reject(actor, SUBJECT, run_id, reason)
        await _close(actor, sql, run_id, "run_rejected", reason)
    return await get_run(actor, run_id)


async def cancel_run(actor: Actor, run_id: str, reason: str) -> dict[str, Any]:
    """A finance officer withdraws a run before it is released."""
    if not actor.has_any(Role.FINANCE_OFFICER):
        raise Forbidden("not_allowed", "finance officers cancel payment runs", None)
    async with write_transaction():
        sql = Sql()
        run = await lock_run(sql, run_id)
        require_status(run, "pending_approval", "approved")
        await _close(actor, sql, run_id, "run_cancelled", reason)
    return await get_run(actor, run_id)


async def _close(actor: Actor, sql: Sql, run_id: str, code: str, reason: str) -> None:
    await _cancel_instructions(actor, sql, run_id, code, reason)
    await sql.execute(
        "UPDATE payment_run SET status = 'cancelled', reason = $1 WHERE public_id = $2", reason, run_id
    )
    await audit.record(
        actor, f"payment_run.{code.removeprefix('run_')}", SUBJECT, run_id, after={"reason": reason}
    )


# --- reading ---------------------------------------------------------------------------------------


def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def _instruction_view(row: dict[str, Any], lines: list[dict[str, Any]], masked: str) -> dict[str, Any]:
    currency = row["currency"]
    return {
        "id": row["public_id"],
        "run": row["run"],
        "payee": row["payee"],
        "payee_kind": row["payee_kind"],
        "payee_name": row["payee_name"],
        "method": row["method"],
        "account": masked,
        "amount": _money(row["amount_minor"], currency),
        "currency": currency,
        "state": row["state"],
        "reason_code": row["reason_code"],
        "reason": row["reason"],
        "transfer": row["transfer_id"] or None,
        "message_id": row["message_id"] or None,
        "follows": sorted({ln["retry_of"] for ln in lines if ln["retry_of"]}),
        "submitted_at": row["submitted_at"],
        "settled_at": row["settled_at"],
        "ended_at": row["ended_at"],
        "lines": [
            {
                "payable": ln["payable"],
                "source_type": ln["source_type"],
                "source_id": ln["source_id"],
                "fund": ln["fund"],
                "programme": ln["programme"],
                "amount": _money(ln["amount_minor"], currency),
                "retry_of": ln["retry_of"],
            }
            for ln in lines
        ],
    }


async def _instruction_views(sql: Sql, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [r["public_id"] for r in rows]
    if not ids:
        return []
    lines: dict[str, list] = defaultdict(list)
    for ln in await sql.fetch(
        f"SELECT * FROM payment_line WHERE instruction {sql.any_(1, 'text')} ORDER BY id", ids
    ):
        lines[ln["instruction"]].append(ln)
    masks = {
        r["public_id"]: r["masked"]
        for r in await sql.fetch(
            f"SELECT public_id, masked FROM payment_detail WHERE public_id {sql.any_(1, 'text')}",
            sorted({r["detail"] for r in rows}),
        )
    }
    return [_instruction_view(r, lines[r["public_id"]], masks.get(r["detail"], "")) for r in rows]


def _run_view(run: dict[str, Any], approval: dict[str, Any] | None, counts: dict[str, int]) -> dict[str, Any]:
    currency = run["currency"]
    approvers = [a["user"] for a in json.loads(approval["approvals"])] if approval else []
    return {
        "id": run["public_id"],
        "programme": run["programme"],
        "currency": currency,
        "pay_date": run["pay_date"],
        "status": run["status"],
        "total": _money(run["total_minor"], currency),
        "instructions": run["instructions"],
        "left_out": run["left_out"],
        "states": counts,
        "created_by": run["created_by"],
        "created_at": run["created_at"],
        "approvers_required": approval["required"] if approval else 1,
        "approved_by": approvers,
        "released_by": run["released_by"] or None,
        "released_at": run["released_at"],
        "reason": run["reason"],
    }


def check_reader(actor: Actor) -> None:
    if actor.is_outside:
        raise NotFound("payment run")


async def get_run(
    actor: Actor, run_id: str, with_instructions: bool = False, instruction_limit: int | None = None
) -> dict[str, Any]:
    """A run; `with_instructions` adds its instructions (the first `instruction_limit`, by id, when
    given: a page shows a few hundred of a run of ten thousand)."""
    check_reader(actor)
    async with write_transaction():
        sql = Sql()
        rows = (
            await sql.fetch("SELECT * FROM payment_run WHERE public_id = $1", run_id)
            if has_prefix(run_id, "prn")
            else []
        )
        if not rows:
            raise NotFound("payment run")
        approval = await sql.fetch(
            "SELECT * FROM approval WHERE subject_type = $1 AND subject_id = $2", SUBJECT, run_id
        )
        counts = {
            r["state"]: int(r["n"])
            for r in await sql.fetch(
                "SELECT state, COUNT(*) AS n FROM payment_instruction WHERE run = $1 GROUP BY state", run_id
            )
        }
        view = _run_view(rows[0], approval[0] if approval else None, counts)
        left = await sql.fetch("SELECT * FROM payment_left_out WHERE run = $1 ORDER BY id", run_id)
        view["left_out_payees"] = [
            {
                "payee": r["payee"],
                "reason_code": r["reason_code"],
                "reason": r["reason"],
                "amount": _money(r["amount_minor"], rows[0]["currency"]),
                "payables": r["payables"],
            }
            for r in left
        ]
        files = await sql.fetch("SELECT * FROM payment_file WHERE run = $1 ORDER BY seq", run_id)
        view["files"] = [
            {
                "seq": f["seq"],
                "message_id": f["message_id"],
                "transactions": f["transactions"],
                "total": _money(f["total_minor"], rows[0]["currency"]),
            }
            for f in files
        ]
        if with_instructions:
            limit = "" if instruction_limit is None else f" LIMIT {int(instruction_limit)}"
            inst = await sql.fetch(
                f"SELECT * FROM payment_instruction WHERE run = $1 ORDER BY id{limit}", run_id
            )
            view["instruction_list"] = await _instruction_views(sql, inst)
    return view


async def list_runs(
    actor: Actor, status: str | None = None, limit: int = 50, starting_after: str | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """A page of runs, newest first."""
    check_reader(actor)
    where = [PaymentRun.status == status] if status else []
    page = await paginate(PaymentRun, PaymentRun.all_columns(), where, limit, starting_after)
    async with write_transaction():
        sql = Sql()
        approvals_rows = await sql.fetch(
            f"SELECT * FROM approval WHERE subject_type = $1 AND subject_id {sql.any_(2, 'text')}",
            SUBJECT,
            [r["public_id"] for r in page.rows],
        )
    by_run = {a["subject_id"]: a for a in approvals_rows}
    return [_run_view(r, by_run.get(r["public_id"]), {}) for r in page.rows], page.has_more


async def get_instruction(actor: Actor, instruction_id: str) -> dict[str, Any]:
    async with write_transaction():
        sql = Sql()
        rows = (
            await sql.fetch("SELECT * FROM payment_instruction WHERE public_id = $1", instruction_id)
            if has_prefix(instruction_id, "pin")
            else []
        )
        if not rows or (actor.is_outside and rows[0]["payee"] != actor.organisation_public_id):
            raise NotFound("payment instruction")
        return (await _instruction_views(sql, rows))[0]


PAYEE_STATUS = {
    states.DRAFT: "scheduled",
    states.APPROVED: "scheduled",
    states.SUBMITTING: "in_transit",
    states.SUBMITTED: "in_transit",
    states.ACCEPTED: "in_transit",
    states.SETTLED: "paid",
    states.REJECTED: "failed",
    states.FAILED: "failed",
    states.RETURNED: "returned",
    states.CANCELLED: "cancelled",
}


async def payments_for_payee(actor: Actor, payee: str, limit: int = 100) -> list[dict[str, Any]]:
    """A payee's payments, newest first: paid, in transit, failed (with the reason) or scheduled."""
    details.payee_kind(payee)
    if actor.is_outside and actor.organisation_public_id != payee:
        raise NotFound("payee")
    async with write_transaction():
        sql = Sql()
        rows = await sql.fetch(
            "SELECT * FROM payment_instruction WHERE payee = $1 ORDER BY id DESC LIMIT $2", payee, limit
        )
        views = await _instruction_views(sql, rows)
    for view in views:
        view["status"] = PAYEE_STATUS[view["state"]]
    return views


async def ended_instructions(actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """Instructions the bank rejected, Stripe failed or that came back (returned), newest first, each with
    the follow-up instructions that pay its payables again (`followed_by`: id, run and state), so finance
    sees what failed and whether it has been paid since."""
    check_reader(actor)
    async with write_transaction():
        sql = Sql()
        rows = await sql.fetch(
            f"SELECT * FROM payment_instruction WHERE state {sql.any_(1, 'text')} ORDER BY id DESC LIMIT $2",
            sorted(states.RETRIED_AFTER),
            limit,
        )
        views = await _instruction_views(sql, rows)
        follow_ups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if rows:
            for r in await sql.fetch(
                "SELECT DISTINCT l.retry_of, i.public_id, i.run, i.state FROM payment_line l "
                "JOIN payment_instruction i ON i.public_id = l.instruction "
                f"WHERE l.retry_of IS NOT NULL AND l.retry_of {sql.any_(1, 'text')} ORDER BY i.public_id",
                [r["public_id"] for r in rows],
            ):
                follow_ups[r["retry_of"]].append({"id": r["public_id"], "run": r["run"], "state": r["state"]})
    for view in views:
        view["followed_by"] = follow_ups.get(view["id"], [])
    return views


# --- releasing ---------------------------------------------------------------------------------------


def check_releaser(actor: Actor, run: dict[str, Any], approval: dict[str, Any]) -> None:
    if not actor.has_any(*RELEASERS):
        raise Forbidden("not_a_releaser", "finance officers and approvers release payment runs", None)
    if actor.public_id == run["created_by"]:
        raise Forbidden("four_eyes", "whoever prepared a run cannot release it", None)
    if actor.public_id in {a["user"] for a in json.loads(approval["approvals"])}:
        raise Forbidden("four_eyes", "whoever approved a run cannot release it", None)
