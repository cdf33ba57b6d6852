"""Employers' monthly wage-subsidy claims: submitted (API or CSV), judged line by line, approved with four
eyes through the shared approval mechanism, posted to the ledger, and netted against overpayments.

An employer sees only its own claims. A line naming another employer's placement is refused exactly like
one naming no placement at all, so an employer cannot learn who works elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core import approvals, audit
from app.core.actor import Actor
from app.core.db import as_date, raw, write_transaction
from app.core.errors import ErrorDetail, Forbidden, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.money import format_minor, to_minor
from app.core.sql import Sql
from app.ledger import service as ledger
from app.ledger.operations import expenditures
from app.wage_subsidies import placements, separation
from app.wage_subsidies.subsidy_rules import (
    Judged,
    PayrollLine,
    judge,
    month_bounds,
    rule_figures,
)
from app.wage_subsidies.tables import WageClaim, WageClaimLine

SUBJECT = "wage_claim"
MAX_LINES = 10_000
# The end reason recorded when a payroll line reports the separation (pages say it in their language).
REPORTED_IN_CLAIM = "reported in claim {claim}"
_REPORTED_IN_CLAIM = re.compile(r"^reported in claim (wcl_[0-9a-z]+)$")


def reported_in_claim(end_reason: str) -> str | None:
    """The claim that reported the separation, when the end reason is the one a claim records."""
    found = _REPORTED_IN_CLAIM.match(end_reason or "")
    return found[1] if found else None


@dataclass(frozen=True)
class PayrollIn:
    placement: str  # plc_…
    gross_wage: str  # paid for the month, decimal text
    hours_worked: int  # hundredths of an hour
    still_employed: bool = True
    end_date: dt.date | None = None
    kind: str = "wage"  # wage | bonus
    file_line: int | None = None  # the line of the uploaded CSV (header = 1); None for the JSON API


CSV_COLUMN = {"gross_wage": "gross_wage_paid"}  # JSON field -> CSV column, where they differ


def _where(item: PayrollIn, index: int, field: str) -> str:
    """Where a problem is: `line N.column` in an uploaded file, `lines[i].field` in a JSON request."""
    if item.file_line is not None:
        return f"line {item.file_line}.{CSV_COLUMN.get(field, field)}"
    return f"lines[{index}].{field}"


def _line_number(item: PayrollIn, index: int) -> int:
    """The claim's line number: the file's line for an upload, the position (from 1) for the API."""
    return item.file_line if item.file_line is not None else index + 1


def _employer_of(actor: Actor) -> str:
    if actor.organisation_kind != "employer" or actor.organisation_public_id is None:
        raise Forbidden("not_an_employer", "only an employer's users submit wage subsidy claims", None)
    return actor.organisation_public_id


def _check_items(items: Sequence[PayrollIn], first: dt.date, last: dt.date, currency: str) -> list[int]:
    """Amounts in minor units; every malformed line named, all at once (nothing is recorded when one is)."""
    if not items or len(items) > MAX_LINES:
        raise ValidationFailed("invalid_lines", f"a claim has 1 to {MAX_LINES:,} lines", "lines")
    problems: list[ErrorDetail] = []
    wages = []
    for i, item in enumerate(items):
        wages.append(_wage(item, i, currency, problems))
        if item.still_employed and item.end_date is not None:
            problems.append(
                ErrorDetail(
                    "end_date_while_employed",
                    "give end_date only when still_employed is false",
                    _where(item, i, "end_date"),
                )
            )
        if not item.still_employed and (item.end_date is None or not first <= item.end_date <= last):
            problems.append(
                ErrorDetail(
                    "invalid_end_date",
                    "when still_employed is false, end_date is the last day employed, "
                    f"within {first} to {last}",
                    _where(item, i, "end_date"),
                )
            )
    if problems:
        raise ValidationFailed(
            problems[0].code,
            f"{len(problems)} problem(s) in the claim; first: {problems[0].message}",
            problems[0].param,
            details=problems,
        )
    return wages


def _wage(item: PayrollIn, index: int, currency: str, problems: list[ErrorDetail]) -> int:
    where = _where(item, index, "gross_wage")
    try:
        wage = to_minor(item.gross_wage, currency, where)
    except ValidationFailed as exc:
        problems.append(ErrorDetail(exc.code, exc.message, where))
        return 0
    if wage < 0:
        problems.append(ErrorDetail("invalid_amount", "a wage cannot be negative", where))
    return wage


async def _lock_agreements(sql: Sql, employer: str, placement_refs: list[str]) -> list[dict[str, Any]]:
    """The employer's agreements for the placements named, locked in id order until the claim is saved."""
    lock = " ORDER BY a.id FOR UPDATE OF a" if sql.postgres else ""
    return await sql.fetch(
        f"{placements.AGREEMENTS_SQL} WHERE a.employer = $1 AND a.placement {sql.any_(2, 'text')}{lock}",
        employer,
        placement_refs,
    )


