"""The reports page over HTTP (a browser journey is in tests/e2e): figures, download, refusals."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.core.roles import Role
from tests.reports import world
from tests.support import run


@pytest.fixture
def ledger_world():
    run(world.build_ledger())
    run(world.build_caseload())


def _signed_in(client, people, role: Role):
    person = people.make(role)
    client.headers.update(person.headers)
    return client


def test_the_page_shows_each_pairs_chart_and_table(client, people, ledger_world):
    response = _signed_in(client, people, Role.BUDGET_HOLDER).get("/reports/", params={"as_of": "2026-11-30"})
    assert response.status_code == 200, response.text
    html = response.text
    assert html.count("<svg") == 4  # ESF/CHILDCARE, ESF/WAGES, STATE/CHILDCARE, UNDP/CASH
    assert "ESF · CHILDCARE" in html and "UNDP · CASH" in html
    assert "€1,250,000.00" in html  # ESF CHILDCARE's revised budget at November's end
    assert "€30,000.17" in html  # what it paid
    assert 'href="/reports/budget.xlsx?as_of=2026-11-30"' in html


def test_the_download_is_the_workbook_as_of_the_date_chosen(client, people, ledger_world):
    response = _signed_in(client, people, Role.AUDITOR).get(
        "/reports/budget.xlsx", params={"as_of": "2026-09-30", "fund": "ESF"}
    )
    assert response.status_code == 200
    assert 'filename="budget-ESF-2026-09-30.xlsx"' in response.headers["content-disposition"]
    summary = openpyxl.load_workbook(io.BytesIO(response.content), data_only=True)["Summary"]
    assert [summary[f"A{r}"].value for r in (2, 3)] == ["ESF", "ESF"]
    assert summary["G2"].value == 30_000.17  # ESF CHILDCARE expended by the end of September


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.APPROVER, Role.PROVIDER, Role.EMPLOYER])
def test_other_roles_are_refused(client, people, role):
    signed_in = _signed_in(client, people, role)
    assert signed_in.get("/reports/").status_code == 403
    assert signed_in.get("/reports/budget.xlsx").status_code == 403


def test_bad_input_is_said_in_words(client, people, ledger_world):
    signed_in = _signed_in(client, people, Role.BUDGET_HOLDER)
    bad_date = signed_in.get("/reports/", params={"as_of": "30/11/2026"})
    assert bad_date.status_code == 400 and "The date must look like 2026-11-30." in bad_date.text
    early = signed_in.get("/reports/", params={"as_of": "2026-01-31"})
    assert early.status_code == 400 and "before the first posting (2026-08-03)" in early.text
    unknown = signed_in.get("/reports/", params={"fund": "NOPE"})
    assert unknown.status_code == 400 and "no fund &#39;NOPE&#39;" in unknown.text


def test_an_empty_ledger_is_said_plainly(client, people):
    response = _signed_in(client, people, Role.BUDGET_HOLDER).get("/reports/")
    assert response.status_code == 200
    assert "Nothing has been posted to the ledger yet." in response.text


def test_the_budget_page_offers_the_download_to_those_who_may_have_it(client, people, ledger_world):
    holder = _signed_in(client, people, Role.BUDGET_HOLDER).get("/budget")
    assert 'href="/reports/budget.xlsx"' in holder.text
    approver = _signed_in(client, people, Role.APPROVER).get("/budget")  # reads the budget, not the reports
    assert approver.status_code == 200 and 'href="/reports/budget.xlsx"' not in approver.text
