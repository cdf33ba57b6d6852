"""The workbook's sheets as plain rows of computed values: for CSV exports and the budget holder's page.

Money stays in minor units here; `render_csv` formats it as decimal text in the row's currency.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from app.core.money import format_minor
from app.reports.facts import Fact, first_months, months_between, totals_by
from app.reports.participants import AGE_BANDS, GENDERS
from app.reports.service import Report

MONEY = "money"


@dataclass(frozen=True)
class Sheet:
    columns: tuple[tuple[str, str], ...]  # (name, kind): kind is "money", "text", "number" or "percent"
    rows: list[dict[str, object]]  # by column name; money in minor units, with the row's "currency"


def _months_elapsed(first: dict[tuple[str, str], dt.date], fund: str, programme: str, as_of: dt.date) -> int:
    start = first.get((fund, programme))
    return len(months_between(start, as_of)) if start else 1


_SUMMARY_NAMES = (
    "fund", "programme", "currency", "budget_original", "budget_revised", "committed", "expended", "paid",
    "recoveries_pending", "available", "percent_spent", "months", "monthly_burn",
    "months_until_budget_runs_out", "forecast_at_completion", "variance_at_completion",
)  # fmt: skip
_SUMMARY_MONEY = {*_SUMMARY_NAMES[3:10], "monthly_burn", "forecast_at_completion", "variance_at_completion"}


def summary(report: Report) -> Sheet:
    rows = []
    first = first_months(report.facts)
    for p in sorted(report.positions, key=lambda p: (p.currency, p.fund, p.programme)):
        s = p.stages
        months = _months_elapsed(first, p.fund, p.programme, report.as_of)
        burn = s["expended"] // months  # floor: a month's average, in whole minor units
        remaining = s["budget"] - s["expended"] - s["recoveries_pending"]
        forecast = s["expended"] + s["committed"]
        rows.append(
            {
                "fund": p.fund,
                "programme": p.programme,
                "currency": p.currency,
                "budget_original": s["budget_original"],
                "budget_revised": s["budget"],
                "committed": s["committed"],
                "expended": s["expended"],
                "paid": s["paid"],
                "recoveries_pending": s["recoveries_pending"],
                "available": s["available"],
                "percent_spent": round(100 * s["expended"] / s["budget"], 1) if s["budget"] else 0.0,
                "months": months,
                "monthly_burn": burn,
                "months_until_budget_runs_out": round(remaining * months / s["expended"], 1)
                if s["expended"] > 0
                else "",
                "forecast_at_completion": forecast,
                "variance_at_completion": s["budget"] - forecast,
            }
        )
    columns = tuple((name, MONEY if name in _SUMMARY_MONEY else "text") for name in _SUMMARY_NAMES)
    return Sheet(columns, rows)


BY_MONTH_STAGES = ("budget", "committed", "expended", "paid", "recovered")


def by_month(report: Report, fund: str | None = None, programme: str | None = None) -> Sheet:
    """Stage movements per currency and month, with running totals; optionally one fund x programme."""
    facts = [f for f in report.facts if _matches(f, fund, programme)]
    totals = totals_by(facts, "currency", "month", "stage")
    rows = []
    for currency in sorted({f.currency for f in facts}):
        running = dict.fromkeys(("budget", "expended", "paid"), 0)
        for month in months_between(report.first_month, report.as_of):
            row: dict[str, object] = {"currency": currency, "month": month.strftime("%Y-%m")}
            for stage in BY_MONTH_STAGES:
                row[stage] = totals.get((currency, month, stage), 0)
            for stage in running:
                running[stage] += row[stage]  # type: ignore[operator]
                row[f"{stage}_to_date"] = running[stage]
            rows.append(row)
    names = ("currency", "month", *BY_MONTH_STAGES, "budget_to_date", "expended_to_date", "paid_to_date")
    columns = tuple((name, "text" if name in ("currency", "month") else MONEY) for name in names)
    return Sheet(columns, rows)


@dataclass(frozen=True)
class PairSeries:
    """A fund x programme's stage balances at the end of each month (for the page's chart and table)."""

    fund: str
    programme: str
    currency: str
    months: list[dt.date]
    stages: dict[str, list[int]]  # budget, committed, expended, paid -> one balance per month


CHART_STAGES = ("budget", "committed", "expended", "paid")


def pair_series(report: Report) -> list[PairSeries]:
    months = months_between(report.first_month, report.as_of)
    index = {m: i for i, m in enumerate(months)}
    out = []
    totals = totals_by(report.facts, "fund", "programme", "stage", "month")
    for p in sorted(report.positions, key=lambda p: (p.fund, p.programme)):
        moves = {stage: [0] * len(months) for stage in CHART_STAGES}
        for month, i in index.items():
            for stage in CHART_STAGES:
                moves[stage][i] = totals.get((p.fund, p.programme, stage, month), 0)
        out.append(
            PairSeries(
                p.fund, p.programme, p.currency, months, {s: list(accumulate(v)) for s, v in moves.items()}
            )
        )
    return out


def _matches(fact: Fact, fund: str | None, programme: str | None) -> bool:
    return (fund is None or fact.fund == fund) and (programme is None or fact.programme == programme)


def pooled_fund(report: Report) -> Sheet:
    totals: dict[str, int] = {}
    for a in report.allocations:
        totals[a.programme] = totals.get(a.programme, 0) + a.contribution
    rows = [
        {
            "programme": a.programme,
            "fund": a.fund,
            "currency": a.currency,
            "contribution": a.contribution,
            "share_percent": round(100 * a.contribution / totals[a.programme], 2)
            if totals[a.programme]
            else 0,
            "allocated_expenditure": a.allocated,
            "balance": a.contribution - a.allocated,
        }
        for a in report.allocations
    ]
    columns = tuple(
        (name, MONEY if name in {"contribution", "allocated_expenditure", "balance"} else "text")
        for name in (
            "programme",
            "fund",
            "currency",
            "contribution",
            "share_percent",
            "allocated_expenditure",
            "balance",
        )
    )
    return Sheet(columns, rows)


def participants(report: Report) -> Sheet:
    rows = []
    for table in report.participant_tables:
        for i, gender in enumerate([*GENDERS, "total"]):
            row: dict[str, object] = {
                "programme": table.programme,
                "measure": table.measure,
                "gender": gender,
            }
            for j, band in enumerate([*AGE_BANDS, "total"]):
                row[band] = table.published.shown(i, j)
            rows.append(row)
    names = ("programme", "measure", "gender", *AGE_BANDS, "total")
    return Sheet(tuple((name, "text") for name in names), rows)


def ledger(report: Report) -> Sheet:
    rows = [
        {
            "fund": f.fund,
            "programme": f.programme,
            "currency": f.currency,
            "month": f.month.strftime("%Y-%m"),
            "stage": f.stage,
            "amount": f.amount,
        }
        for f in report.facts
    ]
    columns = tuple(
        (name, MONEY if name == "amount" else "text")
        for name in ("fund", "programme", "currency", "month", "stage", "amount")
    )
    return Sheet(columns, rows)


SHEETS: dict[str, Callable[[Report], Sheet]] = {
    "summary": summary,
    "by_month": by_month,
    "pooled_fund": pooled_fund,
    "participants": participants,
    "ledger": ledger,
}


def render_csv(sheet: Sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in sheet.columns])
    for row in sheet.rows:
        writer.writerow(
            [
                format_minor(row[name], str(row["currency"])) if kind == MONEY else row[name]  # type: ignore[arg-type]
                for name, kind in sheet.columns
            ]
        )
    return out.getvalue()