async def submit(
    actor: Actor,
    period: dt.date,
    items: Sequence[PayrollIn],
    today: dt.date,
    source: str = "api",
    currency: str = "EUR",
) -> dict[str, Any]:
    """Judge and record an employer's claim for one calendar month; it then waits for approval."""
    employer = _employer_of(actor)
    first, last = month_bounds(period.replace(day=1))
    if last > today:
        raise ValidationFailed("period_in_future", f"the month {first:%Y-%m} has not ended yet", "period")
    wages = _check_items(items, first, last, currency)
    async with write_transaction():
        sql = Sql()
        refs = sorted({i.placement for i in items})
        rows = await _lock_agreements(sql, employer, refs)
        by_placement = {row["placement"]: row for row in rows}
        pending, claimed = await placements.standing(sql, [r["public_id"] for r in rows])
        verified = await placements.employer_verified(employer)
        states = {
            row["public_id"]: placements.agreement_state(
                row, verified, pending.get(row["public_id"], 0), frozenset(claimed.get(row["public_id"], ()))
            )
            for row in rows
        }
        lines = [
            PayrollLine(
                n,
                by_placement[item.placement]["public_id"] if item.placement in by_placement else None,
                item.kind,
                wage,
                item.hours_worked,
                item.still_employed,
                item.end_date,
            )
            for n, item, wage in (
                (_line_number(it, i), it, w) for i, (it, w) in enumerate(zip(items, wages, strict=True))
            )
        ]
        judged = judge(lines, states, first, rule_figures, currency)
        claim_id = new_id("wcl")
        await _record(sql, actor, claim_id, employer, first, last, items, lines, judged, source, currency)
        total = sum(j.accepted_minor for j in judged)
        await approvals.open_approval(actor, SUBJECT, claim_id, total, currency, [actor.public_id])
        await audit.record(
            actor,
            "wage_claim.submit",
            "wage_claim",
            claim_id,
            after={"lines": len(judged), "accepted_minor": total},
        )
        for item in items:  # the payroll reports the employment ended: record the separation now
            if not item.still_employed and item.placement in by_placement:
                await separation.end_employment(
                    actor, item.placement, item.end_date, REPORTED_IN_CLAIM.format(claim=claim_id), today
                )
    return await get(actor, claim_id)


async def _record(
    sql: Sql,
    actor: Actor,
    claim_id: str,
    employer: str,
    first: dt.date,
    last: dt.date,
    items: Sequence[PayrollIn],
    lines: list[PayrollLine],
    judged: list[Judged],
    source: str,
    currency: str,
) -> None:
    await WageClaim.insert(
        WageClaim(
            public_id=claim_id,
            employer=employer,
            period_start=first,
            period_end=last,
            status="submitted",
            source=source,
            currency=currency,
            accepted_minor=sum(j.accepted_minor for j in judged),
            submitted_by=actor.public_id,
        )
    )
    columns = (
        "claim",
        "line_no",
        "placement_ref",
        "agreement",
        "kind",
        "month_number",
        "gross_wage_minor",
        "hours_worked",
        "still_employed",
        "end_date",
        "employed_days",
        "amount_accepted_minor",
        "amount_approved_minor",
        "outcome",
        "reason",
        "message",
    )
    await sql.insert_many(
        "wage_claim_line",
        columns,
        [
            (
                claim_id,
                j.number,
                item.placement[:32],
                j.agreement,
                line.kind,
                j.month_number,
                line.gross_wage_minor,
                line.hours_worked,
                line.still_employed,
                line.end_date,
                j.employed_days,
                j.accepted_minor,
                0,
                j.outcome.value,
                j.reason.value if j.reason else "",
                j.message,
            )
            for item, line, j in zip(items, lines, judged, strict=True)
        ],
    )


# --- reading -------------------------------------------------------------------------------------


async def _claim_row(actor: Actor, claim_id: str) -> dict[str, Any]:
    row = (
        await WageClaim.select().where(WageClaim.public_id == claim_id).first()
        if has_prefix(claim_id, "wcl")
        else None
    )
    return placements.employers_own(actor, row, "claim")


