"""A budget holder's reports in a real browser: from the start page to the reports page, the chart and
its table, narrowing to one fund and a past date, a bad date said in words, and the workbook downloaded
with totals that equal the ledger's budget position."""

from __future__ import annotations

import datetime as dt

import openpyxl

from app.core.roles import Role
from app.ledger.queries import budget_position
from tests.reports import world
from tests.support import run


def test_budget_holder_sees_the_months_and_downloads_the_workbook(journey, tmp_path):
    run(world.build_ledger())
    run(world.build_caseload())
    holder = journey(Role.BUDGET_HOLDER)
    holder.page.get_by_role("link", name="Budget reports").click()
    assert holder.page.get_by_role("heading", name="Budget reports", level=1).is_visible()
    assert holder.page.locator("svg[role=img]").count() == 4
    holder.check()

    holder.page.get_by_label("As of").fill("2026-10-31")
    holder.page.get_by_label("Fund").select_option("ESF")
    holder.page.get_by_role("button", name="Show").click()
    assert holder.page.locator("svg[role=img]").count() == 2  # ESF's two programmes
    childcare = holder.page.locator("section").filter(has_text="ESF · CHILDCARE")
    october = childcare.get_by_role("row").filter(
        has_text="October 2026"
    )  # 120,000 committed - 30,000.17 claimed
    assert october.inner_text().split("\t")[1:] == ["€1,000,000.00", "€89,999.83", "€30,000.17", "€30,000.17"]
    holder.check()

    with holder.page.expect_download() as download:
        holder.page.get_by_role("link", name="Download the workbook (xlsx)").click()
    assert download.value.suggested_filename == "budget-ESF-2026-10-31.xlsx"
    path = tmp_path / "budget.xlsx"
    download.value.save_as(path)
    summary = openpyxl.load_workbook(path, data_only=True)["Summary"]
    sheet = {(r[0].value, r[1].value): r for r in summary.iter_rows(min_row=2) if r[1].value}
    for p in run(budget_position(dt.date(2026, 10, 31), fund="ESF")):
        row = sheet[(p.fund, p.programme)]
        assert round(row[4].value * 100) == p.budget and round(row[6].value * 100) == p.expended

    holder.page.get_by_label("As of").fill("2026-07-31")
    holder.page.get_by_role("button", name="Show").click()
    assert "before the first posting (2026-08-03)" in holder.text()
    holder.check()
