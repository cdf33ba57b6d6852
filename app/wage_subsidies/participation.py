"""Who took part in which programme through a subsidised job, for disaggregated reports."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from app.core.db import as_date, raw


class JobParticipation(NamedTuple):
    participant: str
    programme: str
    hire_date: dt.date
    end_date: dt.date | None  # the employment ended (None: still employed)


async def job_participation(as_of: dt.date) -> list[JobParticipation]:
    rows = await raw(
        "SELECT a.participant, a.programme, a.hire_date, p.end_date FROM wage_agreement a "
        "LEFT JOIN wage_placement p ON p.public_id = a.placement WHERE a.hire_date <= {}",
        as_of,
    )
    return [
        JobParticipation(
            r["participant"],
            r["programme"],
            as_date(r["hire_date"]),
            as_date(r["end_date"]) if r["end_date"] is not None else None,
        )
        for r in rows
    ]