def _line_view(line: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "line": line["line_no"],
        "placement": line["placement_ref"],
        "agreement": line["agreement"],
        "kind": line["kind"],
        "month_number": line["month_number"],
        "gross_wage": format_minor(line["gross_wage_minor"], currency),
        "hours_worked": line["hours_worked"] / 100,
        "still_employed": bool(line["still_employed"]),
        "end_date": line["end_date"],
        "employed_days": line["employed_days"],
        "accepted": format_minor(line["amount_accepted_minor"], currency),
        "approved": format_minor(line["amount_approved_minor"], currency),
        "outcome": line["outcome"],
        "reason": line["reason"] or None,
        "message": line["message"],
    }


async def get(actor: Actor, claim_id: str) -> dict[str, Any]:
    row = await _claim_row(actor, claim_id)
    lines = (
        await WageClaimLine.select().where(WageClaimLine.claim == claim_id).order_by(WageClaimLine.line_no)
    )
    return {
        **_summary(row),
        "decided_reason": row["decided_reason"],
        "lines": [_line_view(ln, row["currency"]) for ln in lines],
    }


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    currency = row["currency"]
    return {
        "id": row["public_id"],
        "employer": row["employer"],
        "period_start": row["period_start"],
        "period_end": row["period_end"],
        "status": row["status"],
        "source": row["source"],
        "currency": currency,
        "accepted": format_minor(row["accepted_minor"], currency),
        "approved": format_minor(row["approved_minor"], currency),
        "offset": format_minor(row["offset_minor"], currency),
    }


async def list_claims(
    actor: Actor, status: str | None, limit: int, starting_after: str | None
) -> tuple[list[dict[str, Any]], bool]:
    from app.core.pagination import paginate

    where = []
    if actor.is_outside:
        where.append(WageClaim.employer == actor.organisation_public_id)
    if status:
        where.append(WageClaim.status == status)
    page = await paginate(WageClaim, WageClaim.all_columns(), where, limit, starting_after)
    return [_summary(r) for r in page.rows], page.has_more


# --- approval ------------------------------------------------------------------------------------


async def _payable_lines(sql: Sql, claim_id: str) -> list[dict[str, Any]]:
    return await sql.fetch(
        "SELECT l.line_no, l.agreement, l.amount_accepted_minor, a.fund, a.programme FROM wage_claim_line l "
        "JOIN wage_agreement a ON a.public_id = l.agreement "
        "WHERE l.claim = $1 AND l.outcome <> 'rejected' ORDER BY l.line_no",
        claim_id,
    )


async def approve(actor: Actor, claim_id: str, lines: list[int] | None, when: dt.date) -> dict[str, Any]:
    """Approve the claim whole or some payable lines. Four eyes (the submitter cannot approve; two approvers
    above the limit). The final approval posts the expenditure and a payable to the employer, then nets any
    overpayment the employer owes against it."""
    async with write_transaction():
        sql = Sql()
        claim = await approvals.lock_undecided(sql, "wage_claim", "wcl", claim_id)
        payable = await _payable_lines(sql, claim_id)
        amounts = {p["line_no"]: p["amount_accepted_minor"] for p in payable}
        before = await _approved_in_month(sql, claim)
        chosen = await approvals.approve_lines(actor, SUBJECT, claim_id, lines, amounts, before)
        if chosen is None:
            await sql.execute(
                "UPDATE wage_claim SET status = 'second_approval_due' WHERE public_id = $1", claim_id
            )
        else:
            await _settle(actor, sql, claim, payable, chosen, when)
    return await get(actor, claim_id)


async def _approved_in_month(sql: Sql, claim: dict[str, Any]) -> int:
    """What the employer already has approved for the same month in other claims: the second-approver
    limit applies to an employer's month, so splitting it into claims does not avoid the second
    approver. Serialised per employer and month."""
    month = as_date(claim["period_start"])
    await approvals.lock_payee_periods(sql, SUBJECT, claim["employer"], [f"{month:%Y-%m}"])
    rows = await sql.fetch(
        "SELECT COALESCE(SUM(approved_minor), 0) AS total FROM wage_claim WHERE employer = $1 "
        "AND public_id <> $2 AND status IN ('approved', 'partly_approved') AND period_start = $3",
        claim["employer"],
        claim["public_id"],
        month if sql.postgres else month.isoformat(),
    )
    return int(rows[0]["total"])


