"""Provider claims against vouchers: submitted (API now, CSV next), judged line by line by claim_rules,
recorded with every line's outcome and reason, in one transaction that locks the vouchers it touches, so
two claims on one voucher at the same moment never take more than its value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core import approvals, audit
from app.core.actor import Actor
from app.core.crypto import get_vault
from app.core.db import as_date, utcnow, write_transaction
from app.core.errors import ErrorDetail, Forbidden, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.money import format_minor, to_minor
from app.core.sql import Sql
from app.ledger import service as ledger
from app.ledger.operations import expenditures
from app.vouchers import codes, holders, service
from app.vouchers.claim_rules import Context, Judged, Line, Outcome, VoucherState, judge
from app.vouchers.tables import Claim, ClaimLine

SUBJECT = "voucher_claim"
DEADLINE_DAYS = service.CLAIM_DEADLINE_DAYS
MAX_LINES = 100_000


@dataclass(frozen=True)
class LineIn:
    """A claim line as submitted: what the provider typed, not yet judged."""

    code: str
    child_birth_date: dt.date
    service_start: dt.date
    service_end: dt.date
    days_attended: int
    amount: str  # decimal text in the voucher's currency
    file_line: int | None = None  # the line of the uploaded CSV (header = 1); None for the JSON API


def _where(item: LineIn, index: int, field: str) -> str:
    """Where a problem is: `line N.column` in an uploaded file, `lines[i].field` in a JSON request."""
    if item.file_line is not None:
        return f"line {item.file_line}.{CSV_COLUMN.get(field, field)}"
    return f"lines[{index}].{field}"


CSV_COLUMN = {"code": "voucher_code"}  # JSON field -> CSV column, where they differ


def line_number(item: LineIn, index: int) -> int:
    """The claim's line number: the file's line for an upload, the position (from 1) for the API. Partial
    approval names lines by these numbers."""
    return item.file_line if item.file_line is not None else index + 1


def _code_index(text: str) -> str | None:
    try:
        return get_vault().blind_index("voucher_code", codes.normalise(text))
    except codes.InvalidCode:
        return None


async def _provider_facts(sql: Sql, provider: str) -> tuple[str, tuple[tuple[dt.date, dt.date], ...]]:
    """The provider's service and licence periods, in one round trip."""
    rows = await sql.fetch(
        "SELECT p.service, l.valid_from, l.valid_until FROM provider p "
        "JOIN organisation o ON o.id = p.organisation "
        "LEFT JOIN provider_licence l ON l.provider = p.id WHERE o.public_id = $1",
        provider,
    )
    service = rows[0]["service"] if rows else "childcare"
    licences = tuple(
        (as_date(r["valid_from"]), as_date(r["valid_until"])) for r in rows if r["valid_from"] is not None
    )
    return service, licences


async def _lock_vouchers(sql: Sql, indexes: list[str]) -> list[dict[str, Any]]:
    """The vouchers the codes name, locked until the claim is recorded (in id order: no deadlocks)."""
    lock = " ORDER BY id FOR UPDATE" if sql.postgres else ""
    return await sql.fetch(f"SELECT * FROM voucher WHERE code_index {sql.any_(1, 'text')}{lock}", indexes)


async def _claimed_periods(sql: Sql, voucher_ids: list[str]) -> dict[str, list[tuple[dt.date, dt.date]]]:
    rows = await sql.fetch(
        # days given back (claim rejected, or line left out of a partial approval) may be claimed again
        "SELECT l.voucher, l.service_start, l.service_end FROM voucher_claim_line l "
        "JOIN voucher_claim c ON c.public_id = l.claim WHERE l.outcome <> 'rejected' "
        "AND c.status <> 'rejected' AND NOT (c.status = 'partly_approved' AND l.amount_approved_minor = 0) "
        f"AND l.voucher {sql.any_(1, 'text')}",
        voucher_ids,
    )
    periods: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for row in rows:
        periods.setdefault(row["voucher"], []).append(
            (as_date(row["service_start"]), as_date(row["service_end"]))
        )
    return periods


