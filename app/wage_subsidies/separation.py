"""When a subsidised employment ends: the agreement ends, its unused commitment is released, and any
subsidy approved for time after the end becomes an overpayment. What was not yet paid is disallowed at
once (the employer is owed less); what was paid is a receivable, recovered by offset against the
employer's next approved claims or by a recorded repayment. The employer sees what it owes and why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.approvals import UNDECIDED
from app.core.db import as_date, utcnow, write_transaction
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.money import format_minor, to_minor
from app.core.organisations import find_organisation
from app.core.sql import Sql
from app.ledger import queries
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.wage_subsidies import placements
from app.wage_subsidies.subsidy_rules import (
    AgreementState,
    Reason,
    StandingLine,
    after_separation,
    anniversary,
    rule_figures,
)
from app.wage_subsidies.tables import Overpayment, Recovery

# Why an overpayment was raised, as stored; its parts are given apart so pages can say it in any language.
AFTER_END = "subsidy approved for {months} after the employment ended on {end}"
_AFTER_END = re.compile(
    r"^subsidy approved for (?P<months>\d{4}-\d{2}(?:, \d{4}-\d{2})*) after the employment ended on "
    r"(?P<end>\d{4}-\d{2}-\d{2})$"
)


@dataclass(frozen=True)
class _Excess:
    line: dict[str, Any]
    entitled_minor: int  # what the rule gives the line after the end date (at most what it was accepted)
    entitled_days: int
    why: str


async def end_employment(
    actor: Actor, placement_id: str, end_date: dt.date, reason: str, when: dt.date
) -> dict[str, Any]:
    """Record the last day of employment. Joins the caller's transaction when there is one."""
    async with write_transaction():
        sql = Sql()
        placement = await placements.placement_for_update(actor, placement_id)
        if end_date < as_date(placement["start_date"]):
            raise ValidationFailed(
                "invalid_end_date", "the employment cannot end before it started", "end_date"
            )
        if placement["status"] == "ended":
            if as_date(placement["end_date"]) == end_date:
                return await placements.get_placement(actor, placement_id)
            raise Conflict(
                "already_ended", f"the employment already ended on {placement['end_date']}", "end_date"
            )
        await sql.execute(
            "UPDATE wage_placement SET status = 'ended', end_date = $1, end_reason = $2, updated_at = $3 "
            "WHERE public_id = $4",
            end_date,
            reason,
            utcnow(),
            placement_id,
        )
        agreements = await sql.fetch(
            f"{placements.AGREEMENTS_SQL} WHERE a.placement = $1 AND a.status = 'active'", placement_id
        )
        for agreement in agreements:
            await sql.execute(
                "UPDATE wage_agreement SET status = 'ended', end_date = $1 WHERE public_id = $2",
                end_date,
                agreement["public_id"],
            )
            await _correct_lines(actor, sql, agreement, end_date, when)
            await placements.release_unneeded(actor, sql, [agreement["public_id"]], when)
        await audit.record(
            actor,
            "placement.end",
            "placement",
            placement_id,
            after={"end_date": end_date.isoformat(), "reason": reason},
        )
    return await placements.get_placement(actor, placement_id)


async def _correct_lines(
    actor: Actor, sql: Sql, agreement: dict[str, Any], end_date: dt.date, when: dt.date
) -> None:
    lines = await sql.fetch(
        "SELECT l.id, l.claim, l.kind, l.month_number, l.employed_days, l.gross_wage_minor, l.hours_worked, "
        "l.amount_accepted_minor, l.amount_approved_minor, c.status, c.period_start FROM wage_claim_line l "
        "JOIN wage_claim c ON c.public_id = l.claim WHERE l.agreement = $1 AND l.outcome <> 'rejected' "
        "ORDER BY l.id",
        agreement["public_id"],
    )
    verified = await placements.employer_verified(agreement["employer"])
    state = placements.agreement_state(agreement, verified, 0, frozenset())
    excesses = [e for e in (_excess(state, line, end_date) for line in lines) if e is not None]
    overpaid = 0
    for excess in excesses:
        if excess.line["status"] in UNDECIDED:
            await _reduce_pending(sql, excess)
        else:
            overpaid += excess.line["amount_approved_minor"] - excess.entitled_minor
    if overpaid > 0:
        months = ", ".join(sorted({str(e.line["period_start"])[:7] for e in excesses}))
        why = AFTER_END.format(months=months, end=end_date.isoformat())
        await _raise_overpayment(actor, sql, agreement, overpaid, why, when)