async def _settle(
    actor: Actor,
    sql: Sql,
    claim: dict[str, Any],
    payable: list[dict[str, Any]],
    chosen: set[int],
    when: dt.date,
) -> None:
    approved = [p for p in payable if p["line_no"] in chosen and p["amount_accepted_minor"] > 0]
    claim_id, employer = claim["public_id"], claim["employer"]
    by_agreement: dict[str, int] = {}
    for p in approved:
        by_agreement[p["agreement"]] = by_agreement.get(p["agreement"], 0) + p["amount_accepted_minor"]
    operations = expenditures(
        employer,
        ((p["fund"], p["programme"], p["amount_accepted_minor"]) for p in approved),
        f"wclaim:{claim_id}",
        when,
        f"Wage subsidy claim {claim_id} approved",
        "wage_claim",
        claim_id,
    )
    if operations:
        await ledger.apply(actor, operations)
    await sql.executemany(
        "UPDATE wage_claim_line SET amount_approved_minor = amount_accepted_minor "
        "WHERE claim = $1 AND line_no = $2",
        [(claim_id, p["line_no"]) for p in approved],
    )
    await sql.executemany(
        "UPDATE wage_agreement SET expended_minor = expended_minor + $1 WHERE public_id = $2",
        [(amount, agreement) for agreement, amount in sorted(by_agreement.items())],
    )
    total = sum(op.amount for op in operations)
    left_out = [p for p in payable if p["line_no"] not in chosen]
    await sql.execute(
        "UPDATE wage_claim SET status = $1, approved_minor = $2 WHERE public_id = $3",
        "partly_approved" if left_out else "approved",
        total,
        claim_id,
    )
    approved_by_budget = {(op.target.fund, op.target.programme): op.amount for op in operations}
    offset = await separation.offset_against(actor, sql, employer, claim_id, approved_by_budget, when)
    if offset:
        await sql.execute("UPDATE wage_claim SET offset_minor = $1 WHERE public_id = $2", offset, claim_id)
    await placements.release_unneeded(actor, sql, sorted({p["agreement"] for p in payable}), when)


async def reject(actor: Actor, claim_id: str, reason: str, when: dt.date) -> dict[str, Any]:
    """Reject the whole claim with a reason; its amounts go back to the agreements."""
    async with write_transaction():
        sql = Sql()
        await approvals.lock_undecided(sql, "wage_claim", "wcl", claim_id)
        await approvals.reject(actor, SUBJECT, claim_id, reason)
        payable = await _payable_lines(sql, claim_id)
        await sql.execute(
            "UPDATE wage_claim SET status = 'rejected', decided_reason = $1 WHERE public_id = $2",
            reason,
            claim_id,
        )
        await placements.release_unneeded(actor, sql, sorted({p["agreement"] for p in payable}), when)
    return await get(actor, claim_id)


# --- the employer's statement --------------------------------------------------------------------

STATEMENT_COLUMNS = (
    "claim",
    "month",
    "claim_status",
    "line",
    "placement",
    "kind",
    "month_number",
    "gross_wage",
    "hours_worked",
    "accepted",
    "approved",
    "outcome",
    "reason",
    "message",
)


async def statement_rows(actor: Actor, date_from: dt.date, date_to: dt.date) -> list[tuple]:
    """Every line of the employer's claims for months starting in [date_from, date_to]."""
    employer = _employer_of(actor)
    rows = await raw(
        "SELECT c.public_id AS claim, c.period_start, c.status, c.currency, l.* FROM wage_claim c "
        "JOIN wage_claim_line l ON l.claim = c.public_id "
        "WHERE c.employer = {} AND c.period_start >= {} AND c.period_start <= {} ORDER BY c.id, l.line_no",
        employer,
        date_from,
        date_to,
    )
    return [
        (
            r["claim"],
            str(r["period_start"])[:7],
            r["status"],
            r["line_no"],
            r["placement_ref"],
            r["kind"],
            r["month_number"],
            format_minor(r["gross_wage_minor"], r["currency"]),
            f"{r['hours_worked'] / 100:g}",
            format_minor(r["amount_accepted_minor"], r["currency"]),
            format_minor(r["amount_approved_minor"], r["currency"]),
            r["outcome"],
            r["reason"],
            r["message"],
        )
        for r in rows
    ]


async def status_counts(actor: Actor) -> dict[str, int]:
    """How many of the employer's claims are in each status (for its start page)."""
    rows = await raw(
        "SELECT status, COUNT(*) AS n FROM wage_claim WHERE employer = {} GROUP BY status",
        _employer_of(actor),
    )
    return {r["status"]: int(r["n"]) for r in rows}