def _states(rows: list[dict[str, Any]], claimed: dict[str, list]) -> dict[str, VoucherState]:
    return {
        row["public_id"]: VoucherState(
            id=row["public_id"],
            status=row["status"],
            provider=row["provider"],
            valid_from=as_date(row["valid_from"]),
            valid_until=as_date(row["valid_until"]),
            period=row["period"],
            value_minor=row["value_minor"],
            remaining_minor=row["total_minor"] - row["claimed_minor"] - row["released_minor"],
            claimed=tuple(claimed.get(row["public_id"], ())),
            mode=row["mode"],
            kind=row["kind"],
            last_service_day=service.last_service_day(row),
        )
        for row in rows
    }


def amounts(inputs: Sequence[LineIn], currency: str) -> list[int]:
    """Each line's amount in minor units, or every bad amount of the claim refused together."""
    problems: list[ErrorDetail] = []
    found = []
    for i, item in enumerate(inputs):
        where = _where(item, i, "amount")
        try:
            amount = to_minor(item.amount, currency, where)
        except ValidationFailed as exc:
            problems.append(ErrorDetail(exc.code, exc.message, where))
            continue
        if amount < 0:
            problems.append(ErrorDetail("invalid_amount", "a claimed amount cannot be negative", where))
        found.append(amount)
    if problems:
        raise ValidationFailed(
            problems[0].code,
            f"{len(problems)} problem(s) in the claim; first: {problems[0].message}",
            problems[0].param,
            details=problems,
        )
    return found


def _lines(inputs: Sequence[LineIn], by_index: dict[str, dict[str, Any]], minor: list[int]) -> list[Line]:
    lines = []
    for i, (item, amount) in enumerate(zip(inputs, minor, strict=True)):
        index = _code_index(item.code)
        row = by_index.get(index) if index else None
        holder = row is not None and holders.matches(row, item.child_birth_date)
        lines.append(
            Line(
                line_number(item, i),
                row["public_id"] if row else None,
                holder,
                item.service_start,
                item.service_end,
                item.days_attended,
                amount,
            )
        )
    return lines


async def submit(
    actor: Actor,
    period_start: dt.date,
    period_end: dt.date,
    items: Sequence[LineIn],
    today: dt.date,
    source: str = "api",
    currency: str = "EUR",
) -> dict[str, Any]:
    """Judge and record a provider's claim; the vouchers' claimed value grows by what each line accepted."""
    provider = _provider_of(actor)
    if not items or len(items) > MAX_LINES:
        raise ValidationFailed("invalid_lines", f"a claim has 1 to {MAX_LINES:,} lines", "lines")
    if period_end < period_start:
        raise ValidationFailed("invalid_period", "period_end is before period_start", "period_end")
    minor = amounts(items, currency)
    async with write_transaction():
        sql = Sql()
        indexes = sorted({i for i in (_code_index(item.code) for item in items) if i})
        rows = await _lock_vouchers(sql, indexes)
        by_index = {row["code_index"]: row for row in rows}
        states = _states(rows, await _claimed_periods(sql, [r["public_id"] for r in rows]))
        service, licences = await _provider_facts(sql, provider)
        context = Context(
            provider, today, DEADLINE_DAYS, licences, currency, service, (period_start, period_end)
        )
        judged = judge(_lines(items, by_index, minor), states, context)
        claim_id = new_id("clm")
        claim, lines = await _record(
            sql, actor, claim_id, provider, period_start, period_end, items, judged, source, currency
        )
        await _take_from_vouchers(sql, judged, states)
        total = sum(j.accepted_minor for j in judged)
        await approvals.open_approval(actor, SUBJECT, claim_id, total, currency, [actor.public_id])
        await audit.record(
            actor, "claim.submit", "claim", claim_id, after={"lines": len(judged), "accepted_minor": total}
        )
    return _view(actor, claim_id, claim, lines)  # what was just written: not read back


def _provider_of(actor: Actor) -> str:
    if actor.organisation_kind != "provider" or actor.organisation_public_id is None:
        raise Forbidden("provider_only", "only a provider's users submit claims", None)
    return actor.organisation_public_id


