"""What vouchers hold, read by reconciliation: commitments still held per fund x programme, vouchers whose
approved claims exceed their value, and each claim's approved amount. Batch reads (one query each).

With `until` (a timestamp), each figure is as the records stood then: vouchers issued before it, claims
approved before it (their final approval; a claim with no approval row, its submission), stipends paid
before it. A release (expiry, revocation) carries no date of its own in the voucher row: it counts from the
voucher's last change (`updated_at`), which is the release itself unless a late claim came after it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from app.core.approvals import APPROVED, approved_before, decided_join
from app.core.sql import Sql


async def commitments(sql: Sql, until: dt.datetime | None = None) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, currency): issued value less what was released, what approved claims
    expended and what stipends paid. (Claims awaiting a decision keep their share committed.)"""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    args = [sql.stamp(until)] if until is not None else []
    issued, released, approved, join, paid = "", "released_minor", "", "", ""
    if until is not None:
        issued = f" WHERE {sql.before('created_at', 1)}"
        released = f"CASE WHEN {sql.before('updated_at', 1)} THEN released_minor ELSE 0 END"
        approved, join = f" AND {approved_before(sql, 1)}", f" {decided_join('c.public_id')}"
        paid = f" WHERE {sql.before('s.created_at', 1)}"
    for r in await sql.fetch(
        f"SELECT fund, programme, currency, SUM(total_minor - {released}) AS amount FROM voucher{issued} "
        "GROUP BY fund, programme, currency",
        *args,
    ):
        out[(r["fund"], r["programme"], r["currency"])] += int(r["amount"])
    for r in await sql.fetch(
        "SELECT v.fund, v.programme, v.currency, SUM(l.amount_approved_minor) AS amount "
        "FROM voucher_claim_line l JOIN voucher_claim c ON c.public_id = l.claim "
        f"JOIN voucher v ON v.public_id = l.voucher{join} WHERE c.status IN ('approved', 'partly_approved')"
        f"{approved} GROUP BY v.fund, v.programme, v.currency",
        *args,
    ):
        out[(r["fund"], r["programme"], r["currency"])] -= int(r["amount"] or 0)
    for r in await sql.fetch(
        "SELECT v.fund, v.programme, v.currency, SUM(s.amount_minor) AS amount "
        f"FROM voucher_stipend_payment s JOIN voucher v ON v.public_id = s.voucher{paid} "
        "GROUP BY v.fund, v.programme, v.currency",
        *args,
    ):
        out[(r["fund"], r["programme"], r["currency"])] -= int(r["amount"] or 0)
    return dict(out)


async def over_entitlement(sql: Sql, limit: int = 50, until: dt.datetime | None = None) -> list[dict]:
    """Vouchers whose approved claim lines and stipends add up to more than the voucher's value. Summed
    per voucher first, so only vouchers with claims or stipends are looked up."""
    args = [sql.stamp(until)] if until is not None else []
    approved = f" AND {approved_before(sql, 1)}" if until is not None else ""
    join = f" {decided_join('c.public_id')}" if until is not None else ""
    paid = f" WHERE {sql.before('s.created_at', 1)}" if until is not None else ""
    issued = f" WHERE {sql.before('v.created_at', 1)}" if until is not None else ""
    rows = await sql.fetch(
        "SELECT v.public_id, v.total_minor, SUM(u.used) AS used FROM ("
        "SELECT l.voucher, SUM(l.amount_approved_minor) AS used FROM voucher_claim_line l "
        f"JOIN voucher_claim c ON c.public_id = l.claim{join} "
        f"WHERE c.status IN ('approved', 'partly_approved'){approved} GROUP BY l.voucher "
        f"UNION ALL SELECT s.voucher, SUM(s.amount_minor) AS used FROM voucher_stipend_payment s{paid} "
        f"GROUP BY s.voucher) u JOIN voucher v ON v.public_id = u.voucher{issued} "
        f"GROUP BY v.public_id, v.total_minor HAVING SUM(u.used) > v.total_minor ORDER BY v.public_id "
        f"LIMIT {int(limit)}",
        *args,
    )
    return [
        {
            "voucher": r["public_id"],
            "entitlement_minor": int(r["total_minor"]),
            "approved_minor": int(r["used"]),
        }
        for r in rows
    ]


async def approved_amounts(
    sql: Sql, claim_ids: Sequence[str], until: dt.datetime | None = None
) -> dict[str, int]:
    """Each provider claim's approved amount (0 unless approved or partly approved, before `until`)."""
    if not claim_ids:
        return {}
    join = f" {decided_join('c.public_id')}" if until is not None else ""
    approved = f" AND {approved_before(sql, 2)}" if until is not None else ""
    rows = await sql.fetch(
        "SELECT c.public_id, c.status, SUM(l.amount_approved_minor) AS amount FROM voucher_claim c "
        f"JOIN voucher_claim_line l ON l.claim = c.public_id{join} WHERE c.public_id {sql.any_(1, 'text')}"
        f"{approved} GROUP BY c.public_id, c.status",
        list(claim_ids),
        *([sql.stamp(until)] if until is not None else []),
    )
    return {r["public_id"]: int(r["amount"] or 0) if r["status"] in APPROVED else 0 for r in rows}
