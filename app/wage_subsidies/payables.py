"""Approved payables of wage subsidies, read by the paying side: each employer claim's approved amount per
fund x programme, net of what was kept back from it to recover overpayments (offsets)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from app.core.approvals import approved_before, decided_join
from app.core.db import as_date
from app.core.payables import Payable
from app.core.sql import Sql


async def approved_claims(
    sql: Sql, programme: str | None, currency: str | None, until: dt.datetime | None = None
) -> list[Payable]:
    """Each approved employer claim's amount per fund x programme, net of offsets; with `until`, only
    the claims approved before it, net of the offsets made before it."""
    where, args = [], []
    for column, value in (("a.programme", programme), ("a.currency", currency)):
        if value is not None:
            args.append(value)
            where.append(f" AND {column} = ${len(args)}")
    join = ""
    if until is not None:
        args.append(sql.stamp(until))
        join = f" {decided_join('c.public_id')}"
        where.append(f" AND {approved_before(sql, len(args))}")
    rows = await sql.fetch(
        "SELECT c.public_id, c.employer, c.period_end, a.fund, a.programme, a.currency, "
        "SUM(l.amount_approved_minor) AS amount FROM wage_claim c "
        "JOIN wage_claim_line l ON l.claim = c.public_id JOIN wage_agreement a ON a.public_id = l.agreement"
        f"{join} WHERE c.status IN ('approved', 'partly_approved') AND l.amount_approved_minor > 0"
        f"{''.join(where)} GROUP BY c.public_id, c.employer, c.period_end, a.fund, a.programme, a.currency",
        *args,
    )
    offsets = await _offsets(sql, until)
    out = []
    for r in rows:
        net = int(r["amount"]) - offsets.get((r["public_id"], r["fund"], r["programme"]), 0)
        if net > 0:
            out.append(
                Payable(
                    f"wage_claim:{r['public_id']}",
                    "wage_claim",
                    r["public_id"],
                    r["employer"],
                    r["fund"],
                    r["programme"],
                    r["currency"],
                    net,
                    as_date(r["period_end"]),
                )
            )
    return out


async def _offsets(sql: Sql, until: dt.datetime | None = None) -> dict[tuple[str, str, str], int]:
    """What each claim kept back, per fund x programme of the overpayment it recovered."""
    dated = f" AND {sql.before('r.created_at', 1)}" if until is not None else ""
    rows = await sql.fetch(
        "SELECT r.claim, o.fund, o.programme, SUM(r.amount_minor) AS amount FROM wage_recovery r "
        "JOIN wage_overpayment o ON o.public_id = r.overpayment WHERE r.method = 'offset' "
        f"AND r.claim IS NOT NULL{dated} GROUP BY r.claim, o.fund, o.programme",
        *([sql.stamp(until)] if until is not None else []),
    )
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in rows:
        out[(r["claim"], r["fund"], r["programme"])] += int(r["amount"])
    return out
