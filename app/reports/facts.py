"""The one fact table every report figure comes from: fund x programme x month x stage, from the ledger.

Each row is a month's movement of one stage, in minor units, so the sum of a stage's rows up to a month
is that stage's balance in the ledger's budget position at the end of that month:

| stage | from the budgetary accounts |
| --- | --- |
| budget | appropriation 8100 (debit balance) |
| budget_original | the budget rows of the first month a fund x programme had budget |
| available | available budget 8200 (credit balance) |
| committed | open commitments 8300 |
| expended | expended, unpaid and paid: 8400 + 8500 |
| paid | expended and paid (settled): 8500 |
| recoveries_pending | overpayments still to recover: 8600 |
| recovered | overpayments recovered in the month (debits to 8600) |
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.ledger import chart as c
from app.ledger.movements import Movement

STAGES = (
    "budget",
    "budget_original",
    "available",
    "committed",
    "expended",
    "paid",
    "recoveries_pending",
    "recovered",
)

# stage -> (chart code, sign applied to the posting's debit-positive net)
_NET_STAGES: dict[str, tuple[tuple[str, int], ...]] = {
    "budget": ((c.APPROPRIATION, 1),),
    "available": ((c.AVAILABLE, -1),),
    "committed": ((c.COMMITTED, -1),),
    "expended": ((c.EXPENDED_UNPAID, -1), (c.EXPENDED_PAID, -1)),
    "paid": ((c.EXPENDED_PAID, -1),),
    "recoveries_pending": ((c.RECOVERIES_PENDING, -1),),
}


@dataclass(frozen=True, order=True)
class Fact:
    fund: str
    programme: str
    currency: str
    month: dt.date  # the first day of the month
    stage: str
    amount: int  # minor units


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def build_facts(movements: Iterable[Movement]) -> list[Fact]:
    """Monthly stage movements from the ledger's daily budgetary movements (zero rows left out)."""
    sums: dict[tuple[str, str, str, dt.date, str], int] = defaultdict(int)
    for m in movements:
        month = month_of(m.day)
        for stage, parts in _NET_STAGES.items():
            for code, sign in parts:
                if m.code == code:
                    sums[(m.fund, m.programme, m.currency, month, stage)] += sign * m.net
        if m.code == c.RECOVERIES_PENDING:
            sums[(m.fund, m.programme, m.currency, month, "recovered")] += m.debit
    _add_original_budget(sums)
    return sorted(Fact(*key, amount) for key, amount in sums.items() if amount != 0)


def _add_original_budget(sums: dict[tuple[str, str, str, dt.date, str], int]) -> None:
    first: dict[tuple[str, str, str], dt.date] = {}
    for (fund, programme, currency, month, stage), amount in sums.items():
        key = (fund, programme, currency)
        if stage == "budget" and amount != 0 and (key not in first or month < first[key]):
            first[key] = month
    for (fund, programme, currency), month in first.items():
        sums[(fund, programme, currency, month, "budget_original")] = sums[
            (fund, programme, currency, month, "budget")
        ]


@dataclass(frozen=True)
class Position:
    """A fund x programme's stage balances summed from the facts (minor units)."""

    fund: str
    programme: str
    currency: str
    stages: dict[str, int]


def positions(facts: Iterable[Fact], until: dt.date | None = None) -> list[Position]:
    """Stage balances per fund x programme, from the facts up to a month (all of them by default)."""
    totals: dict[tuple[str, str, str], dict[str, int]] = {}
    for f in facts:
        if until is not None and f.month > until:
            continue
        stages = totals.setdefault((f.fund, f.programme, f.currency), dict.fromkeys(STAGES, 0))
        stages[f.stage] += f.amount
    return [Position(*key, stages) for key, stages in sorted(totals.items())]


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every first-of-month from first's month to last's month, inclusive."""
    out, month = [], month_of(first)
    while month <= month_of(last):
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def first_months(facts: Iterable[Fact]) -> dict[tuple[str, str], dt.date]:
    """Each fund x programme's first month with any movement."""
    first: dict[tuple[str, str], dt.date] = {}
    for f in facts:
        key = (f.fund, f.programme)
        if key not in first or f.month < first[key]:
            first[key] = f.month
    return first


def totals_by(facts: Iterable[Fact], *fields: str) -> dict[tuple, int]:
    """Amounts summed by the named fields, e.g. totals_by(facts, "currency", "month", "stage")."""
    sums: dict[tuple, int] = defaultdict(int)
    for f in facts:
        sums[tuple(getattr(f, name) for name in fields)] += f.amount
    return sums
