"""The budget workbook: figures tie to the ledger to the cent, formulas recalculate (LibreOffice), edits
flow through to the totals, pooled allocations add up, participants are suppressed, bad input is named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from app.core.db import run_sync as run
from app.core.errors import ValidationFailed
from app.ledger.queries import budget_position
from app.reports.facts import positions
from app.reports.service import build_report
from app.reports.workbook import write_workbook
from tests.reports import world
from tests.reports.recalc import make_profile, recalculate

# openpyxl cannot read LibreOffice's charts back; only the cells matter here
pytestmark = pytest.mark.filterwarnings("ignore:Unable to read chart:UserWarning")

STAGE_COLUMNS = {
    "D": "budget_original",
    "E": "budget",
    "F": "committed",
    "G": "expended",
    "H": "paid",
    "I": "recoveries_pending",
    "J": "available",
}
LEDGER_FIELDS = {
    "budget": "budget",
    "committed": "committed",
    "expended": "expended",
    "paid": "paid",
    "recoveries_pending": "recoveries_pending",
    "available": "available",
}
ORIGINAL = {  # the first month's budget; the November revision of ESF CHILDCARE is not in it
    ("ESF", "CHILDCARE"): 1_000_000_00,
    ("STATE", "CHILDCARE"): 500_000_01,
    ("ESF", "WAGES"): 300_000_00,
    ("UNDP", "CASH"): 75_000_00,
}
MONTH_ENDS = [dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 30)]


@pytest.fixture
def ledger_world():
    run(world.build_ledger())
    run(world.build_caseload())


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory) -> Path:
    return make_profile(tmp_path_factory.mktemp("lo-profile"))


def cents(value) -> int:
    """A recalculated cell back to minor units (the sheet holds major units as binary floats)."""
    return int((Decimal(repr(value)) * 100).quantize(Decimal(1)))


def _ledger_figures(as_of: dt.date) -> dict[tuple[str, str], dict[str, int]]:
    return {
        (p.fund, p.programme): {stage: getattr(p, field) for stage, field in LEDGER_FIELDS.items()}
        for p in run(budget_position(as_of))
    }


@pytest.mark.parametrize("as_of", [*MONTH_ENDS, dt.date(2026, 10, 1)])
def test_the_facts_equal_the_ledgers_budget_position_at_any_date(ledger_world, as_of):
    report = run(build_report(as_of))
    expected = _ledger_figures(as_of)
    got = {
        (p.fund, p.programme): {stage: p.stages[stage] for stage in LEDGER_FIELDS} for p in report.positions
    }
    assert got == {key: v for key, v in expected.items() if any(v.values())}


def test_month_by_month_facts_are_the_changes_of_the_position(ledger_world):
    report = run(build_report(MONTH_ENDS[-1]))
    for month_end in MONTH_ENDS:
        upto = positions(report.facts, until=month_end.replace(day=1))
        assert {(p.fund, p.programme): p.stages["expended"] for p in upto} == {
            key: v["expended"] for key, v in _ledger_figures(month_end).items() if any(v.values())
        }


def _recalculated(report, tmp_path: Path, profile: Path, name: str = "budget.xlsx"):
    path = tmp_path / name
    write_workbook(report, path)
    (recalculated,) = recalculate([path], profile, tmp_path / "out")
    return path, openpyxl.load_workbook(recalculated, data_only=True)


def _errors(book) -> list[str]:
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (
                    cell.value.startswith("#") or cell.value.startswith("Err:")
                ):
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value}")
    return found


def test_every_summary_and_by_month_cell_recalculates_to_the_ledgers_figures(
    ledger_world, tmp_path, lo_profile
):
    as_of = dt.date(2026, 11, 30)
    report = run(build_report(as_of))
    _, book = _recalculated(report, tmp_path, lo_profile)
    assert _errors(book) == []
    summary = book["Summary"]
    expected = _ledger_figures(as_of)
    rows = {(r[0].value, r[1].value): r[0].row for r in summary.iter_rows(min_row=2) if r[1].value}
    assert set(rows) == {key for key, v in expected.items() if any(v.values())}
    for (fund, programme), row in rows.items():
        for column, stage in STAGE_COLUMNS.items():
            value = cents(summary[f"{column}{row}"].value)
            if stage == "budget_original":
                assert value == ORIGINAL[(fund, programme)]
            else:
                assert value == expected[(fund, programme)][stage], (fund, programme, stage)
        figures = expected[(fund, programme)]
        assert summary[f"K{row}"].value == pytest.approx(figures["expended"] / figures["budget"])
        assert cents(summary[f"O{row}"].value) == figures["expended"] + figures["committed"]
    totals = {
        r[0].value: r[0].row for r in summary.iter_rows(min_row=2) if str(r[0].value).startswith("Total")
    }
    for currency in ("EUR", "USD"):
        row = totals[f"Total {currency}"]
        pairs = [k for k in rows if world_currency(k[1]) == currency]
        for column, stage in STAGE_COLUMNS.items():
            if stage != "budget_original":
                assert cents(summary[f"{column}{row}"].value) == sum(expected[k][stage] for k in pairs)
    _check_by_month(book["By month"])
    _check_pooled(book["Pooled fund"])


def world_currency(programme: str) -> str:
    return {code: currency for code, _, currency in world.PROGRAMMES}[programme]


def _check_by_month(sheet) -> None:
    previous: dict[str, dict[str, int]] = {}
    seen = 0
    for row in sheet.iter_rows(min_row=2):
        currency, month = row[0].value, row[1].value
        if not currency:
            continue
        month_end = (month.date().replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
            days=1
        )
        figures = [v for (f, p), v in _ledger_figures(month_end).items() if world_currency(p) == currency]
        now = {stage: sum(v[stage] for v in figures) for stage in ("budget", "committed", "expended", "paid")}
        before = previous.get(currency, dict.fromkeys(now, 0))
        for index, stage in ((2, "budget"), (3, "committed"), (4, "expended"), (5, "paid")):
            assert cents(row[index].value) == now[stage] - before[stage], (currency, month, stage)
        assert cents(row[7].value) == now["budget"]
        assert cents(row[8].value) == now["expended"]
        assert cents(row[9].value) == now["paid"]
        previous[currency] = now
        seen += 1
    assert seen == 4 + 4  # EUR and USD, August to November


def test_an_edit_in_the_ledger_sheet_flows_to_the_rows_and_totals(ledger_world, tmp_path, lo_profile):
    report = run(build_report(dt.date(2026, 11, 30)))
    path = tmp_path / "budget.xlsx"
    write_workbook(report, path)
    book = openpyxl.load_workbook(path)
    ledger = book["Ledger"]
    target = next(
        r
        for r in ledger.iter_rows(min_row=2)
        if (r[0].value, r[1].value, r[4].value) == ("STATE", "CHILDCARE", "expended")
    )
    target[5].value = target[5].value + 1000
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    original, changed = recalculate([path, edited], lo_profile, tmp_path / "out")
    before = openpyxl.load_workbook(original, data_only=True)["Summary"]
    after = openpyxl.load_workbook(changed, data_only=True)["Summary"]
    row = next(
        r[0].row for r in before.iter_rows(min_row=2) if (r[0].value, r[1].value) == ("STATE", "CHILDCARE")
    )
    total = next(r[0].row for r in before.iter_rows(min_row=2) if r[0].value == "Total EUR")
    for cell in (f"G{row}", f"G{total}", f"O{row}"):
        assert cents(after[cell].value) - cents(before[cell].value) == 1000_00, cell


def test_pooled_allocations_add_up_to_each_programmes_expenditure(ledger_world):
    report = run(build_report(dt.date(2026, 11, 30)))
    expended = {}
    for p in report.positions:
        expended[p.programme] = expended.get(p.programme, 0) + p.stages["expended"]
    for programme, total in expended.items():
        assert sum(a.allocated for a in report.allocations if a.programme == programme) == total
    childcare = {a.fund: a for a in report.allocations if a.programme == "CHILDCARE"}
    assert set(childcare) == {"ESF", "STATE"}


def _check_pooled(sheet) -> None:
    totals = 0
    for row in sheet.iter_rows(min_row=2):
        if str(row[0].value).endswith(" total"):
            assert cents(row[5].value) == cents(row[8].value)  # allocated = the ledger's expenditure
            totals += 1
    assert totals == 3


def test_the_participants_sheet_hides_small_groups(ledger_world, tmp_path):
    report = run(build_report(dt.date(2026, 11, 30)))
    path = tmp_path / "budget.xlsx"
    write_workbook(report, path)
    sheet = openpyxl.load_workbook(path)["Participants"]
    numbers = [
        c.value for row in sheet.iter_rows(min_row=3) for c in row[1:] if isinstance(c.value, int | float)
    ]
    assert numbers and all(v == 0 or v >= 5 for v in numbers)
    shown = [c.value for row in sheet.iter_rows(min_row=3) for c in row[1:] if c.value in ("<5", "x")]
    assert shown.count("<5") >= 3  # the two men aged 35-44, the one non-binary participant, her total
    assert "x" in shown  # their partners, hidden so that the totals do not give them away
    tables = {(t.programme, t.measure): t for t in report.participant_tables}
    childcare = tables[("CHILDCARE", "participants")].published
    assert childcare.values[-1][-1] == 25  # 7 + 6 + 2 + 9 + 1
    wages = tables[("WAGES", "employed_6m")].published
    assert wages.values[-1][-1] == 11  # all eleven reached six months
    assert tables[("WAGES", "employed_12m")].published.values[-1][-1] == 6  # those who left did not


def test_bad_input_is_named(ledger_world):
    with pytest.raises(ValidationFailed) as unknown:
        run(build_report(dt.date(2026, 11, 30), fund="NOPE"))
    assert (unknown.value.code, unknown.value.param) == ("unknown_fund", "fund")
    with pytest.raises(ValidationFailed) as early:
        run(build_report(dt.date(2026, 7, 1)))
    assert early.value.code == "as_of_before_first_posting"
    assert "2026-08-03" in early.value.message
    with pytest.raises(ValidationFailed) as small:
        run(build_report(dt.date(2026, 11, 30), k=1))
    assert (small.value.code, small.value.param) == ("k_too_small", "k")
