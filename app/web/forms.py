"""Reading page forms the way the services read files: repeated rows (claim lines), dates and months,
each problem recorded with the field it is in, so a form's refusal reads like a file's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from litestar.datastructures import FormMultiDict

from app.core.csv_input import Problems
from app.core.errors import ErrorDetail, GrantsError

MAX_CELL = 40


def details_of(exc: GrantsError) -> list[ErrorDetail]:
    """Every problem a refusal names (a file's many, or the one)."""
    return list(exc.details) or [ErrorDetail(exc.code, exc.message, exc.param)]


def rows_of(form: FormMultiDict, fields: Sequence[str], max_rows: int) -> list[dict[str, str]]:
    """The form's repeated fields as rows (the nth value of each field makes row n)."""
    columns = {name: form.getall(name) if name in form else [] for name in fields}
    count = min(max((len(values) for values in columns.values()), default=0), max_rows)
    return [
        {
            name: str(values[i]).strip()[:MAX_CELL] if i < len(values) else ""
            for name, values in columns.items()
        }
        for i in range(count)
    ]


def blank_row(fields: Sequence[str]) -> dict[str, str]:
    return dict.fromkeys(fields, "")


def date_field(text: str, name: str, problems: Problems) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.date.fromisoformat("not a date")
    except ValueError:
        problems.append(ErrorDetail("invalid_date", "write the date as 2026-03-31", name))
        return dt.date.min


def month_field(text: str, name: str, problems: Problems) -> dt.date:
    """A month written 2026-03 (what a browser's month field sends), as its first day."""
    try:
        return dt.date.fromisoformat(f"{text}-01") if len(text) == 7 else dt.date.fromisoformat("no")
    except ValueError:
        problems.append(ErrorDetail("invalid_month", "write the month as 2026-03", name))
        return dt.date.min


def period_fields(
    start: str, end: str, problems: Problems, names: tuple[str, str]
) -> tuple[dt.date, dt.date]:
    first, last = date_field(start, names[0], problems), date_field(end, names[1], problems)
    if not problems and last < first:
        problems.append(ErrorDetail("invalid_period", "the period ends before it starts", names[1]))
    return first, last
