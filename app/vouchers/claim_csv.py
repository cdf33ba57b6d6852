"""The claim CSV a provider uploads (documented in docs/vouchers.md, example in docs/examples/claim.csv):
parsed strictly, every malformed cell reported with its line and column, so a file is either read whole or
refused whole — never half-recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io

from app.core.errors import ErrorDetail, ValidationFailed
from app.core.money import to_minor
from app.vouchers.claims import LineIn

COLUMNS = ("voucher_code", "child_birth_date", "service_start", "service_end", "days_attended", "amount")
MAX_REPORTED = 50  # problems listed in one refusal; the first fix often fixes many


def parse(data: bytes, currency: str = "EUR") -> list[LineIn]:
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != list(COLUMNS):
        raise ValidationFailed(
            "invalid_header",
            f"line 1 must be the header {','.join(COLUMNS)}",
            "line 1",
            extra={"expected": COLUMNS},
        )
    lines: list[LineIn] = []
    problems: list[ErrorDetail] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        parsed = _row(number, row, currency, problems)
        if parsed is not None:
            lines.append(parsed)
    if problems:
        shown = problems[:MAX_REPORTED]
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise ValidationFailed(
            "invalid_csv",
            f"{len(problems)} problem(s) in the file; first: {shown[0].message}{more}",
            shown[0].param,
            details=shown,
        )
    if not lines:
        raise ValidationFailed("empty_claim", "the file has a header but no lines", "line 2")
    return lines


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            "invalid_encoding",
            f"the file is not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8 CSV",
            f"line {line}",
        ) from None
    return text


def _row(number: int, row: list[str], currency: str, problems: list[ErrorDetail]) -> LineIn | None:
    if len(row) != len(COLUMNS):
        problems.append(
            ErrorDetail(
                "wrong_column_count",
                f"line {number} has {len(row)} columns, not {len(COLUMNS)}",
                f"line {number}",
            )
        )
        return None
    cells = dict(zip(COLUMNS, (cell.strip() for cell in row), strict=True))
    before = len(problems)
    dates = {
        c: _date(number, c, cells[c], problems) for c in ("child_birth_date", "service_start", "service_end")
    }
    days = _days(number, cells["days_attended"], problems)
    try:
        to_minor(cells["amount"], currency)
    except ValidationFailed as exc:
        problems.append(
            ErrorDetail(
                "invalid_amount", f"line {number}, column amount: {exc.message}", f"line {number}.amount"
            )
        )
    if not cells["voucher_code"]:
        problems.append(
            ErrorDetail(
                "missing_value", f"line {number}, column voucher_code is empty", f"line {number}.voucher_code"
            )
        )
    if len(problems) > before:
        return None
    return LineIn(
        cells["voucher_code"],
        dates["child_birth_date"],
        dates["service_start"],
        dates["service_end"],
        days,
        cells["amount"],
    )


def _date(number: int, column: str, value: str, problems: list[ErrorDetail]) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else dt.date.fromisoformat("invalid")
    except ValueError:
        problems.append(
            ErrorDetail(
                "invalid_date",
                f"line {number}, column {column}: {value!r} is not a date like 2026-03-31",
                f"line {number}.{column}",
            )
        )
        return dt.date.min


def _days(number: int, value: str, problems: list[ErrorDetail]) -> int:
    if not value.isdigit() or int(value) > 31:
        problems.append(
            ErrorDetail(
                "invalid_days",
                f"line {number}, column days_attended: {value!r} is not a number of days from 0 to 31",
                f"line {number}.days_attended",
            )
        )
        return 0
    return int(value)
