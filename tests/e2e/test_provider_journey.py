"""A childcare provider's day in a real browser: the start page's counts, a claim typed in the form with
a line added, each line's outcome and reason, a CSV with a bad line refused with the line named, the
claims list filtered, the statement downloaded; and the same pages in French."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.roles import Role
from tests.vouchers.test_claims import _voucher

HEADER = "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"


@pytest.fixture
def frozen_today(monkeypatch):
    # The live server runs in this process, so the page module's clock can be set like any other.
    monkeypatch.setattr("app.web.pages.provider.today", lambda: dt.date(2026, 5, 10))


def _fill_line(page, index: int, code: str, born: str, start: str, end: str, days: str, amount: str) -> None:
    line = page.locator("fieldset").filter(has_text=f"Line {index}")
    line.get_by_label("Voucher code").fill(code)
    line.get_by_label("Child's date of birth").fill(born)
    line.get_by_label("First day of service").fill(start)
    line.get_by_label("Last day of service").fill(end)
    line.get_by_label("Days attended").fill(days)
    line.get_by_label("Amount (EUR)").fill(amount)


def test_provider_claims_by_form_and_csv_and_downloads_a_statement(journey, people, frozen_today, tmp_path):
    voucher = _voucher(people)
    provider = journey(Role.PROVIDER)
    assert provider.page.get_by_role("heading", name="Your claims").is_visible()
    provider.check()

    provider.page.get_by_role("link", name="Submit a claim").first.click()
    provider.check()
    provider.page.get_by_label("First day of the period").fill("2026-03-01")
    provider.page.get_by_label("Last day of the period").fill("2026-04-09")
    _fill_line(provider.page, 1, voucher["code"], "2024-05-10", "2026-03-02", "2026-03-27", "20", "1040.00")
    _fill_line(provider.page, 2, voucher["code"], "2024-05-11", "2026-04-06", "2026-04-09", "4", "100.00")
    _fill_line(provider.page, 3, voucher["code"], "2024-05-10", "2026-03-30", "2026-04-03", "5", "300.00")
    provider.page.get_by_role("button", name="Add a line").click()
    assert provider.page.locator("fieldset").filter(has_text="Line 4").is_visible()
    assert provider.page.get_by_label("Voucher code").first.input_value() == voucher["code"]  # kept
    provider.page.get_by_role("button", name="Submit the claim").click()

    text = provider.text()
    assert "Your claim was received" in text
    rows = provider.page.locator("table tbody tr")
    assert "accepted" in rows.nth(0).inner_text() and "€1,040.00" in rows.nth(0).inner_text()
    assert "rejected" in rows.nth(1).inner_text()
    assert "the date of birth does not match the voucher's holder" in rows.nth(1).inner_text()
    assert "reduced" in rows.nth(2).inner_text() and "€260.00" in rows.nth(2).inner_text()
    assert "capped at the voucher's rate for the attendance" in rows.nth(2).inner_text()
    assert "€1,300.00" in text and "waiting for approval" in text
    provider.check()

    provider.open("/provider/claims/upload")
    provider.page.get_by_label("First day of the period").fill("2026-04-01")
    provider.page.get_by_label("Last day of the period").fill("2026-04-30")
    bad = tmp_path / "april.csv"
    bad.write_text(
        HEADER
        + f"{voucher['code']},2024-05-10,2026-04-13,2026-04-17,5,260.00\n{voucher['code']},10/05/2024,2026-04-20,2026-04-24,5,260.00\n"
    )
    provider.page.get_by_label("CSV file").set_input_files(str(bad))
    provider.page.get_by_role("button", name="Upload and submit").click()
    alert = provider.page.get_by_role("alert").inner_text()
    assert "nothing was recorded" in alert
    assert "Line 3, child's date of birth: write the date as 2026-03-31" in alert
    provider.check()
    good = tmp_path / "april-fixed.csv"
    good.write_text(HEADER + f"{voucher['code']},2024-05-10,2026-04-13,2026-04-17,5,260.00\n")
    provider.page.get_by_label("First day of the period").fill("2026-04-01")
    provider.page.get_by_label("Last day of the period").fill("2026-04-30")
    provider.page.get_by_label("CSV file").set_input_files(str(good))
    provider.page.get_by_role("button", name="Upload and submit").click()
    assert "Your claim was received" in provider.text() and "accepted" in provider.text()

    provider.open("/provider/claims")
    provider.page.get_by_label("Status").select_option("submitted")
    provider.page.get_by_role("button", name="Show").click()
    assert provider.page.locator("table tbody tr").count() == 2
    provider.check()
    provider.page.get_by_label("Status").select_option("rejected")
    provider.page.get_by_role("button", name="Show").click()
    assert "No claims yet." in provider.text()

    provider.open("/")
    figures = provider.page.locator(".card", has_text="Your claims").inner_text()
    assert "Claims waiting for approval\n2" in figures

    provider.open("/provider/statement")
    provider.check()
    provider.page.get_by_label("From").fill("2026-03-01")
    provider.page.get_by_label("To").fill("2026-04-30")
    with provider.page.expect_download() as download:
        provider.page.get_by_role("button", name="Download").click()
    statement = tmp_path / "statement.csv"
    download.value.save_as(statement)
    lines = statement.read_text().splitlines()
    assert lines[0].startswith("claim,submitted_at,claim_status,line")
    assert len(lines) == 1 + 4 and "child_mismatch" in statement.read_text()


def test_provider_pages_in_french(journey, people, frozen_today):
    voucher = _voucher(people)
    provider = journey(Role.PROVIDER, locale="fr-FR")
    provider.open("/provider/claims/new")
    assert provider.page.get_by_role("heading", name="Envoyer une demande").is_visible()
    provider.page.get_by_label("Premier jour de la période").fill("2026-03-01")
    provider.page.get_by_label("Dernier jour de la période").fill("2026-03-31")
    line = provider.page.locator("fieldset").filter(has_text="Ligne 1")
    line.get_by_label("Code du bon").fill(voucher["code"])
    line.get_by_label("Date de naissance de l'enfant").fill("2024-05-10")
    line.get_by_label("Premier jour de service").fill("2026-03-02")
    line.get_by_label("Dernier jour de service").fill("2026-03-27")
    line.get_by_label("Jours de présence").fill("20")
    line.get_by_label("Montant (EUR)").fill("1040.00")
    provider.page.get_by_role("button", name="Envoyer la demande").click()
    text = provider.text()
    assert "Votre demande a été reçue" in text
    assert "1\u202f040,00\xa0€" in text and "acceptée" in text and "2 mars 2026" in text
    provider.check()
