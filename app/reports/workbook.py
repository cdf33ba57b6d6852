"""The budget workbook, written with XlsxWriter: live formulas over the `Ledger` table of facts.

Sheets: Summary, By month (with a chart), Pooled fund, Participants (suppressed), Ledger (the facts as
an Excel table with filters), Notes. Every figure in Summary and By month is a SUMIFS over the Ledger
table, and totals and derived columns are formulas, so a budget holder who edits an amount sees them
follow. Amounts are written in major units (the currency's decimals), formatted in the row's currency.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from app.core.money import exponent, to_decimal
from app.reports.definitions import LEDGER_COLUMNS, NOTES_INTRO, SUMMARY_COLUMNS
from app.reports.facts import first_months, months_between, totals_by
from app.reports.participants import AGE_BANDS, GENDERS, MEASURE_TITLES
from app.reports.service import Report

MONTH_STAGES = (
    ("Budget", "budget"),
    ("Committed", "committed"),
    ("Expended", "expended"),
    ("Paid", "paid"),
    ("Recovered", "recovered"),
)


def major(minor: int, currency: str) -> float:
    """Amounts go into cells as numbers in major units (exact for any budget below 2^53 minor units)."""
    return float(to_decimal(minor, currency))


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.header = book.add_format({"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True})
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.month = book.add_format({"num_format": "yyyy-mm"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.number = book.add_format({"num_format": "0.0"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.count = book.add_format({"align": "right"})
        self.count_header = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "align": "right"}
        )
        self._money: dict[tuple[str, bool], Any] = {}

    def money(self, currency: str, bold: bool = False):
        key = (currency, bold)
        if key not in self._money:
            decimals = exponent(currency)
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            self._money[key] = self.book.add_format(
                {"num_format": f'{pattern} "{currency}";-{pattern} "{currency}"', "bold": bold}
            )
        return self._money[key]


def write_workbook(
    report: Report, target: str | Path | IO[bytes], active: str = "Summary", only: str | None = None
) -> None:
    """Write the workbook; `active` names the sheet it opens on; `only` hides every other sheet (for
    rendering one sheet to a picture; its formulas still read the hidden Ledger)."""
    book = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_numbers": False})
    formats = _Formats(book)
    summary = book.add_worksheet("Summary")
    by_month = book.add_worksheet("By month")
    pooled = book.add_worksheet("Pooled fund")
    participants = book.add_worksheet("Participants")
    ledger = book.add_worksheet("Ledger")
    notes = book.add_worksheet("Notes")
    _ledger_sheet(ledger, report, formats)
    _summary_sheet(summary, report, formats)
    _by_month_sheet(book, by_month, report, formats)
    _pooled_sheet(pooled, report, formats)
    _participants_sheet(participants, report, formats)
    _notes_sheet(notes, report, formats)
    book.get_worksheet_by_name(only or active).activate()
    if only:
        for sheet in book.worksheets():
            if sheet.name != only:
                sheet.hide()
    book.close()


def _printable(sheet, header_rows: int, landscape: bool = True) -> None:
    if landscape:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)


def _ledger_sheet(sheet, report: Report, formats: _Formats) -> None:
    rows = [
        [f.fund, f.programme, f.currency, f.month, f.stage, major(f.amount, f.currency)] for f in report.facts
    ]
    last = max(len(rows), 1)
    sheet.add_table(
        0,
        0,
        last,
        len(LEDGER_COLUMNS) - 1,
        {
            "name": "Ledger",
            "style": "Table Style Light 9",
            "columns": [{"header": name} for name, _ in LEDGER_COLUMNS],
            "data": rows or [["", "", "", None, "", 0]],
        },
    )
    for i, f in enumerate(report.facts, start=1):
        sheet.write_datetime(i, 3, dt.datetime.combine(f.month, dt.time()), formats.month)
        sheet.write_number(i, 5, major(f.amount, f.currency), formats.money(f.currency))
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 2, 9)
    sheet.set_column(3, 3, 10)
    sheet.set_column(4, 4, 18)
    sheet.set_column(5, 5, 18)
    sheet.freeze_panes(1, 0)
    _printable(sheet, 1, landscape=False)


def sumifs(stage: str, **criteria: str) -> str:
    parts = "".join(f",Ledger[{column}],{value}" for column, value in criteria.items())
    return f'SUMIFS(Ledger[Amount]{parts},Ledger[Stage],"{stage}")'


def _summary_sheet(sheet, report: Report, formats: _Formats) -> None:
    for col, (name, _) in enumerate(SUMMARY_COLUMNS):
        sheet.write(0, col, name, formats.header)
    as_of_month = report.as_of.replace(day=1)
    positions = sorted(report.positions, key=lambda p: (p.currency, p.fund, p.programme))
    first = first_months(report.facts)
    for i, p in enumerate(positions, start=1):
        _summary_row(sheet, i, p, _months_elapsed(first, p.fund, p.programme, as_of_month), formats)
    row = len(positions) + 1
    for currency in sorted({p.currency for p in positions}):
        row += 1
        _summary_total(sheet, row, currency, len(positions), formats)
    sheet.set_row(0, 45)
    sheet.set_column(0, 1, 14)
    sheet.set_column(2, 2, 9)
    sheet.set_column(3, 10, 16)
    sheet.set_column(11, 13, 13)
    sheet.set_column(14, 15, 17)
    sheet.freeze_panes(1, 3)
    _printable(sheet, 1)


def _months_elapsed(
    first: dict[tuple[str, str], dt.date], fund: str, programme: str, as_of_month: dt.date
) -> int:
    start = first.get((fund, programme))
    return len(months_between(start, as_of_month)) if start else 1


def _summary_row(sheet, row: int, p, months: int, formats: _Formats) -> None:
    r = row + 1  # Excel's row number
    money = formats.money(p.currency)
    sheet.write_string(row, 0, p.fund)
    sheet.write_string(row, 1, p.programme)
    sheet.write_string(row, 2, p.currency)
    keys = {"Fund": f"$A{r}", "Programme": f"$B{r}"}
    for col, stage in enumerate(
        ("budget_original", "budget", "committed", "expended", "paid", "recoveries_pending", "available"),
        start=3,
    ):
        value = p.stages[stage]
        sheet.write_formula(row, col, "=" + sumifs(stage, **keys), money, major(value, p.currency))
    budget, committed, expended = p.stages["budget"], p.stages["committed"], p.stages["expended"]
    remaining = budget - expended - p.stages["recoveries_pending"]
    burn = expended / months
    sheet.write_formula(
        row, 10, f"=IF(E{r}=0,0,G{r}/E{r})", formats.percent, expended / budget if budget else 0
    )
    sheet.write_number(row, 11, months)
    sheet.write_formula(row, 12, f"=G{r}/L{r}", money, burn / 10 ** exponent(p.currency))
    runway = remaining / burn if burn > 0 else ""
    sheet.write_formula(row, 13, f'=IF(M{r}>0,(E{r}-G{r}-I{r})/M{r},"")', formats.number, runway)
    sheet.write_formula(row, 14, f"=G{r}+F{r}", money, major(expended + committed, p.currency))
    sheet.write_formula(row, 15, f"=E{r}-O{r}", money, major(budget - expended - committed, p.currency))


def _summary_total(sheet, row: int, currency: str, body_rows: int, formats: _Formats) -> None:
    money = formats.money(currency, bold=True)
    sheet.write_string(row, 0, f"Total {currency}", formats.bold)
    sheet.write_string(row, 2, currency, formats.bold)
    r = row + 1
    for col in (3, 4, 5, 6, 7, 8, 9, 14, 15):
        letter = xl_col_to_name(col)
        sheet.write_formula(
            row, col, f"=SUMIFS({letter}$2:{letter}${body_rows + 1},$C$2:$C${body_rows + 1},$C{r})", money
        )
    sheet.write_formula(row, 10, f"=IF(E{r}=0,0,G{r}/E{r})", formats.percent)


def _by_month_sheet(book, sheet, report: Report, formats: _Formats) -> None:
    headers = [
        "Currency",
        "Month",
        *(name for name, _ in MONTH_STAGES),
        "Budget to date",
        "Expended to date",
        "Paid to date",
    ]
    for col, name in enumerate(headers):
        sheet.write(0, col, name, formats.header)
    months = months_between(report.first_month, report.as_of)
    row = 1
    chart_at = 1
    totals = totals_by(report.facts, "currency", "month", "stage")
    for currency in sorted({f.currency for f in report.facts}):
        start = row
        for month in months:
            _month_row(sheet, row, start, currency, month, totals, formats)
            row += 1
        _month_chart(book, sheet, currency, start, row - 1, chart_at)
        chart_at += 18
        row += 1
    sheet.set_row(0, 30)
    sheet.set_column(0, 1, 10)
    sheet.set_column(2, 9, 16)
    sheet.freeze_panes(1, 2)
    _printable(sheet, 1)


def _month_row(
    sheet, row: int, start: int, currency: str, month: dt.date, totals: dict[tuple, int], formats: _Formats
) -> None:
    r = row + 1
    money = formats.money(currency)
    sheet.write_string(row, 0, currency)
    sheet.write_datetime(row, 1, dt.datetime.combine(month, dt.time()), formats.month)
    for col, (_, stage) in enumerate(MONTH_STAGES, start=2):
        value = totals.get((currency, month, stage), 0)
        formula = "=" + sumifs(stage, Currency=f"$A{r}", Month=f"$B{r}")
        sheet.write_formula(row, col, formula, money, major(value, currency))
    for col, source in ((7, "C"), (8, "E"), (9, "F")):
        sheet.write_formula(row, col, f"=SUM({source}${start + 1}:{source}{r})", money)


def _month_chart(book, sheet, currency: str, first: int, last: int, anchor_row: int) -> None:
    chart = book.add_chart({"type": "line"})
    for col, name in ((7, "Budget to date"), (8, "Expended to date"), (9, "Paid to date")):
        chart.add_series(
            {
                "name": name,
                "categories": ["By month", first, 1, last, 1],
                "values": ["By month", first, col, last, col],
            }
        )
    chart.set_title({"name": f"Budget vs spent over time ({currency})"})
    chart.set_x_axis({"date_axis": True, "num_format": "yyyy-mm"})
    chart.set_y_axis({"num_format": f'#,##0 "{currency}"'})
    chart.set_size({"width": 640, "height": 320})
    sheet.insert_chart(anchor_row, 11, chart)


def _pooled_sheet(sheet, report: Report, formats: _Formats) -> None:
    headers = [
        "Programme",
        "Fund (donor)",
        "Currency",
        "Contribution",
        "Share of pool",
        "Allocated expenditure",
        "Balance",
    ]
    for col, name in enumerate(headers):
        sheet.write(0, col, name, formats.header)
    row = 1
    programmes = sorted({(a.programme, a.currency) for a in report.allocations})
    for programme, currency in programmes:
        members = [a for a in report.allocations if (a.programme, a.currency) == (programme, currency)]
        first, last = row + 1, row + len(members)
        money = formats.money(currency)
        for a in members:
            r = row + 1
            sheet.write_string(row, 0, a.programme)
            sheet.write_string(row, 1, a.fund)
            sheet.write_string(row, 2, a.currency)
            sheet.write_formula(
                row,
                3,
                "=" + sumifs("budget", Fund=f"$B{r}", Programme=f"$A{r}"),
                money,
                major(a.contribution, currency),
            )
            sheet.write_formula(
                row, 4, f"=IF(SUM(D${first}:D${last})=0,0,D{r}/SUM(D${first}:D${last}))", formats.percent
            )
            sheet.write_number(row, 5, major(a.allocated, currency), money)
            sheet.write_formula(row, 6, f"=D{r}-F{r}", money)
            row += 1
        r = row + 1
        bold = formats.money(currency, bold=True)
        sheet.write_string(row, 0, f"{programme} total", formats.bold)
        sheet.write_string(row, 2, currency, formats.bold)
        sheet.write_formula(row, 3, f"=SUM(D{first}:D{last})", bold)
        sheet.write_formula(row, 5, f"=SUM(F{first}:F{last})", bold)
        sheet.write_formula(row, 6, f"=SUM(G{first}:G{last})", bold)
        sheet.write_string(row, 7, "programme's expenditure in the ledger:")
        sheet.write_formula(row, 8, "=" + sumifs("expended", Programme=f"$A{first}", Currency=f"$C{r}"), bold)
        waiting = report.unallocated.get((programme, currency), 0)
        if waiting:
            row += 1
            sheet.write_string(row, 7, "not yet allocated (grants ledger allocate-pooled):")
            sheet.write_number(row, 8, major(waiting, currency), money)
        row += 2
    sheet.set_row(0, 30)
    sheet.set_column(0, 2, 14)
    sheet.set_column(3, 6, 18)
    sheet.set_column(7, 7, 34)
    sheet.set_column(8, 8, 18)
    sheet.freeze_panes(1, 0)
    _printable(sheet, 1)


def _participants_sheet(sheet, report: Report, formats: _Formats) -> None:
    heading = (
        f"Participants as of {report.as_of.isoformat()}: counts from 1 to {report.k - 1} are shown as "
        f"<{report.k}; cells marked x are hidden as well, so that no total gives a small count away"
    )
    sheet.write_string(0, 0, heading, formats.bold)
    row = 2
    for table in report.participant_tables:
        published = table.published
        sheet.write_string(row, 0, f"{table.programme}: {MEASURE_TITLES[table.measure]}", formats.title)
        row += 1
        sheet.write(row, 0, "Gender", formats.header)
        for col, band in enumerate([*AGE_BANDS, "Total"], start=1):
            sheet.write(row, col, band, formats.count_header)
        row += 1
        for i, label in enumerate([*GENDERS, "Total"]):
            sheet.write_string(row, 0, label, formats.bold if label == "Total" else None)
            for j in range(len(AGE_BANDS) + 1):
                value = published.values[i][j]
                if value is None:
                    sheet.write_string(row, j + 1, published.shown(i, j), formats.count)
                else:
                    sheet.write_number(row, j + 1, value)
            row += 1
        row += 1
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, len(AGE_BANDS) + 1, 11)
    sheet.freeze_panes(1, 0)
    _printable(sheet, 1, landscape=False)


def _notes_sheet(sheet, report: Report, formats: _Formats) -> None:
    lines: list[tuple[str, str]] = [
        ("As of", report.as_of.isoformat()),
        ("Fund", report.fund or "all funds"),
        ("Generated on", report.generated_at.isoformat()),
        ("Ledger entries", str(report.chain_entries)),
        ("Ledger chain head (SHA-256)", report.chain_hash),
        ("Suppression threshold k", str(report.k)),
    ]
    for programme, versions in report.rule_versions.items():
        lines.append((f"Rule versions: {programme}", ", ".join(versions)))
    sheet.write_string(0, 0, "Budget report", formats.title)
    sheet.write_string(1, 0, NOTES_INTRO, formats.wrap)
    row = 3
    for name, value in lines:
        sheet.write_string(row, 0, name, formats.bold)
        sheet.write_string(row, 1, value)
        row += 1
    row += 1
    for heading, columns in (("Summary columns", SUMMARY_COLUMNS), ("Ledger columns", LEDGER_COLUMNS)):
        sheet.write_string(row, 0, heading, formats.title)
        row += 1
        for name, definition in columns:
            sheet.write_string(row, 0, name.replace("\n", " "), formats.bold)
            sheet.write_string(row, 1, definition, formats.wrap)
            row += 1
        row += 1
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 100)
    _printable(sheet, 0, landscape=False)
