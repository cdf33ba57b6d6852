"""Approved payables of vouchers, read by the paying side: providers' approved claims (per fund and
programme of the vouchers claimed) and participants' transport stipends (one per voucher and month)."""

from __future__ import annotations

import datetime as dt

from app.core.approvals import approved_before, decided_join
from app.core.db import as_date
from app.core.payables import Payable
from app.core.sql import Sql


def _filters(programme: str | None, currency: str | None, first: int) -> tuple[str, list]:
    where, args = [], []
    if programme is not None:
        args.append(programme)
        where.append(f"v.programme = ${first + len(args) - 1}")
    if currency is not None:
        args.append(currency)
        where.append(f"v.currency = ${first + len(args) - 1}")
    return "".join(f" AND {w}" for w in where), args


async def approved_claims(
    sql: Sql, programme: str | None, currency: str | None, until: dt.datetime | None = None
) -> list[Payable]:
    """Every approved (or partly approved) provider claim's approved amount, per fund x programme; with
    `until`, only the claims approved before it."""
    where, args = _filters(programme, currency, 1)
    join = ""
    if until is not None:
        args.append(sql.stamp(until))
        join, where = f" {decided_join('c.public_id')}", f"{where} AND {approved_before(sql, len(args))}"
    rows = await sql.fetch(
        "SELECT c.public_id, c.provider, c.period_end, v.fund, v.programme, v.currency, "
        "SUM(l.amount_approved_minor) AS amount FROM voucher_claim c "
        "JOIN voucher_claim_line l ON l.claim = c.public_id JOIN voucher v ON v.public_id = l.voucher"
        f"{join} WHERE c.status IN ('approved', 'partly_approved') AND l.amount_approved_minor > 0{where} "
        "GROUP BY c.public_id, c.provider, c.period_end, v.fund, v.programme, v.currency",
        *args,
    )
    return [
        Payable(
            f"voucher_claim:{r['public_id']}",
            "voucher_claim",
            r["public_id"],
            r["provider"],
            r["fund"],
            r["programme"],
            r["currency"],
            int(r["amount"]),
            as_date(r["period_end"]),
        )
        for r in rows
    ]


async def stipends(
    sql: Sql, programme: str | None, currency: str | None, until: dt.datetime | None = None
) -> list[Payable]:
    """Every transport stipend month posted as a payable to its participant (with `until`, before it)."""
    where, args = _filters(programme, currency, 1)
    if until is not None:
        args.append(sql.stamp(until))
        where += f" AND {sql.before('s.created_at', len(args))}"
    rows = await sql.fetch(
        "SELECT s.voucher, s.month, s.amount_minor, v.participant, v.fund, v.programme, v.currency "
        f"FROM voucher_stipend_payment s JOIN voucher v ON v.public_id = s.voucher WHERE 1 = 1{where}",
        *args,
    )
    out = []
    for r in rows:
        month = as_date(r["month"])
        source = f"{r['voucher']}:{month:%Y-%m}"
        out.append(
            Payable(
                f"stipend:{source}",
                "stipend",
                source,
                r["participant"],
                r["fund"],
                r["programme"],
                r["currency"],
                r["amount_minor"],
                month,
            )
        )
    return out
