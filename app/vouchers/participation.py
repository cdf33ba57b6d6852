"""Who took part in which programme through a voucher, for disaggregated reports (pseudonymous ids)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from app.core.db import as_date, raw


class VoucherParticipation(NamedTuple):
    participant: str
    programme: str
    start: dt.date  # the voucher's first valid day
    used: bool  # anything was claimed or paid on it


async def voucher_participation(as_of: dt.date) -> list[VoucherParticipation]:
    rows = await raw(
        "SELECT participant, programme, valid_from, claimed_minor FROM voucher WHERE valid_from <= {}", as_of
    )
    return [
        VoucherParticipation(
            r["participant"], r["programme"], as_date(r["valid_from"]), r["claimed_minor"] > 0
        )
        for r in rows
    ]
