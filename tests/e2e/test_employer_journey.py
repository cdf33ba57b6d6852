"""An employer's month in a real browser: the placement and its payment schedule, the payroll claim typed
in the form (one line already there for the agreed placement), each line's outcome, a payroll CSV with a
bad line refused with the line named, the claims list, the balance with an overpayment and its reason."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.roles import Role
from tests.wage_subsidies.test_journey import P, W, _ok, agreed_placement, set_up_budget

HEADER = "placement,kind,gross_wage_paid,hours_worked,still_employed,end_date\n"


@pytest.fixture
def world(people, monkeypatch):
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))
    monkeypatch.setattr("app.web.pages.employer.today", lambda: dt.date(2026, 10, 5))
    set_up_budget(people)
    _ok(people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify"))
    return agreed_placement(people, "2026-01-12", "1800.00")


def test_employer_claims_a_month_and_follows_the_balance(journey, people, world, tmp_path):
    employer = journey(Role.EMPLOYER)
    figures = employer.page.locator(".card", has_text="Wage subsidies").inner_text()
    assert "Claims waiting for approval\n0" in figures
    employer.check()

    employer.page.get_by_role("link", name="Wage subsidies").click()
    employer.page.get_by_role("link", name="Placements and agreements").click()
    employer.page.get_by_role("link", name=world["id"]).click()
    assert employer.page.get_by_role("heading", name="Payment schedule").is_visible()
    schedule = employer.page.locator("table").inner_text()
    assert "January 2026" in schedule and "€1,000.00" in schedule
    employer.check()

    employer.open("/employer/claims/new")
    employer.page.get_by_label("Month claimed").fill("2026-03")
    line = employer.page.locator("fieldset").filter(has_text="Line 1")
    assert line.get_by_label("Placement").input_value() == world["id"]
    line.get_by_label("Gross wage paid (EUR)").fill("1800.00")
    line.get_by_label("Hours worked").fill("160")
    employer.page.get_by_role("button", name="Add a line").click()
    second = employer.page.locator("fieldset").filter(has_text="Line 2")
    second.get_by_label("Placement").select_option(world["id"])
    second.get_by_label("Gross wage paid (EUR)").fill("1800.00")
    second.get_by_label("Hours worked").fill("160")
    employer.check()
    employer.page.get_by_role("button", name="Submit the claim").click()
    rows = employer.page.locator("table tbody tr")
    assert "accepted" in rows.nth(0).inner_text() and "€1,000.00" in rows.nth(0).inner_text()
    assert "rejected" in rows.nth(1).inner_text() and "already claimed" in rows.nth(1).inner_text()
    assert "March 2026" in employer.text()
    employer.check()

    employer.open("/employer/claims/upload")
    employer.page.get_by_label("Month claimed").fill("2026-04")
    bad = tmp_path / "april.csv"
    bad.write_text(HEADER + f"{world['id']},wage,1800.00,160,yes,\n{world['id']},holiday,1800.00,160,yes,\n")
    employer.page.get_by_label("CSV file").set_input_files(str(bad))
    employer.page.get_by_role("button", name="Upload and submit").click()
    assert "Line 3, kind: write wage or bonus" in employer.page.get_by_role("alert").inner_text()
    employer.check()
    good = tmp_path / "april-fixed.csv"
    good.write_text(HEADER + f"{world['id']},wage,1800.00,160,yes,\n")
    employer.page.get_by_label("Month claimed").fill("2026-04")
    employer.page.get_by_label("CSV file").set_input_files(str(good))
    employer.page.get_by_role("button", name="Upload and submit").click()
    april_id = employer.page.url.split("/employer/claims/")[1].split("?")[0]
    assert "accepted" in employer.text()

    _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{W}/{april_id}/approve", json={}))
    ended = {"end_date": "2026-03-31", "reason": "resigned"}
    _ok(people.call(Role.EMPLOYER, "POST", f"{P}/{world['id']}/separation", json=ended))

    employer.open("/employer/claims")
    employer.page.get_by_label("Status").select_option("approved")
    employer.page.get_by_role("button", name="Show").click()
    assert april_id in employer.text()
    employer.check()

    employer.open("/employer/balance")
    text = employer.text()
    assert "Overpayments" in text and "€1,000.00" in text
    overpayment = people.call(Role.EMPLOYER, "GET", f"/api/v1/employers/{people.employer_org}/balance").json()
    assert overpayment["overpayments"][0]["reason"].endswith("2026-03-31")  # the page says it in words:
    assert "subsidy approved for April 2026 after the employment ended on 31 March 2026" in text
    employer.check()


def test_employer_pages_in_french(journey, people, world):
    employer = journey(Role.EMPLOYER, locale="fr-FR")
    employer.open(f"/employer/placements/{world['id']}")
    assert employer.page.get_by_role("heading", name="Échéancier des paiements").is_visible()
    assert "janvier 2026" in employer.text() and "1\u202f000,00\xa0€" in employer.text()
    employer.check()