def _excess(state: AgreementState, line: dict[str, Any], end_date: dt.date) -> _Excess | None:
    """What a standing line is still worth once the employment ended on `end_date`, as the wage_subsidy
    rule decides it with the end as a fact (None: the end changes nothing for it). Never more than the
    line was accepted or approved for: the end only takes away."""
    standing = StandingLine(
        line["kind"],
        line["month_number"],
        as_date(line["period_start"]),
        line["gross_wage_minor"],
        line["hours_worked"],
        line["employed_days"],
    )
    after = after_separation(state, standing, end_date, rule_figures)
    if after is None:
        return None
    held = line["amount_accepted_minor"] if line["status"] in UNDECIDED else line["amount_approved_minor"]
    if after.worth_minor >= held:
        return None
    if line["kind"] == "bonus":
        due = anniversary(state.hire_date, line["month_number"])
        why = f"the employment ended before {line['month_number']} months ({due})"
    else:
        why = f"the employment ended on {end_date}"
    return _Excess(line, after.worth_minor, after.employed_days, why)


async def _reduce_pending(sql: Sql, excess: _Excess) -> None:
    """A line still awaiting approval is cut to what it is worth; the claim's total follows."""
    line = excess.line
    cut = line["amount_accepted_minor"] - excess.entitled_minor
    outcome = "rejected" if excess.entitled_minor == 0 else "reduced"
    await sql.execute(
        "UPDATE wage_claim_line SET amount_accepted_minor = $1, employed_days = $2, outcome = $3, "
        "reason = $4, message = $5 WHERE id = $6",
        excess.entitled_minor,
        excess.entitled_days if line["kind"] == "wage" else line["employed_days"],
        outcome,
        Reason.AFTER_END.value,
        excess.why,
        line["id"],
    )
    await sql.execute(
        "UPDATE wage_claim SET accepted_minor = accepted_minor - $1 WHERE public_id = $2", cut, line["claim"]
    )


async def _owed_to(party: str, fund: str, programme: str) -> int:
    """What the programme still owes the party on this fund and programme (its payable, unpaid)."""
    rows = await queries.account_balances(fund=fund, programme=programme, code="2110", party=party)
    return sum(-r.balance for r in rows)


async def _raise_overpayment(
    actor: Actor, sql: Sql, agreement: dict[str, Any], amount: int, why: str, when: dt.date
) -> None:
    employer, fund, programme = agreement["employer"], agreement["fund"], agreement["programme"]
    disallowed = min(amount, await _owed_to(employer, fund, programme))
    receivable = amount - disallowed
    public_id = new_id("ovp")
    target = Target(fund, programme, employer)
    operations = [
        Operation(
            kind, target, value, f"ovp:{public_id}:{kind.value}", when, why, "wage_overpayment", public_id
        )
        for kind, value in ((Kind.DISALLOW, disallowed), (Kind.RECEIVABLE, receivable))
        if value > 0
    ]
    await ledger.apply(actor, operations)
    await sql.insert_many(
        "wage_overpayment",
        (
            "public_id",
            "employer",
            "agreement",
            "fund",
            "programme",
            "currency",
            "amount_minor",
            "disallowed_minor",
            "receivable_minor",
            "recovered_minor",
            "status",
            "reason",
            "created_at",
        ),
        [
            (
                public_id,
                employer,
                agreement["public_id"],
                fund,
                programme,
                agreement["currency"],
                amount,
                disallowed,
                receivable,
                0,
                "recovering" if receivable else "disallowed",
                why,
                utcnow(),
            )
        ],
    )
    await audit.record(
        actor,
        "overpayment.raise",
        "wage_overpayment",
        public_id,
        after={"amount_minor": amount, "disallowed_minor": disallowed, "receivable_minor": receivable},
    )


# --- recovery ------------------------------------------------------------------------------------


async def offset_against(
    actor: Actor,
    sql: Sql,
    employer: str,
    claim_id: str,
    approved_by_target: dict[tuple[str, str], int],
    when: dt.date,
) -> int:
    """Net the employer's open overpayments (oldest first) against what a claim just approved, per fund
    and programme. Returns the total kept back."""
    total = 0
    for (fund, programme), approved in sorted(approved_by_target.items()):
        room = approved
        open_rows = await sql.fetch(
            "SELECT * FROM wage_overpayment WHERE employer = $1 AND fund = $2 AND programme = $3 "
            "AND status = 'recovering' ORDER BY id",
            employer,
            fund,
            programme,
        )
        for row in open_rows:
            take = min(room, row["receivable_minor"] - row["recovered_minor"])
            if take <= 0:
                continue
            await _recover(
                actor, sql, row, take, "offset", when, claim_id, f"offset against claim {claim_id}"
            )
            room -= take
            total += take
    return total


async def _recover(
    actor: Actor,
    sql: Sql,
    row: dict[str, Any],
    amount: int,
    method: str,
    when: dt.date,
    claim_id: str | None,
    reference: str,
) -> None:
    kind = Kind.RECOVERY_OFFSET if method == "offset" else Kind.RECOVERY_REPAYMENT
    recovered = row["recovered_minor"] + amount
    await ledger.apply_one(
        actor,
        Operation(
            kind,
            Target(row["fund"], row["programme"], row["employer"]),
            amount,
            f"ovp:{row['public_id']}:{method}:{recovered}",
            when,
            f"Overpayment {row['public_id']} recovered by {method}: {reference}",
            "wage_overpayment",
            row["public_id"],
        ),
    )
    await sql.execute(
        "UPDATE wage_overpayment SET recovered_minor = $1, status = $2 WHERE public_id = $3",
        recovered,
        "recovered" if recovered >= row["receivable_minor"] else "recovering",
        row["public_id"],
    )
    await sql.insert_many(
        "wage_recovery",
        ("overpayment", "method", "amount_minor", "claim", "reference", "created_by", "created_at"),
        [(row["public_id"], method, amount, claim_id, reference[:64], actor.public_id, utcnow())],
    )


