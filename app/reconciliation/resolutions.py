"""Working the exception queue: assign (with a due date), resolve with a kind and a reason, and — when the
resolution moves money — approve by a second person, who executes it.

- matched_by_hand: ties the booking to an instruction (settling it if it is still in transit: money moves);
- fixed_by_booking: posts a ledger entry, cash at bank (1010) against programme expense (5100): money moves;
- accepted: the difference is explained; nothing changes;
- written_off: posts the booking's amount against expense (a debit) or other income (a credit): money moves;
- reissued: a returned payment ends as returned (its settlement and submission are reversed: money moves),
  its payable reopens and the next payment run pays a follow-up that points back to it; for a rejection the
  payable has already reopened, so nothing moves.

Postings go through the ledger's services (journal entries, reversals through the payments domain), keyed
by the exception, so approving twice posts once. The evidence is frozen when the exception is resolved.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from app.core.actor import Actor
from app.core.db import as_date, today, utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import instructions as moves
from app.disbursements import reads as payments
from app.disbursements import states
from app.ledger import chart
from app.ledger import service as ledger
from app.ledger.operations import AccountKey, Leg
from app.reconciliation import matching, queue, service

RESOLVERS = (Role.FINANCE_OFFICER,)
SECOND_PEOPLE = (Role.FINANCE_OFFICER, Role.APPROVER)
KINDS = ("matched_by_hand", "fixed_by_booking", "accepted", "written_off", "reissued")
ALLOWED: dict[str, tuple[str, ...]] = {
    "unmatched_booking": ("matched_by_hand", "written_off", "accepted"),
    "unmatched_instruction": ("matched_by_hand", "accepted"),
    "amount_mismatch": ("fixed_by_booking", "accepted"),
    "duplicate": ("written_off", "accepted"),
    "return": ("reissued", "accepted"),
    "rejection": ("reissued", "accepted"),
    "failed_check": ("fixed_by_booking", "accepted"),
}


async def assign(actor: Actor, exception_id: str, assignee: str, due_date: dt.date | None) -> dict[str, Any]:
    service.require(actor, RESOLVERS, "assigning exceptions")
    if not assignee.startswith("usr_"):
        raise ValidationFailed("invalid_assignee", "assign to a user id (usr_…)", "assignee")
    from app.core.users import get_user

    await get_user(assignee)  # 404 for someone who does not exist
    async with write_transaction():
        sql = Sql()
        row = await queue.load(sql, exception_id, lock=True)
        queue.require_state(row, "open", "assigned")
        due = due_date or today() + dt.timedelta(days=5)
        await queue.transition(actor, sql, row, "assigned", state="assigned", assignee=assignee, due_date=due)
        return queue.view(await queue.load(sql, exception_id))


def check_kind(row: dict[str, Any], kind: str, reason: str) -> None:
    if kind not in KINDS:
        raise ValidationFailed(
            "invalid_resolution", f"resolution must be one of {', '.join(KINDS)}", "resolution"
        )
    if kind not in ALLOWED[row["kind"]]:
        raise ValidationFailed(
            "invalid_resolution",
            f"a {row['kind']} exception is resolved by {', '.join(ALLOWED[row['kind']])}, not {kind}",
            "resolution",
        )
    if not reason.strip():
        raise ValidationFailed("reason_required", "say why (the reason is kept with the exception)", "reason")


async def resolve(
    actor: Actor, exception_id: str, kind: str, reason: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve, or — when the resolution moves money — propose it for a second person's approval."""
    service.require(actor, RESOLVERS, "resolving exceptions")
    params = dict(params or {})
    async with write_transaction():
        sql = Sql()
        row = await queue.load(sql, exception_id, lock=True)
        queue.require_state(row, "open", "assigned")
        check_kind(row, kind, reason)
        planned = await plan(sql, row, kind, params)
        if planned["moves_money"]:
            proposal = {
                "resolution": kind,
                "reason": reason.strip(),
                "params": planned["params"],
                "effect": planned["effect"],
            }
            await queue.transition(actor, sql, row, "proposed", state="pending_resolution",
                                   proposal=json.dumps(proposal), proposed_by=actor.public_id)  # fmt: skip
        else:
            await _execute(actor, sql, row, kind, planned["params"])
            await _close(actor, sql, row, kind, reason.strip(), approved_by="")
        return queue.view(await queue.load(sql, exception_id))


