"""The reports over HTTP and on the command line: who may download them, what they hold, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from click.testing import CliRunner

from app.cli import main
from app.core.money import format_minor
from app.core.roles import Role
from app.ledger.queries import budget_position
from tests.reports import world
from tests.support import run

R = "/api/v1/reports"
AS_OF = "2026-11-30"


@pytest.fixture
def ledger_world():
    run(world.build_ledger())
    run(world.build_caseload())


@pytest.mark.parametrize("role", [Role.BUDGET_HOLDER, Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN])
def test_readers_download_the_workbook(people, ledger_world, role):
    response = people.call(role, "GET", f"{R}/budget.xlsx", params={"as_of": AS_OF})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="budget-2026-11-30.xlsx"' in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Summary", "By month", "Pooled fund", "Participants", "Ledger", "Notes"]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.APPROVER, Role.PROVIDER, Role.EMPLOYER])
@pytest.mark.parametrize("path", ["/budget.xlsx", "/csv/summary", "/iati.xml"])
def test_other_roles_are_refused(people, role, path):
    response = people.call(role, "GET", f"{R}{path}", params={"as_of": AS_OF})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_anonymous_callers_are_refused(client):
    assert client.get(f"{R}/budget.xlsx").status_code == 401


def test_the_summary_csv_equals_the_ledgers_budget_position(people, ledger_world):
    response = people.call(Role.AUDITOR, "GET", f"{R}/csv/summary", params={"as_of": AS_OF})
    assert response.status_code == 200, response.text
    rows = {(r["fund"], r["programme"]): r for r in csv.DictReader(io.StringIO(response.text))}
    for p in run(budget_position(dt.date(2026, 11, 30))):
        row = rows[(p.fund, p.programme)]
        for column, figure in (
            ("budget_revised", p.budget),
            ("committed", p.committed),
            ("expended", p.expended),
            ("paid", p.paid),
            ("available", p.available),
            ("recoveries_pending", p.recoveries_pending),
        ):
            assert row[column] == format_minor(figure, p.currency), (p.fund, p.programme, column)


def test_the_iati_file_downloads(people, ledger_world):
    response = people.call(Role.AUDITOR, "GET", f"{R}/iati.xml", params={"as_of": AS_OF, "fund": "UNDP"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert b"<iati-identifier>XM-EXAMPLE-GRANTS-UNDP-CASH</iati-identifier>" in response.content


def test_the_participants_csv_shows_no_small_count(people, ledger_world):
    response = people.call(Role.BUDGET_HOLDER, "GET", f"{R}/csv/participants", params={"as_of": AS_OF})
    cells = [
        v
        for r in csv.DictReader(io.StringIO(response.text))
        for k, v in r.items()
        if k not in ("programme", "measure", "gender")
    ]
    assert "<5" in cells
    assert all(v in ("<5", "x") or int(v) == 0 or int(v) >= 5 for v in cells)


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"fund": "NOPE"}, "unknown_fund", "fund"),
        ({"as_of": "2026-07-31"}, "as_of_before_first_posting", "as_of"),
        ({"k": "1"}, "k_too_small", "k"),
    ],
)
def test_bad_input_is_a_clear_400(people, ledger_world, params, code, param):
    response = people.call(Role.BUDGET_HOLDER, "GET", f"{R}/budget.xlsx", params={"as_of": AS_OF, **params})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)


def test_a_malformed_date_and_an_unknown_sheet_are_refused(people, ledger_world):
    bad_date = people.call(Role.BUDGET_HOLDER, "GET", f"{R}/budget.xlsx", params={"as_of": "30/11/2026"})
    assert bad_date.status_code == 400
    unknown = people.call(Role.BUDGET_HOLDER, "GET", f"{R}/csv/balance_sheet")
    assert unknown.status_code == 404
    assert "summary" in unknown.json()["error"]["message"]


def test_the_command_line_writes_the_workbook_and_the_csv_files(ledger_world, tmp_path):
    out = tmp_path / "budget.xlsx"
    result = CliRunner().invoke(
        main, ["reports", "budget", "--out", str(out), "--as-of", AS_OF, "--fund", "ESF"]
    )
    assert result.exit_code == 0, result.output
    summary = openpyxl.load_workbook(out)["Summary"]
    assert {summary[f"A{r}"].value for r in range(2, 4)} == {"ESF"}
    result = CliRunner().invoke(main, ["reports", "csv", "--out", str(tmp_path / "csv"), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "by_month.csv", "ledger.csv", "participants.csv", "pooled_fund.csv", "summary.csv",
    ]  # fmt: skip


def test_the_command_line_names_bad_input(ledger_world, tmp_path):
    result = CliRunner().invoke(
        main, ["reports", "budget", "--out", str(tmp_path / "x.xlsx"), "--fund", "NOPE"]
    )
    assert result.exit_code == 1
    assert "no fund 'NOPE'" in result.output and "[unknown_fund]" in result.output
    assert not (tmp_path / "x.xlsx").exists()
