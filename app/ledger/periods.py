"""Accounting periods. A closed month takes no more postings; corrections go into an open month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core import audit
from app.core.actor import Actor
from app.core.dates import check_date
from app.core.db import write_transaction
from app.core.errors import ValidationFailed
from app.core.sql import Sql
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.tables import ClosedPeriod


@dataclass(frozen=True)
class PeriodView:
    month: str  # YYYY-MM
    closed_at: dt.datetime
    closed_by: str


def parse_month(text: str) -> dt.date:
    try:
        month = dt.date.fromisoformat(f"{text}-01") if text.isascii() else None
    except ValueError:
        month = None
    if month is None:
        raise ValidationFailed("invalid_month", "month must be written YYYY-MM, e.g. 2026-10", "month")
    return check_date(month, "month")


async def close_month(actor: Actor, month: dt.date) -> PeriodView:
    """Close a month. It takes the ledger head lock, so no posting into that month can be in flight."""
    month = month.replace(day=1)
    async with write_transaction():
        sql = Sql()
        await sql.fetch(
            "SELECT last_seq FROM ledger_head WHERE id = 1" + (" FOR UPDATE" if sql.postgres else "")
        )
        if await ClosedPeriod.exists().where(ClosedPeriod.month == month):
            raise LedgerRefusal(Refusal.PERIOD_ALREADY_CLOSED, f"{month:%Y-%m} is already closed", "month")
        await ClosedPeriod.insert(ClosedPeriod(month=month, closed_by=actor.public_id))
        await audit.record(actor, "ledger.period_close", "period", f"{month:%Y-%m}")
    return await _view(month)


async def _view(month: dt.date) -> PeriodView:
    row = await ClosedPeriod.select().where(ClosedPeriod.month == month).first()
    return PeriodView(f"{month:%Y-%m}", row["closed_at"], row["closed_by"])


async def list_closed() -> list[PeriodView]:
    rows = await ClosedPeriod.select().order_by(ClosedPeriod.month)
    return [PeriodView(f"{r['month']:%Y-%m}", r["closed_at"], r["closed_by"]) for r in rows]