async def approve(actor: Actor, exception_id: str) -> dict[str, Any]:
    """The second person: carries out the proposed resolution that moves money."""
    service.require(actor, SECOND_PEOPLE, "approving resolutions")
    async with write_transaction():
        sql = Sql()
        row = await queue.load(sql, exception_id, lock=True)
        queue.require_state(row, "pending_resolution")
        if row["proposed_by"] == actor.public_id:
            raise Forbidden("four_eyes", "a second person must approve a resolution that moves money", None)
        proposal = json.loads(row["proposal"])
        await _execute(actor, sql, row, proposal["resolution"], proposal["params"])
        await _close(actor, sql, row, proposal["resolution"], proposal["reason"], approved_by=actor.public_id,
                     resolved_by=row["proposed_by"])  # fmt: skip
        return queue.view(await queue.load(sql, exception_id))


async def reject_proposal(actor: Actor, exception_id: str, reason: str) -> dict[str, Any]:
    service.require(actor, SECOND_PEOPLE, "refusing resolutions")
    if not reason.strip():
        raise ValidationFailed("reason_required", "say why the proposal is refused", "reason")
    async with write_transaction():
        sql = Sql()
        row = await queue.load(sql, exception_id, lock=True)
        queue.require_state(row, "pending_resolution")
        back = "assigned" if row["assignee"] else "open"
        await queue.transition(actor, sql, row, "proposal_refused", state=back, proposal="", proposed_by="",
                               reason=f"proposal refused: {reason.strip()}")  # fmt: skip
        return queue.view(await queue.load(sql, exception_id))


async def _close(
    actor: Actor,
    sql: Sql,
    row: dict[str, Any],
    kind: str,
    reason: str,
    approved_by: str,
    resolved_by: str = "",
) -> None:
    fresh = await queue.load(sql, row["public_id"])
    await queue.transition(
        actor, sql, fresh, "resolved", state="resolved", resolution=kind, reason=reason,
        resolved_by=resolved_by or actor.public_id, approved_by=approved_by, resolved_at=utcnow(),
        frozen_evidence=fresh["evidence"], follow_up=kind == "reissued",
    )  # fmt: skip


# --- what each resolution does -----------------------------------------------------------------


