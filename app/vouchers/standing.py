"""What vouchers hold, read by reconciliation: commitments still held per fund x programme, vouchers whose
approved claims exceed their value, and each claim's approved amount. Batch reads (one query each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from app.core.sql import Sql

APPROVED = ("approved", "partly_approved")


async def commitments(sql: Sql) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, currency): issued value less what was released, what approved claims
    expended and what stipends paid. (Claims awaiting a decision keep their share committed.)"""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in await sql.fetch(
        "SELECT fund, programme, currency, SUM(total_minor - released_minor) AS amount FROM voucher "
        "GROUP BY fund, programme, currency"
    ):
        out[(r["fund"], r["programme"], r["currency"])] += int(r["amount"])
    for r in await sql.fetch(
        "SELECT v.fund, v.programme, v.currency, SUM(l.amount_approved_minor) AS amount "
        "FROM voucher_claim_line l JOIN voucher_claim c ON c.public_id = l.claim "
        "JOIN voucher v ON v.public_id = l.voucher WHERE c.status IN ('approved', 'partly_approved') "
        "GROUP BY v.fund, v.programme, v.currency"
    ):
        out[(r["fund"], r["programme"], r["currency"])] -= int(r["amount"] or 0)
    for r in await sql.fetch(
        "SELECT v.fund, v.programme, v.currency, SUM(s.amount_minor) AS amount "
        "FROM voucher_stipend_payment s "
        "JOIN voucher v ON v.public_id = s.voucher GROUP BY v.fund, v.programme, v.currency"
    ):
        out[(r["fund"], r["programme"], r["currency"])] -= int(r["amount"] or 0)
    return dict(out)


async def over_entitlement(sql: Sql, limit: int = 50) -> list[dict]:
    """Vouchers whose approved claim lines and stipends add up to more than the voucher's value."""
    rows = await sql.fetch(
        "SELECT v.public_id, v.total_minor, v.currency, "
        "COALESCE((SELECT SUM(l.amount_approved_minor) FROM voucher_claim_line l "
        "JOIN voucher_claim c ON c.public_id = l.claim WHERE l.voucher = v.public_id "
        "AND c.status IN ('approved', 'partly_approved')), 0) "
        "+ COALESCE((SELECT SUM(s.amount_minor) FROM voucher_stipend_payment s "
        "WHERE s.voucher = v.public_id), 0) AS used FROM voucher v"
    )
    over = [
        {
            "voucher": r["public_id"],
            "entitlement_minor": int(r["total_minor"]),
            "approved_minor": int(r["used"]),
        }
        for r in rows
        if int(r["used"]) > int(r["total_minor"])
    ]
    return over[:limit]


async def approved_amounts(sql: Sql, claim_ids: Sequence[str]) -> dict[str, int]:
    """Each provider claim's approved amount (0 unless approved or partly approved)."""
    if not claim_ids:
        return {}
    rows = await sql.fetch(
        "SELECT c.public_id, c.status, SUM(l.amount_approved_minor) AS amount FROM voucher_claim c "
        f"JOIN voucher_claim_line l ON l.claim = c.public_id WHERE c.public_id {sql.any_(1, 'text')} "
        "GROUP BY c.public_id, c.status",
        list(claim_ids),
    )
    return {r["public_id"]: int(r["amount"] or 0) if r["status"] in APPROVED else 0 for r in rows}
