"""What subsidy agreements and overpayments hold, read by reconciliation: commitments still held per fund x
programme, agreements whose approved claims exceed their maximum, each claim's approved amount, and the
receivables still outstanding. Batch reads (one query each).

With `until` (a timestamp), each figure is as the records stood then: agreements signed before it, claims
approved before it (their final approval; a claim with no approval row, its submission), overpayments and
recoveries recorded before it. A release after a separation carries no date of its own in the agreement
row: it counts from the employment's last day (`end_date`) on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from app.core.approvals import APPROVED, approved_before, decided_join
from app.core.db import day_of
from app.core.sql import Sql


async def commitments(sql: Sql, until: dt.datetime | None = None) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, currency): each agreement's maximum less what its approved claims expended
    and what was released after a separation."""
    if until is None:
        rows = await sql.fetch(
            "SELECT fund, programme, currency, SUM(max_total_minor - expended_minor - released_minor) "
            "AS amount FROM wage_agreement GROUP BY fund, programme, currency"
        )
        return {(r["fund"], r["programme"], r["currency"]): int(r["amount"] or 0) for r in rows}
    after = day_of(until)  # the day after the as-at date: releases of employments ended before it count
    last_day = after if sql.postgres else after.isoformat()
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in await sql.fetch(
        "SELECT fund, programme, currency, SUM(max_total_minor - CASE WHEN end_date IS NOT NULL "
        "AND end_date < $2 THEN released_minor ELSE 0 END) AS amount FROM wage_agreement "
        f"WHERE {sql.before('signed_at', 1)} GROUP BY fund, programme, currency",
        sql.stamp(until),
        last_day,
    ):
        out[(r["fund"], r["programme"], r["currency"])] += int(r["amount"] or 0)
    for r in await sql.fetch(
        "SELECT a.fund, a.programme, a.currency, SUM(l.amount_approved_minor) AS amount "
        "FROM wage_claim_line l JOIN wage_claim c ON c.public_id = l.claim "
        f"JOIN wage_agreement a ON a.public_id = l.agreement {decided_join('c.public_id')} "
        f"WHERE c.status IN ('approved', 'partly_approved') AND {approved_before(sql, 1)} "
        "GROUP BY a.fund, a.programme, a.currency",
        sql.stamp(until),
    ):
        out[(r["fund"], r["programme"], r["currency"])] -= int(r["amount"] or 0)
    return dict(out)


async def over_entitlement(sql: Sql, limit: int = 50, until: dt.datetime | None = None) -> list[dict]:
    """Agreements whose approved claim lines add up to more than the agreement's maximum. Summed per
    agreement first, so only agreements with approved claims are looked up."""
    join = f" {decided_join('c.public_id')}" if until is not None else ""
    approved = f" AND {approved_before(sql, 1)}" if until is not None else ""
    signed = f" WHERE {sql.before('a.signed_at', 1)}" if until is not None else ""
    rows = await sql.fetch(
        "SELECT a.public_id, a.max_total_minor, u.used FROM (SELECT l.agreement, "
        "SUM(l.amount_approved_minor) AS used FROM wage_claim_line l "
        f"JOIN wage_claim c ON c.public_id = l.claim{join} "
        f"WHERE c.status IN ('approved', 'partly_approved'){approved} GROUP BY l.agreement) u "
        f"JOIN wage_agreement a ON a.public_id = u.agreement{signed} "
        f"{'AND' if signed else 'WHERE'} u.used > a.max_total_minor ORDER BY a.public_id LIMIT {int(limit)}",
        *([sql.stamp(until)] if until is not None else []),
    )
    return [
        {
            "agreement": r["public_id"],
            "entitlement_minor": int(r["max_total_minor"]),
            "approved_minor": int(r["used"]),
        }
        for r in rows
    ]


async def approved_amounts(
    sql: Sql, claim_ids: Sequence[str], until: dt.datetime | None = None
) -> dict[str, int]:
    """Each employer claim's approved amount (0 unless approved or partly approved, before `until`)."""
    if not claim_ids:
        return {}
    join = f" {decided_join('c.public_id')}" if until is not None else ""
    approved = f" AND {approved_before(sql, 2)}" if until is not None else ""
    rows = await sql.fetch(
        "SELECT c.public_id, c.status, SUM(l.amount_approved_minor) AS amount FROM wage_claim c "
        f"JOIN wage_claim_line l ON l.claim = c.public_id{join} WHERE c.public_id {sql.any_(1, 'text')}"
        f"{approved} GROUP BY c.public_id, c.status",
        list(claim_ids),
        *([sql.stamp(until)] if until is not None else []),
    )
    return {r["public_id"]: int(r["amount"] or 0) if r["status"] in APPROVED else 0 for r in rows}


async def receivables(sql: Sql, until: dt.datetime | None = None) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, employer): overpayments already paid and not yet recovered."""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    if until is None:
        rows = await sql.fetch(
            "SELECT fund, programme, employer, SUM(receivable_minor - recovered_minor) AS amount "
            "FROM wage_overpayment GROUP BY fund, programme, employer"
        )
    else:
        rows = await sql.fetch(
            "SELECT o.fund, o.programme, o.employer, SUM(o.receivable_minor - COALESCE((SELECT "
            "SUM(r.amount_minor) FROM wage_recovery r WHERE r.overpayment = o.public_id "
            f"AND {sql.before('r.created_at', 1)}), 0)) AS amount FROM wage_overpayment o "
            f"WHERE {sql.before('o.created_at', 1)} GROUP BY o.fund, o.programme, o.employer",
            sql.stamp(until),
        )
    for r in rows:
        out[(r["fund"], r["programme"], r["employer"])] += int(r["amount"] or 0)
    return dict(out)