async def record_repayment(
    actor: Actor, overpayment_id: str, amount_text: str, when: dt.date, reference: str
) -> dict[str, Any]:
    """The employer paid back (a bank receipt): the receivable shrinks and the budget is available again."""
    async with write_transaction():
        sql = Sql()
        lock = " FOR UPDATE" if sql.postgres else ""
        rows = (
            await sql.fetch(f"SELECT * FROM wage_overpayment WHERE public_id = $1{lock}", overpayment_id)
            if has_prefix(overpayment_id, "ovp")
            else []
        )
        if not rows:
            raise NotFound("overpayment")
        row = rows[0]
        amount = to_minor(amount_text, row["currency"])
        outstanding = row["receivable_minor"] - row["recovered_minor"]
        if amount <= 0 or amount > outstanding:
            shown = format_minor(outstanding, row["currency"])
            raise ValidationFailed(
                "invalid_amount", f"the repayment must be above 0 and at most {shown}", "amount"
            )
        await _recover(actor, sql, row, amount, "repayment", when, None, reference or "repayment")
        await audit.record(
            actor,
            "overpayment.repayment",
            "wage_overpayment",
            overpayment_id,
            after={"amount_minor": amount, "reference": reference},
        )
    return await get_overpayment(actor, overpayment_id)


# --- what the employer owes and why --------------------------------------------------------------


def overpayment_view(row: dict[str, Any], recoveries: list[dict[str, Any]]) -> dict[str, Any]:
    currency = row["currency"]
    return {
        "id": row["public_id"],
        "employer": row["employer"],
        "agreement": row["agreement"],
        "currency": currency,
        "amount": format_minor(row["amount_minor"], currency),
        "disallowed": format_minor(row["disallowed_minor"], currency),
        "receivable": format_minor(row["receivable_minor"], currency),
        "recovered": format_minor(row["recovered_minor"], currency),
        "outstanding": format_minor(row["receivable_minor"] - row["recovered_minor"], currency),
        "status": row["status"],
        "reason": row["reason"],
        **_reason_parts(row["reason"]),
        "recoveries": [
            {
                "method": r["method"],
                "amount": format_minor(r["amount_minor"], currency),
                "claim": r["claim"],
                "reference": r["reference"],
                "at": r["created_at"],
            }
            for r in recoveries
        ],
    }


def _reason_parts(reason: str) -> dict[str, Any]:
    """The reason's code and the facts it names (the months and the end date), for pages in any language."""
    found = _AFTER_END.match(reason)
    if found is None:
        return {"reason_code": "", "reason_months": [], "reason_end_date": None}
    return {
        "reason_code": Reason.AFTER_END.value,
        "reason_months": found["months"].split(", "),
        "reason_end_date": dt.date.fromisoformat(found["end"]),
    }


async def _views(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    recoveries = (
        await Recovery.select()
        .where(Recovery.overpayment.is_in([r["public_id"] for r in rows]))
        .order_by(Recovery.id)
    )
    by_overpayment: dict[str, list] = {}
    for r in recoveries:
        by_overpayment.setdefault(r["overpayment"], []).append(r)
    return [overpayment_view(r, by_overpayment.get(r["public_id"], [])) for r in rows]


async def get_overpayment(actor: Actor, overpayment_id: str) -> dict[str, Any]:
    rows = (
        await Overpayment.select().where(Overpayment.public_id == overpayment_id)
        if has_prefix(overpayment_id, "ovp")
        else []
    )
    row = placements.employers_own(actor, rows[0] if rows else None, "overpayment")
    return (await _views([row]))[0]


async def balance(actor: Actor, employer: str) -> dict[str, Any]:
    """What the programme owes the employer (approved, unpaid) and what the employer owes back, with each
    overpayment's reason and recoveries."""
    await find_organisation(actor, "employer", employer)
    payables = await queries.account_balances(code="2110", party=employer)
    receivables = await queries.account_balances(code="1310", party=employer)
    rows = await Overpayment.select().where(Overpayment.employer == employer).order_by(Overpayment.id)
    currency = rows[0]["currency"] if rows else (payables[0].currency if payables else "EUR")
    owed_to = sum(-r.balance for r in payables)
    owed_by = sum(r.balance for r in receivables)
    return {
        "employer": employer,
        "currency": currency,
        "owed_to_employer": format_minor(owed_to, currency),
        "owed_by_employer": format_minor(owed_by, currency),
        "overpayments": await _views(rows),
    }
