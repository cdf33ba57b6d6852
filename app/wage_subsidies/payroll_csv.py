"""The payroll CSV an employer uploads for a month's claim (documented in docs/wage_subsidies.md, example in
docs/examples/payroll.csv): strict, every bad cell named by line and column, refused whole."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.core import csv_input
from app.core.csv_input import Problems, date_cell
from app.core.errors import ValidationFailed
from app.core.money import to_minor
from app.wage_subsidies.wage_claims import PayrollIn

COLUMNS = ("placement", "kind", "gross_wage_paid", "hours_worked", "still_employed", "end_date")
YES, NO = frozenset({"yes", "true", "1"}), frozenset({"no", "false", "0"})
MAX_HOURS = 744  # a 31-day month, around the clock


def parse(data: bytes, currency: str = "EUR") -> list[PayrollIn]:
    return csv_input.parse(
        data, COLUMNS, lambda number, cells, problems: _row(number, cells, currency, problems)
    )


def _row(number: int, cells: dict[str, str], currency: str, problems: Problems) -> PayrollIn | None:
    before = len(problems)
    if not cells["placement"] or len(cells["placement"]) > 32:
        problems.add("invalid_placement", number, "placement", "give the placement id, plc_…")
    kind = cells["kind"].lower() or "wage"
    if kind not in ("wage", "bonus"):
        problems.add("invalid_kind", number, "kind", f"{cells['kind']!r} is not wage or bonus")
    try:
        if to_minor(cells["gross_wage_paid"], currency) < 0:
            problems.add("invalid_amount", number, "gross_wage_paid", "a wage cannot be negative")
    except ValidationFailed as exc:
        problems.add("invalid_amount", number, "gross_wage_paid", exc.message)
    hours = _hours(number, cells["hours_worked"], problems)
    employed = cells["still_employed"].lower()
    if employed not in YES | NO:
        problems.add(
            "invalid_boolean", number, "still_employed", f"{cells['still_employed']!r} is not yes or no"
        )
    end = date_cell(number, "end_date", cells["end_date"], problems) if cells["end_date"] else None
    if len(problems) > before:
        return None
    return PayrollIn(cells["placement"], cells["gross_wage_paid"], hours, employed in YES, end, kind, number)


def _hours(number: int, value: str, problems: Problems) -> int:
    try:
        hours = Decimal(value)
    except InvalidOperation:
        hours = Decimal(-1)
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS or hours != hours.quantize(Decimal("0.01")):
        problems.add("invalid_hours", number, "hours_worked", f"{value!r} is not hours from 0 to {MAX_HOURS}")
        return 0
    return int(hours * 100)


def line_from_cells(
    number: int, cells: dict[str, str], problems: Problems, currency: str = "EUR"
) -> PayrollIn | None:
    """One payroll line from its cells (a CSV line or a row of the claim form); problems as for a file."""
    return _row(number, cells, currency, problems)
