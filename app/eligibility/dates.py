"""Dates as day numbers (days since 1970-01-01), with calendar arithmetic that works unchanged on Python
ints and on numpy int64 arrays, so one case and a whole caseload compute exactly the same thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def day_number(value: dt.date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


def from_day_number(day: int) -> dt.date:
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)


def civil(days: Any) -> tuple[Any, Any, Any]:
    """(year, month, day) from day numbers; Howard Hinnant's days_from_civil inverse, integer-only.
    One day number (a Python int) takes the C calendar instead: the same answer, faster."""
    if type(days) is int:
        date = dt.date.fromordinal(days + EPOCH_ORDINAL)
        return date.year, date.month, date.day
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 - 12 * (mp >= 10)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def age(birth: Any, at: Any) -> Any:
    """Completed years between two dates (someone born on 29 February turns a year older on 1 March)."""
    by, bm, bd = civil(birth)
    ay, am, ad = civil(at)
    return ay - by - ((am * 100 + ad) < (bm * 100 + bd))


def months_between(start: Any, end: Any) -> Any:
    """Completed calendar months from start to end (15 Jan → 14 Mar is 1; → 15 Mar is 2)."""
    sy, sm, sd = civil(start)
    ey, em, ed = civil(end)
    return (ey - sy) * 12 + (em - sm) - (ed < sd)


def year(days: Any) -> Any:
    return civil(days)[0]


def month(days: Any) -> Any:
    return civil(days)[1]


def days_from_civil(year: Any, month: Any, day: Any) -> Any:
    """Day numbers from (year, month, day); integer-only, so ints and int64 arrays agree."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = month + 12 * (month <= 2) - 3
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def period_start(days: Any, period: str, start_month: int = 1) -> Any:
    """The first day of the period a date is in: its month, or its year (a year starting in
    start_month: 4 gives the fiscal year from 1 April)."""
    year, month, _ = civil(days)
    if period == "month":
        return days_from_civil(year, month, 1)
    return days_from_civil(year - (month < start_month), start_month, 1)
