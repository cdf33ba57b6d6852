"""The claim CSV a provider uploads (documented in docs/vouchers.md, example in docs/examples/claim.csv):
parsed strictly, every malformed cell reported with its line and column, so a file is either read whole or
refused whole — never half-recorded."""

from __future__ import annotations

from app.core import csv_input
from app.core.csv_input import Problems, date_cell
from app.core.errors import ValidationFailed
from app.core.money import to_minor
from app.vouchers.claims import LineIn

COLUMNS = ("voucher_code", "child_birth_date", "service_start", "service_end", "days_attended", "amount")


def parse(data: bytes, currency: str = "EUR") -> list[LineIn]:
    return csv_input.parse(
        data, COLUMNS, lambda number, cells, problems: _row(number, cells, currency, problems)
    )


def _row(number: int, cells: dict[str, str], currency: str, problems: Problems) -> LineIn | None:
    before = len(problems)
    dates = {
        c: date_cell(number, c, cells[c], problems)
        for c in ("child_birth_date", "service_start", "service_end")
    }
    days = cells["days_attended"]
    if not days.isdigit() or int(days) > 31:
        problems.add(
            "invalid_days", number, "days_attended", f"{days!r} is not a number of days from 0 to 31"
        )
    try:
        to_minor(cells["amount"], currency)
    except ValidationFailed as exc:
        problems.add("invalid_amount", number, "amount", exc.message)
    if not cells["voucher_code"]:
        problems.add("missing_value", number, "voucher_code", "it is empty")
    if len(problems) > before:
        return None
    return LineIn(
        cells["voucher_code"],
        dates["child_birth_date"],
        dates["service_start"],
        dates["service_end"],
        int(days),
        cells["amount"],
        number,
    )


def line_from_cells(
    number: int, cells: dict[str, str], problems: Problems, currency: str = "EUR"
) -> LineIn | None:
    """One claim line from its cells (a CSV line or a row of the claim form); problems as for a file."""
    return _row(number, cells, currency, problems)
