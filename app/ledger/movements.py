"""Budgetary movements per account and day, for reports: what the ledger's budget position is made of.

One grouped read over the postings of the budgetary accounts (a few per fund x programme), served by the
(account, effective_date) index, so a million postings become a few thousand rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core.db import as_date, raw


@dataclass(frozen=True)
class Movement:
    fund: str
    programme: str
    currency: str
    code: str  # a budgetary chart code (8100 … 8600)
    day: dt.date
    net: int  # debit positive, minor units
    debit: int  # the debits alone (e.g. recoveries taken off 8600)


@dataclass(frozen=True)
class ChainHead:
    entries: int
    hash: str


async def budgetary_movements(as_of: dt.date, fund: str | None = None) -> list[Movement]:
    accounts = await raw(
        "SELECT a.id, f.code AS fund, p.code AS programme, a.currency, ch.code FROM ledger_account a "
        "JOIN ledger_chart ch ON ch.id = a.chart JOIN ledger_fund f ON f.id = a.fund "
        "JOIN ledger_programme p ON p.id = a.programme WHERE ch.track = 'budgetary'"
        + (" AND f.code = {}" if fund is not None else ""),
        *([fund] if fund is not None else []),
    )
    if not accounts:
        return []
    by_id = {a["id"]: a for a in accounts}
    ids = ", ".join(str(int(i)) for i in by_id)
    rows = await raw(
        "SELECT account, effective_date, SUM(amount) AS net, "
        "SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS debit FROM ledger_posting "
        f"WHERE account IN ({ids}) AND effective_date <= {{}} GROUP BY account, effective_date",
        as_of,
    )
    out = []
    for r in rows:
        a = by_id[r["account"]]
        out.append(
            Movement(
                a["fund"],
                a["programme"],
                a["currency"],
                a["code"],
                as_date(r["effective_date"]),
                int(r["net"]),
                int(r["debit"]),
            )
        )
    return out


async def first_posting_date() -> dt.date | None:
    rows = await raw("SELECT MIN(effective_date) AS first FROM ledger_posting")
    first = rows[0]["first"] if rows else None
    return as_date(first) if first is not None else None


async def chain_head() -> ChainHead:
    rows = await raw("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1")
    return ChainHead(int(rows[0]["last_seq"]), rows[0]["last_hash"]) if rows else ChainHead(0, "0" * 64)