async def plan(sql: Sql, row: dict[str, Any], kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check a resolution can be carried out, fill in its defaults, and say whether it moves money."""
    if kind == "accepted":
        return {"moves_money": False, "params": {}, "effect": "nothing changes"}
    if kind == "matched_by_hand":
        return await _plan_match(sql, row, params)
    if kind == "reissued":
        return await _plan_reissue(sql, row)
    return await _plan_posting(sql, row, kind, params)


async def _plan_match(sql: Sql, row: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    booking_id = row["booking"] or str(params.get("booking", ""))
    evidence = json.loads(row["evidence"] or "{}")
    instruction_id = row["instruction"] or str(
        params.get("instruction") or evidence.get("proposed_instruction", "")
    )
    if not booking_id or not instruction_id:
        raise ValidationFailed("match_needs_both", "name the booking (bkg_…) or the instruction (pin_…)",
                               "params.booking" if not booking_id else "params.instruction")  # fmt: skip
    bookings = await sql.fetch("SELECT * FROM recon_booking WHERE public_id = $1", booking_id)
    if not bookings:
        raise ValidationFailed("unknown_booking", f"no booking {booking_id}", "params.booking")
    found = (await payments.by_ids(sql, [instruction_id])).get(instruction_id)
    if found is None:
        raise ValidationFailed(
            "unknown_instruction", f"no instruction {instruction_id}", "params.instruction"
        )
    if await service.claimed_instructions(sql, [instruction_id]):
        raise Conflict(
            "already_matched", f"{instruction_id} is already matched to a booking", "params.instruction"
        )
    if found["state"] not in matching.PAYABLE_STATES:
        raise Conflict(
            "not_payable",
            f"{instruction_id} is {found['state']}: no booking can pay it",
            "params.instruction",
        )
    booked = -int(bookings[0]["amount_minor"])
    if booked != int(found["amount_minor"]):
        raise ValidationFailed(
            "amounts_differ",
            f"the booking is {matching.money(booked)}, the instruction "
            f"{matching.money(int(found['amount_minor']))}: "
            "resolve the difference with fixed_by_booking",
            "params.instruction",
        )
    settles = found["state"] in states.IN_TRANSIT
    return {
        "moves_money": settles,
        "params": {"booking": booking_id, "instruction": instruction_id},
        "effect": f"{booking_id} pays {instruction_id}" + ("; the instruction settles" if settles else ""),
    }


async def _plan_reissue(sql: Sql, row: dict[str, Any]) -> dict[str, Any]:
    found = (await payments.by_ids(sql, [row["instruction"]])).get(row["instruction"])
    if found is None:
        raise ValidationFailed("unknown_instruction", "the exception names no instruction", "instruction")
    if found["state"] in states.RETRIED_AFTER:
        return {"moves_money": False, "params": {"instruction": found["public_id"]},
                "effect": "the payable is open again: the next payment run pays a follow-up"}  # fmt: skip
    if found["state"] not in (states.SETTLED, *states.IN_TRANSIT):
        raise Conflict("not_returnable", f"{found['public_id']} is {found['state']}", "instruction")
    return {
        "moves_money": True,
        "params": {"instruction": found["public_id"]},
        "effect": f"{found['public_id']} ends as returned (its settlement and submission are reversed); "
        "the payable "
        "reopens and the next payment run pays a follow-up",
    }


def _money_param(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationFailed("invalid_amount", f"{name} is a whole number of minor units", f"params.{name}")
    return value


async def _plan_posting(sql: Sql, row: dict[str, Any], kind: str, params: dict[str, Any]) -> dict[str, Any]:
    evidence = json.loads(row["evidence"] or "{}")
    cash = _money_param(params, "cash_minor")
    if cash is None:
        cash = _default_cash(row, kind, evidence)
        if row["booking"] and kind == "written_off":
            booking = await sql.fetch(
                "SELECT amount_minor FROM recon_booking WHERE public_id = $1", row["booking"]
            )
            cash = int(booking[0]["amount_minor"]) if booking else cash
    if not cash:
        raise ValidationFailed(
            "nothing_to_post", "the posting would be zero: give params.cash_minor", "params.cash_minor"
        )
    fund, programme = params.get("fund"), params.get("programme")
    if (not fund or not programme) and row["instruction"]:
        legs = await payments.legs(sql, row["instruction"])
        if legs:
            fund, programme = legs[0][0], legs[0][1]
    if not fund or not programme:
        raise ValidationFailed(
            "fund_required", "name the fund and programme the posting belongs to", "params.fund"
        )
    against = chart.EXPENSE if cash < 0 or kind == "fixed_by_booking" else chart.CONTRIBUTIONS
    return {
        "moves_money": True,
        "params": {"cash_minor": cash, "fund": str(fund), "programme": str(programme), "against": against},
        "effect": f"cash at bank {matching.money(cash)} against {against} ({fund} x {programme})",
    }


def _default_cash(row: dict[str, Any], kind: str, evidence: dict[str, Any]) -> int:
    """The cash correction that makes the ledger agree with the bank."""
    if row["kind"] == "amount_mismatch" and "difference_minor" in evidence:
        return -int(evidence["difference_minor"])  # the bank paid more: cash is lower than the ledger thinks
    if row["kind"] == "failed_check" and "drift_minor" in evidence:
        return -int(evidence["drift_minor"])
    if row["kind"] == "duplicate":
        return -int(row["amount_minor"])
    return 0


async def _execute(actor: Actor, sql: Sql, row: dict[str, Any], kind: str, params: dict[str, Any]) -> None:
    if kind == "matched_by_hand":
        await _execute_match(actor, sql, row, params)
    elif kind == "reissued":
        await _execute_reissue(actor, sql, row, params)
    elif kind in ("fixed_by_booking", "written_off"):
        await _execute_posting(actor, sql, row, kind, params)
        if row["kind"] == "amount_mismatch" and row["booking"] and row["instruction"]:
            await _tie(
                actor,
                sql,
                row["booking"],
                row["instruction"],
                "fixed_by_booking",
                "amount corrected by a booking",
            )
    if row["booking"]:  # explained by a person, not matched (unless tied above): out of the queue
        await sql.execute(
            "UPDATE recon_booking SET state = 'resolved' WHERE public_id = $1 AND state = 'exception'",
            row["booking"],
        )


async def _tie(actor: Actor, sql: Sql, booking: str, instruction: str, rule: str, why: str) -> None:
    rows = await sql.fetch("SELECT amount_minor, booked FROM recon_booking WHERE public_id = $1", booking)
    amount = -int(rows[0]["amount_minor"])
    found = (await payments.by_ids(sql, [instruction]))[instruction]
    link = matching.Link(booking, instruction, amount if amount > 0 else int(found["amount_minor"]))
    await service.store_matches(actor, sql, [matching.MatchOut(matching.ONE_TO_ONE, rule, why, (link,))])
    booked = as_date(rows[0]["booked"]) if rows[0]["booked"] else None
    await service.settle_paid(actor, sql, [link], {booking: booked})
    await sql.execute("UPDATE recon_booking SET state = 'matched' WHERE public_id = $1", booking)


async def _execute_match(actor: Actor, sql: Sql, row: dict[str, Any], params: dict[str, Any]) -> None:
    await sql.execute(
        "UPDATE recon_match SET status = 'dropped' WHERE booking = $1 AND status = 'proposed'",
        params["booking"],
    )
    await _tie(
        actor,
        sql,
        params["booking"],
        params["instruction"],
        "by_hand",
        f"matched by hand ({row['public_id']})",
    )


async def _execute_reissue(actor: Actor, sql: Sql, row: dict[str, Any], params: dict[str, Any]) -> None:
    locked = await moves.lock(sql, [params["instruction"]])
    if locked and locked[0]["state"] not in states.RETRIED_AFTER:
        evidence = json.loads(row["evidence"] or "{}")
        code = str(evidence.get("return_reason") or "RTRN")
        end_as = states.RETURNED if locked[0]["state"] == states.SETTLED else states.FAILED
        note = f"returned by the bank ({code}); re-issued via {row['public_id']}"
        await moves.end(actor, sql, locked, end_as, code, note, today())


async def _execute_posting(
    actor: Actor, sql: Sql, row: dict[str, Any], kind: str, params: dict[str, Any]
) -> None:
    cash, fund, programme = int(params["cash_minor"]), params["fund"], params["programme"]
    entry = await ledger.journal(
        actor,
        [
            Leg(AccountKey(chart.CASH, fund, programme), cash),
            Leg(AccountKey(params["against"], fund, programme), -cash),
        ],
        idempotency_key=f"recon:{row['public_id']}:{kind}",
        effective_date=today(),
        description=f"Reconciliation {row['public_id']} ({row['kind']}): {kind}",
        reference_type="recon_exception",
        reference_id=row["public_id"],
    )
    await sql.execute(
        "UPDATE recon_exception SET ledger_entry = $1 WHERE id = $2", f"je_{entry.seq}", row["id"]
    )
