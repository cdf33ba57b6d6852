"""The plausible range of dates: every date and period the system takes in lies within it.

Outside it lie typing slips (year 0, 20226) and the edges PostgreSQL stores as ±infinity (asyncpg writes
9999-12-31 and 0001-01-01 so), on which date arithmetic and the Beancount export break for good. The
range is a setting: GRANTS_DATE_MIN_YEAR and GRANTS_DATE_MAX_YEAR (1900 and 2200 by default).
"""

from __future__ import annotations

import datetime as dt

from app.core.errors import ValidationFailed
from app.core.settings import get_settings


def date_range() -> tuple[dt.date, dt.date]:
    settings = get_settings()
    return dt.date(settings.date_min_year, 1, 1), dt.date(settings.date_max_year, 12, 31)


def out_of_range(value: dt.date) -> str | None:
    """Why the date is refused, or None when it lies in the range."""
    first, last = date_range()
    if first <= value <= last:
        return None
    return f"must lie between {first.isoformat()} and {last.isoformat()}"


def check_date(value: dt.date, param: str) -> dt.date:
    why = out_of_range(value)
    if why:
        raise ValidationFailed(
            "date_out_of_range", f"{value.isoformat()} is not a plausible date: it {why}", param
        )
    return value
