"""Dates as day numbers (days since 1970-01-01), with calendar arithmetic that works on Python ints and
on numpy int64 arrays with exactly the same results (integer arithmetic only), so one case and a whole
caseload compute the same thing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_fromordinal = dt.date.fromordinal


def day_number(value: dt.date) -> int:
    return value.toordinal() - EPOCH_ORDINAL


def from_day_number(day: int) -> dt.date:
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)


def civil(days: Any) -> tuple[Any, Any, Any]:
    """(year, month, day) from day numbers. One day number (a Python int) takes the C calendar; an
    array the integer arithmetic below (through a table of the days it spans, when large): the same
    answers."""
    if type(days) is int:
        date = dt.date.fromordinal(days + EPOCH_ORDINAL)
        return date.year, date.month, date.day
    if np.ndim(days) == 0:
        return civil(int(days))
    days = np.asarray(days, dtype=np.int64)
    if len(days) > 4096:
        low, high = int(days.min()), int(days.max())
        if high - low < 400_000:  # a caseload's dates span decades: look them up in a table of that span
            year, month, day = _civil_arithmetic(np.arange(low, high + 1, dtype=np.int64))
            index = days - low
            return year[index], month[index], day[index]
    return _civil_arithmetic(days)


def _civil_arithmetic(days: np.ndarray) -> tuple[Any, Any, Any]:
    # Howard Hinnant's civil_from_days, integer-only; within an era the numbers fit 32 bits, which
    # numpy divides faster than 64.
    z = days + 719468
    era = z // 146097
    doe = (z - era * 146097).astype(np.int32)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 - 12 * (mp >= 10)
    year = yoe + era * 400 + (month <= 2)
    return year, month.astype(np.int64), day.astype(np.int64)


def _through_table(days: Any, fn: Any) -> Any:
    """fn of a caseload's column of day numbers, computed once for each day of the span they cover and
    looked up (one gather instead of the calendar arithmetic per row); None where that does not pay."""
    if np.ndim(days) != 1 or len(days) <= 4096:
        return None
    days = np.asarray(days, dtype=np.int64)
    low, high = int(days.min()), int(days.max())
    if high - low >= 400_000:
        return None
    return fn(np.arange(low, high + 1, dtype=np.int64))[days - low]


def age(birth: Any, at: Any) -> Any:
    """Completed years between two dates (someone born on 29 February turns a year older on 1 March)."""
    if np.ndim(at) == 0:  # one date of decision for a caseload's birth dates
        found = _through_table(birth, lambda days: _age(days, at))
        if found is not None:
            return found
    return _age(birth, at)


def _age(birth: Any, at: Any) -> Any:
    by, bm, bd = civil(birth)
    ay, am, ad = civil(at)
    return ay - by - ((am * 100 + ad) < (bm * 100 + bd))


def months_between(start: Any, end: Any) -> Any:
    """Completed calendar months from start to end (15 Jan → 14 Mar is 1; → 15 Mar is 2)."""
    if np.ndim(end) == 0:
        found = _through_table(start, lambda days: _months_between(days, end))
        if found is not None:
            return found
    return _months_between(start, end)


def _months_between(start: Any, end: Any) -> Any:
    sy, sm, sd = civil(start)
    ey, em, ed = civil(end)
    return (ey - sy) * 12 + (em - sm) - (ed < sd)


def age_scalar(birth: Any, at: Any) -> Any:
    """age() of two Python ints (one case) straight from the C calendar; anything else goes to age()."""
    if type(birth) is not int or type(at) is not int:
        return age(birth, at)
    b, a = _fromordinal(birth + EPOCH_ORDINAL), _fromordinal(at + EPOCH_ORDINAL)
    return a.year - b.year - ((a.month * 100 + a.day) < (b.month * 100 + b.day))


def months_between_scalar(start: Any, end: Any) -> Any:
    """months_between() of two Python ints, as age_scalar."""
    if type(start) is not int or type(end) is not int:
        return months_between(start, end)
    s, e = _fromordinal(start + EPOCH_ORDINAL), _fromordinal(end + EPOCH_ORDINAL)
    return (e.year - s.year) * 12 + (e.month - s.month) - (e.day < s.day)


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
