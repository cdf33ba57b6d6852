"""Employers' pages over HTTP: placements with their schedule, the payroll claim by form and by CSV with
each line's outcome in words, the balance with overpayments, the statement; only employers reach them."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from app.core.roles import Role
from tests.support import post_form
from tests.wage_subsidies.test_journey import P, W, _ok, agreed_placement, set_up_budget

PASSWORD = "correct horse battery"
HEADER = "placement,kind,gross_wage_paid,hours_worked,still_employed,end_date\n"


@pytest.fixture
def world(people, monkeypatch):
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))
    monkeypatch.setattr("app.web.pages.employer.today", lambda: dt.date(2026, 10, 5))
    set_up_budget(people)
    _ok(people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify"))
    return agreed_placement(people, "2026-01-12", "1800.00")


def _sign_in(client, people, role=Role.EMPLOYER):
    person = people.make(role)
    assert post_form(client, "/login", {"email": person.email, "password": PASSWORD}).status_code == 200


def _form(month: str, *lines: dict) -> dict:
    fields: dict = {"month": month}
    for name in ("placement", "kind", "gross_wage_paid", "hours_worked", "still_employed", "end_date"):
        fields[name] = [line.get(name, "") for line in lines]
    return fields


def test_only_employers_reach_the_employer_pages(client, people):
    _sign_in(client, people, Role.PROVIDER)
    for path in (
        "/employer",
        "/employer/placements",
        "/employer/claims",
        "/employer/claims/new",
        "/employer/balance",
    ):
        assert client.get(path).status_code == 403, path
    assert (
        post_form(client, "/employer/claims/new", _form("2026-03", {"placement": "plc_x"})).status_code == 403
    )


def test_placements_show_the_agreement_and_its_schedule(client, people, world):
    _sign_in(client, people)
    listing = client.get("/employer/placements")
    assert (
        world["id"] in listing.text
        and "Warehouse assistant" in listing.text
        and "12 January 2026" in listing.text
    )
    detail = client.get(f"/employer/placements/{world['id']}")
    assert "Payment schedule" in detail.text and "February 2026" in detail.text
    assert "€1,000.00" in detail.text  # a whole month's subsidy


def test_payroll_claim_form_shows_each_line_outcome(client, people, world):
    _sign_in(client, people)
    new = client.get("/employer/claims/new")
    assert f'<option value="{world["id"]}" selected>' in new.text  # a line for each agreed placement
    line = {
        "placement": world["id"],
        "kind": "wage",
        "gross_wage_paid": "1800.00",
        "hours_worked": "160",
        "still_employed": "yes",
    }
    sent = post_form(client, "/employer/claims/new", _form("2026-03", line, line))
    assert sent.status_code == 200, sent.text
    assert "Your claim was received" in sent.text and "March 2026" in sent.text
    assert "accepted" in sent.text and "€1,000.00" in sent.text
    assert "rejected" in sent.text and "already claimed" in sent.text
    assert "waiting for approval" in client.get("/employer/claims").text
    assert "Claims waiting for approval" in client.get("/employer").text


def test_bad_payroll_lines_and_month_are_named(client, people, world):
    _sign_in(client, people)
    bad = {
        "placement": world["id"],
        "kind": "wage",
        "gross_wage_paid": "18OO",
        "hours_worked": "lots",
        "still_employed": "yes",
    }
    refused = post_form(client, "/employer/claims/new", _form("March", bad))
    assert refused.status_code == 400
    assert "month: write the month as 2026-03" in refused.text
    assert "Line 1, gross wage paid: write the amount as a number" in refused.text
    assert "Line 1, hours worked: write the hours worked as a number" in refused.text
    assert "No claims yet." in client.get("/employer/claims").text


def test_payroll_csv_upload_reports_lines_then_accepts(client, people, world):
    _sign_in(client, people)
    bad = HEADER + f"{world['id']},wage,1800.00,160,maybe,\n"
    refused = post_form(
        client,
        "/employer/claims/upload",
        {"month": "2026-04"},
        files={"file": ("p.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 400 and "Line 2, still employed: write yes or no" in refused.text
    good = HEADER + f"{world['id']},wage,1800.00,160,yes,\n"
    sent = post_form(
        client,
        "/employer/claims/upload",
        {"month": "2026-04"},
        files={"file": ("p.csv", good.encode(), "text/csv")},
    )
    assert sent.status_code == 200 and "Your claim was received" in sent.text and "accepted" in sent.text


def test_balance_shows_overpayments_with_reasons(client, people, world):
    april = _ok(
        people.call(
            Role.EMPLOYER,
            "POST",
            W,
            json={
                "period": "2026-04",
                "lines": [{"placement": world["id"], "gross_wage": "1800.00", "hours_worked": 160}],
            },
        ),
        201,
    )
    _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{W}/{april['id']}/approve", json={}))
    _ok(
        people.call(
            Role.EMPLOYER,
            "POST",
            f"{P}/{world['id']}/separation",
            json={"end_date": "2026-03-31", "reason": "resigned"},
        )
    )
    _sign_in(client, people)
    page = client.get("/employer/balance")
    assert page.status_code == 200
    assert "Overpayments" in page.text and "€1,000.00" in page.text
    overpayment = people.call(
        Role.EMPLOYER, "GET", f"/api/v1/employers/{people.employer_org}/balance"
    ).json()["overpayments"][0]
    assert overpayment["reason"] == "subsidy approved for 2026-04 after the employment ended on 2026-03-31"
    assert "subsidy approved for April 2026 after the employment ended on 31 March 2026" in page.text
    assert "taken off what was owed, nothing to recover" in page.text  # its status: disallowed
    # issue 12: French pages say the service's reason and the status in French, not in English
    french = html.unescape(client.get("/employer/balance", headers={"Accept-Language": "fr"}).text)
    assert "aide approuvée pour avril 2026 après la fin de l'emploi le 31 mars 2026" in french
    assert "déduit de ce qui était dû, rien à recouvrer" in french
    assert "subsidy approved" not in french and "disallowed" not in french


def test_statement_download(client, people, world):
    _sign_in(client, people)
    line = {
        "placement": world["id"],
        "kind": "wage",
        "gross_wage_paid": "1800.00",
        "hours_worked": "160",
        "still_employed": "yes",
    }
    post_form(client, "/employer/claims/new", _form("2026-03", line))
    statement = client.get("/employer/statement.csv", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert statement.status_code == 200 and "accepted" in statement.text and world["id"] in statement.text


def test_an_end_reported_in_a_claim_is_said_in_the_pages_language(client, people, world):
    """Issue 12: the reason the service records ('reported in claim wcl_…') is said by the page, in French
    on a French page (seen failing before: shown in English)."""
    line = {"placement": world["id"], "gross_wage": "900.00", "hours_worked": 80}
    line |= {"still_employed": False, "end_date": "2026-04-15"}
    sent = _ok(people.call(Role.EMPLOYER, "POST", W, json={"period": "2026-04", "lines": [line]}), 201)
    _sign_in(client, people)
    english = client.get(f"/employer/placements/{world['id']}").text
    assert f"reported in claim {sent['id']}" in english and "15 April 2026" in english
    french = client.get(f"/employer/placements/{world['id']}", headers={"Accept-Language": "fr"}).text
    assert f"signalée dans la demande {sent['id']}" in french and "reported in claim" not in french
