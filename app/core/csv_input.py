"""Strict CSV uploads: UTF-8 only, an exact header, every malformed cell collected with its line and
column, and the whole file refused when any is wrong, so nothing is ever half-recorded."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from app.core.dates import out_of_range
from app.core.errors import ErrorDetail, ValidationFailed

T = TypeVar("T")
MAX_REPORTED = 50  # problems listed in one refusal; the first fix often fixes many


class Problems(list[ErrorDetail]):
    def add(self, code: str, number: int, column: str, message: str) -> None:
        self.append(
            ErrorDetail(code, f"line {number}, column {column}: {message}", f"line {number}.{column}")
        )

    def raise_if_any(self) -> None:
        if not self:
            return
        shown = self[:MAX_REPORTED]
        more = f" (and {len(self) - MAX_REPORTED} more)" if len(self) > MAX_REPORTED else ""
        raise ValidationFailed(
            "invalid_csv",
            f"{len(self)} problem(s) in the file; first: {shown[0].message}{more}",
            shown[0].param,
            details=list(shown),
        )


def rows(data: bytes, columns: Sequence[str], problems: Problems) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) for each non-blank line after the header."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != list(columns):
        raise ValidationFailed(
            "invalid_header",
            f"line 1 must be the header {','.join(columns)}",
            "line 1",
            extra={"expected": list(columns)},
        )
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(
                ErrorDetail(
                    "wrong_column_count",
                    f"line {number} has {len(row)} columns, not {len(columns)}",
                    f"line {number}",
                )
            )
            continue
        yield number, dict(zip(columns, (cell.strip() for cell in row), strict=True))


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationFailed(
            "invalid_encoding",
            f"the file is not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8 CSV",
            f"line {line}",
        ) from None


def date_cell(number: int, column: str, value: str, problems: Problems) -> dt.date:
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else dt.date.fromisoformat("invalid")
    except ValueError:
        problems.add("invalid_date", number, column, f"{value!r} is not a date like 2026-03-31")
        return dt.date.min
    why = out_of_range(day)
    if why:
        problems.add("date_out_of_range", number, column, f"{value} is not a plausible date: it {why}")
    return day


def parse(
    data: bytes, columns: Sequence[str], make: Callable[[int, dict[str, str], Problems], T | None]
) -> list[T]:
    """Every line made by `make(line number, cells, problems)`, or the file refused with all its problems.
    `make` records what is wrong in `problems` and returns None for a bad line."""
    problems = Problems()
    made = (make(number, cells, problems) for number, cells in rows(data, columns, problems))
    lines = [line for line in made if line is not None]
    problems.raise_if_any()
    if not lines:
        raise ValidationFailed("empty_claim", "the file has a header but no lines", "line 2")
    return lines
