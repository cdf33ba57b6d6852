"""What subsidy agreements and overpayments hold, read by reconciliation: commitments still held per fund x
programme, agreements whose approved claims exceed their maximum, each claim's approved amount, and the
receivables still outstanding. Batch reads (one query each)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from app.core.sql import Sql

APPROVED = ("approved", "partly_approved")


async def commitments(sql: Sql) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, currency): each agreement's maximum less what its approved claims expended
    and what was released after a separation."""
    rows = await sql.fetch(
        "SELECT fund, programme, currency, SUM(max_total_minor - expended_minor - released_minor) AS amount "
        "FROM wage_agreement GROUP BY fund, programme, currency"
    )
    return {(r["fund"], r["programme"], r["currency"]): int(r["amount"] or 0) for r in rows}


async def over_entitlement(sql: Sql, limit: int = 50) -> list[dict]:
    """Agreements whose approved claim lines add up to more than the agreement's maximum."""
    rows = await sql.fetch(
        "SELECT a.public_id, a.max_total_minor, "
        "COALESCE((SELECT SUM(l.amount_approved_minor) FROM wage_claim_line l "
        "JOIN wage_claim c ON c.public_id = l.claim WHERE l.agreement = a.public_id "
        "AND c.status IN ('approved', 'partly_approved')), 0) AS used FROM wage_agreement a"
    )
    over = [
        {
            "agreement": r["public_id"],
            "entitlement_minor": int(r["max_total_minor"]),
            "approved_minor": int(r["used"]),
        }
        for r in rows
        if int(r["used"]) > int(r["max_total_minor"])
    ]
    return over[:limit]


async def approved_amounts(sql: Sql, claim_ids: Sequence[str]) -> dict[str, int]:
    """Each employer claim's approved amount (0 unless approved or partly approved)."""
    if not claim_ids:
        return {}
    rows = await sql.fetch(
        "SELECT c.public_id, c.status, SUM(l.amount_approved_minor) AS amount FROM wage_claim c "
        f"JOIN wage_claim_line l ON l.claim = c.public_id WHERE c.public_id {sql.any_(1, 'text')} "
        "GROUP BY c.public_id, c.status",
        list(claim_ids),
    )
    return {r["public_id"]: int(r["amount"] or 0) if r["status"] in APPROVED else 0 for r in rows}


async def receivables(sql: Sql) -> dict[tuple[str, str, str], int]:
    """Per (fund, programme, employer): overpayments already paid and not yet recovered."""
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in await sql.fetch(
        "SELECT fund, programme, employer, SUM(receivable_minor - recovered_minor) AS amount "
        "FROM wage_overpayment GROUP BY fund, programme, employer"
    ):
        out[(r["fund"], r["programme"], r["employer"])] += int(r["amount"] or 0)
    return dict(out)