async def _record(
    sql: Sql,
    actor: Actor,
    claim_id: str,
    provider: str,
    period_start: dt.date,
    period_end: dt.date,
    items: Sequence[LineIn],
    judged: list[Judged],
    source: str,
    currency: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Write the claim and its lines; the rows as written (the columns the answer shows)."""
    claim = {
        "public_id": claim_id,
        "provider": provider,
        "period_start": period_start,
        "period_end": period_end,
        "status": "submitted",
        "source": source,
        "currency": currency,
        "claimed_minor": sum(to_minor(i.amount, currency) for i in items),
        "accepted_minor": sum(j.accepted_minor for j in judged),
        "submitted_by": actor.public_id,
        "submitted_at": utcnow(),
    }
    await sql.insert_many("voucher_claim", tuple(claim), [tuple(claim.values())])
    lines = [
        {
            "claim": claim_id,
            "line_no": j.number,
            "voucher": j.voucher,
            "service_start": item.service_start,
            "service_end": item.service_end,
            "days_attended": item.days_attended,
            "amount_claimed_minor": to_minor(item.amount, currency),
            "amount_accepted_minor": j.accepted_minor,
            "outcome": j.outcome.value,
            "reason": j.reason.value if j.reason else "",
            "reasons": ",".join(r.value for r in j.reasons),
            "message": j.message,
        }
        for item, j in zip(items, judged, strict=True)
    ]
    await sql.insert_many("voucher_claim_line", tuple(lines[0]), [tuple(line.values()) for line in lines])
    # the columns left to their defaults, as a read would give them
    claim.update(approved_minor=0, decided_reason="")
    for line in lines:
        line["amount_approved_minor"] = 0
    return claim, sorted(lines, key=lambda line: line["line_no"])


async def _take_from_vouchers(sql: Sql, judged: list[Judged], states: dict[str, VoucherState]) -> None:
    taken: dict[str, int] = {}
    for j in judged:
        if j.voucher and j.outcome is not Outcome.REJECTED:
            taken[j.voucher] = taken.get(j.voucher, 0) + j.accepted_minor
    updates = []
    for voucher, amount in taken.items():
        left = states[voucher].remaining_minor - amount
        updates.append((amount, "exhausted" if left <= 0 else "partly_claimed", utcnow(), voucher))
    await sql.executemany(
        # a revoked voucher stays revoked while service before its revocation is claimed
        "UPDATE voucher SET claimed_minor = claimed_minor + $1, "
        "status = CASE WHEN status = 'revoked' THEN status ELSE $2 END, updated_at = $3 WHERE public_id = $4",
        updates,
    )


def _shown_voucher(actor: Actor, line: dict[str, Any]) -> str | None:
    """A provider who gave the wrong date of birth does not learn which voucher the code is."""
    if actor.is_outside and line["reason"] == "child_mismatch":
        return None
    return line["voucher"]


async def get(actor: Actor, claim_id: str) -> dict[str, Any]:
    row = (
        await Claim.select().where(Claim.public_id == claim_id).first()
        if has_prefix(claim_id, "clm")
        else None
    )
    if row is None or (actor.is_outside and row["provider"] != actor.organisation_public_id):
        raise NotFound("claim")  # another provider's claim reads as missing, never as forbidden
    lines = await ClaimLine.select().where(ClaimLine.claim == claim_id).order_by(ClaimLine.line_no)
    return _view(actor, claim_id, row, lines)


def _view(actor: Actor, claim_id: str, row: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A claim and its lines (rows of voucher_claim and voucher_claim_line) as the API shows them."""
    currency = row["currency"]
    return {
        "id": claim_id,
        "provider": row["provider"],
        "period_start": row["period_start"],
        "period_end": row["period_end"],
        "status": row["status"],
        "source": row["source"],
        "currency": currency,
        "claimed": format_minor(row["claimed_minor"], currency),
        "accepted": format_minor(row["accepted_minor"], currency),
        "approved": format_minor(row["approved_minor"], currency),
        "decided_reason": row["decided_reason"],
        "lines": [
            {
                "line": line["line_no"],
                "voucher": _shown_voucher(actor, line),
                "service_start": line["service_start"],
                "service_end": line["service_end"],
                "days_attended": line["days_attended"],
                "claimed": format_minor(line["amount_claimed_minor"], currency),
                "accepted": format_minor(line["amount_accepted_minor"], currency),
                "approved": format_minor(line["amount_approved_minor"], currency),
                "outcome": line["outcome"],
                "reason": line["reason"] or None,
                "reasons": [r for r in line["reasons"].split(",") if r],
                "message": line["message"],
            }
            for line in lines
        ],
    }


# --- approval ----------------------------------------------------------------------------------


async def _payable_lines(sql: Sql, claim_id: str) -> list[dict[str, Any]]:
    return await sql.fetch(
        "SELECT l.line_no, l.voucher, l.amount_accepted_minor, v.fund, v.programme FROM voucher_claim_line l "
        "JOIN voucher v ON v.public_id = l.voucher "
        "WHERE l.claim = $1 AND l.outcome <> 'rejected' ORDER BY l.line_no",
        claim_id,
    )


async def approve(actor: Actor, claim_id: str, lines: list[int] | None, when: dt.date) -> dict[str, Any]:
    """Approve the whole claim, or only some of its payable lines. Once approved by enough different people
    (four eyes; two above the limit), the expenditure is posted: committed → expended, an expense and a
    payable to the provider. Lines left out give their amount back to their vouchers."""
    async with write_transaction():
        sql = Sql()
        claim = await approvals.lock_undecided(sql, "voucher_claim", "clm", claim_id)
        payable = await _payable_lines(sql, claim_id)
        amounts = {p["line_no"]: p["amount_accepted_minor"] for p in payable}
        before = await _approved_in_months(sql, claim)
        chosen = await approvals.approve_lines(actor, SUBJECT, claim_id, lines, amounts, before)
        if chosen is None:
            await sql.execute(
                "UPDATE voucher_claim SET status = 'second_approval_due' WHERE public_id = $1", claim_id
            )
        else:
            await _settle(actor, sql, claim, payable, chosen, when)
    return await get(actor, claim_id)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every calendar month from first to last."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


async def _approved_in_months(sql: Sql, claim: dict[str, Any]) -> int:
    """What the provider already has approved in other claims whose service period touches a calendar
    month this claim's touches: the second-approver limit applies to a payee's month, so splitting a
    month into several claims does not avoid the second approver. Serialised per provider and month."""
    months = _months(as_date(claim["period_start"]), as_date(claim["period_end"]))
    await approvals.lock_payee_periods(sql, SUBJECT, claim["provider"], [f"{m:%Y-%m}" for m in months])
    after_last = (months[-1] + dt.timedelta(days=32)).replace(day=1)
    first, end = (months[0], after_last) if sql.postgres else (months[0].isoformat(), after_last.isoformat())
    rows = await sql.fetch(
        "SELECT COALESCE(SUM(approved_minor), 0) AS total FROM voucher_claim WHERE provider = $1 "
        "AND public_id <> $2 AND status IN ('approved', 'partly_approved') "
        "AND period_start < $3 AND period_end >= $4",
        claim["provider"],
        claim["public_id"],
        end,
        first,
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
    approved = [p for p in payable if p["line_no"] in chosen]
    left_out = [p for p in payable if p["line_no"] not in chosen]
    claim_id, provider = claim["public_id"], claim["provider"]
    operations = expenditures(
        provider,
        ((p["fund"], p["programme"], p["amount_accepted_minor"]) for p in approved),
        f"claim:{claim_id}",
        when,
        f"Claim {claim_id} approved",
        "voucher_claim",
        claim_id,
    )
    await sql.executemany(
        "UPDATE voucher_claim_line SET amount_approved_minor = amount_accepted_minor "
        "WHERE claim = $1 AND line_no = $2",
        [(claim_id, p["line_no"]) for p in approved],
    )
    await _give_back(sql, left_out)
    total = sum(p["amount_accepted_minor"] for p in approved)
    status = "approved" if not left_out else "partly_approved"
    await sql.execute(
        "UPDATE voucher_claim SET status = $1, approved_minor = $2 WHERE public_id = $3",
        status,
        total,
        claim_id,
    )
    if operations:  # last: the ledger head stays locked from the posting to the commit, no longer
        await ledger.apply(actor, operations)


async def _give_back(sql: Sql, lines: list[dict[str, Any]]) -> None:
    """Amounts not approved go back onto their vouchers (still committed for them in the ledger)."""
    back: dict[str, int] = {}
    for p in lines:
        back[p["voucher"]] = back.get(p["voucher"], 0) + p["amount_accepted_minor"]
    await sql.executemany(
        "UPDATE voucher SET claimed_minor = claimed_minor - $1, "
        "status = CASE WHEN status IN ('revoked', 'expired') THEN status "
        "WHEN claimed_minor - $1 = 0 THEN 'active' ELSE 'partly_claimed' END "
        "WHERE public_id = $2",
        [(amount, voucher) for voucher, amount in back.items()],
    )


async def reject(actor: Actor, claim_id: str, reason: str) -> dict[str, Any]:
    """Reject the whole claim with a reason; what its lines took goes back onto their vouchers."""
    async with write_transaction():
        sql = Sql()
        await approvals.lock_undecided(sql, "voucher_claim", "clm", claim_id)
        await approvals.reject(actor, SUBJECT, claim_id, reason)
        await _give_back(sql, await _payable_lines(sql, claim_id))
        await sql.execute(
            "UPDATE voucher_claim SET status = 'rejected', decided_reason = $1 WHERE public_id = $2",
            reason,
            claim_id,
        )
    return await get(actor, claim_id)


# --- reading: lists and the provider's statement -----------------------------------------------


async def list_claims(
    actor: Actor, status: str | None, limit: int, starting_after: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """Claims, newest first; a provider's users see only its own."""
    from app.core.pagination import paginate

    where = []
    if actor.is_outside:
        where.append(Claim.provider == actor.organisation_public_id)
    if status:
        where.append(Claim.status == status)
    page = await paginate(Claim, Claim.all_columns(), where, limit, starting_after)
    rows = [
        {
            "id": r["public_id"],
            "provider": r["provider"],
            "period_start": r["period_start"],
            "period_end": r["period_end"],
            "status": r["status"],
            "claimed": format_minor(r["claimed_minor"], r["currency"]),
            "accepted": format_minor(r["accepted_minor"], r["currency"]),
            "approved": format_minor(r["approved_minor"], r["currency"]),
        }
        for r in page.rows
    ]
    return rows, page.has_more


STATEMENT_COLUMNS = (
    "claim",
    "submitted_at",
    "claim_status",
    "line",
    "voucher",
    "service_start",
    "service_end",
    "days_attended",
    "claimed",
    "accepted",
    "approved",
    "outcome",
    "reason",
    "message",
)


async def statement_rows(actor: Actor, date_from: dt.date, date_to: dt.date) -> list[tuple]:
    """Every line of the provider's claims for service periods ending in [date_from, date_to], with its
    outcome and reason, for the provider's CSV statement."""
    from app.core.db import raw

    provider = _provider_of(actor)
    rows = await raw(
        "SELECT c.public_id AS claim, c.submitted_at, c.status, c.currency, l.line_no, l.voucher, l.reason, "
        "l.service_start, l.service_end, l.days_attended, l.amount_claimed_minor, l.amount_accepted_minor, "
        "l.amount_approved_minor, l.outcome, l.message FROM voucher_claim c "
        "JOIN voucher_claim_line l ON l.claim = c.public_id "
        "WHERE c.provider = {} AND l.service_end >= {} AND l.service_end <= {} ORDER BY c.id, l.line_no",
        provider,
        date_from,
        date_to,
    )
    return [
        (
            r["claim"],
            str(r["submitted_at"])[:19],
            r["status"],
            r["line_no"],
            _shown_voucher(actor, r),
            r["service_start"],
            r["service_end"],
            r["days_attended"],
            format_minor(r["amount_claimed_minor"], r["currency"]),
            format_minor(r["amount_accepted_minor"], r["currency"]),
            format_minor(r["amount_approved_minor"], r["currency"]),
            r["outcome"],
            r["reason"],
            r["message"],
        )
        for r in rows
    ]


async def status_counts(actor: Actor) -> dict[str, int]:
    """How many of the provider's claims are in each status (for its start page)."""
    from app.core.db import raw

    rows = await raw(
        "SELECT status, COUNT(*) AS n FROM voucher_claim WHERE provider = {} GROUP BY status",
        _provider_of(actor),
    )
    return {r["status"]: int(r["n"]) for r in rows}
