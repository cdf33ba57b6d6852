"""Paying approved claims in a real browser. A finance officer prepares a run and sees the payee left out
and why; two approvers approve it (the amount is above the one-approver band); a third person releases it
and downloads the SEPA file; the bank's status report rejects one payment, which the problems page shows
with its reason until a follow-up run pays it again. A provider changes its bank details, and is not paid
until a second person confirms them; it sees its own payments."""

from __future__ import annotations

import pytest

from app.core.roles import Role
from app.disbursements import details
from tests.disbursements.world import (
    FINANCE,
    PROGRAMME,
    approved_claims,
    confirmed_bank,
    iban,
    pain002,
    providers,
)
from tests.support import run


@pytest.fixture(autouse=True)
def payment_settings(monkeypatch):
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_NAME", "Grants Programme Office")
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_IBAN", "DE89370400440532013000")
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "100000:2")  # above 1,000.00: two approvers


def _prepare(finance, pay_date: str) -> str:
    finance.open("/payments")
    finance.page.get_by_label("Programme").select_option(PROGRAMME)
    finance.page.get_by_label("Pay date").fill(pay_date)
    finance.page.get_by_role("button", name="Prepare the run").click()
    assert "The run was prepared" in finance.text()
    return finance.page.url.split("?")[0].rsplit("/", 1)[1]


def test_finance_approvers_and_a_releaser_pay_by_sepa_file(journey, tmp_path):
    payees = run(providers(3))
    run(approved_claims(payees, 2, 40_000))
    for payee in payees[:2]:
        run(confirmed_bank(payee))
    run(details.propose(FINANCE, payees[2], "sepa", iban=iban(), holder="New Holder"))

    finance = journey(Role.FINANCE_OFFICER, key="prep")
    finance.page.get_by_role("link", name="Payment runs").first.click()
    finance.check()
    run_id = _prepare(finance, "2030-01-15")
    text = finance.text()
    assert "€1,600.00" in text and "0 of 2 needed for this amount" in text
    left_out = finance.page.locator("table").nth(0).inner_text()
    assert payees[2] in left_out and "waits for a second person's confirmation" in left_out
    assert finance.page.get_by_role("button", name="Approve the run").count() == 0
    finance.check()

    for key in ("appr1", "appr2"):
        approver = journey(Role.APPROVER, key=key)
        approver.open(f"/payments/runs/{run_id}")
        approver.page.get_by_role("button", name="Approve the run").click()
        assert "Your approval was recorded" in approver.text()
        approver.check()
    assert "approved, waiting for release" in approver.text()

    releaser = journey(Role.FINANCE_OFFICER, key="rel")
    releaser.open("/")
    figures = releaser.page.locator(".card", has_text="Payment runs").inner_text()
    assert "Runs waiting for release\n1" in figures
    releaser.open(f"/payments/runs/{run_id}")
    releaser.page.get_by_role("button", name="Release the payments").click()
    assert "The run was released" in releaser.text()
    releaser.check()
    with releaser.page.expect_download() as download:
        releaser.page.get_by_role("link", name="Download file 1").click()
    bank_file = tmp_path / "file.xml"
    download.value.save_as(bank_file)
    assert download.value.suggested_filename == f"{run_id}-001.xml"
    ids = sorted(part.split("<")[0] for part in bank_file.read_text().split("<EndToEndId>")[1:])
    assert len(ids) == 2

    report = tmp_path / "pain002.xml"
    report.write_bytes(pain002(f"{run_id}-001", group="ACSC", transactions=((ids[0], "RJCT", "AC04"),)))
    finance.open("/payments/status-reports")
    finance.check()
    finance.page.get_by_label("Status report (XML)").set_input_files(str(report))
    finance.page.get_by_role("button", name="Import the report").click()
    assert f"Report imported for file {run_id}-001" in finance.text() and ids[0] in finance.text()
    finance.check()
    finance.page.get_by_role("link", name="See failed and rejected payments").click()
    row = finance.page.locator("tbody tr", has_text=ids[0]).inner_text()
    assert "rejected by the bank (AC04): Account closed" in row and "not yet: the next run pays it" in row
    finance.check()

    _prepare(releaser, "2030-01-20")
    assert f"follows {ids[0]}" in releaser.text()
    releaser.open("/payments/problems")
    row = releaser.page.locator("tbody tr", has_text=ids[0]).inner_text()
    assert "draft" in row and "not yet" not in row  # the follow-up payment, in the new run


def test_a_provider_changes_its_bank_details_and_a_second_person_confirms(journey, people):
    provider = journey(Role.PROVIDER)
    provider.page.get_by_role("link", name="Your payments").first.click()
    provider.check()
    provider.page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")
    provider.page.get_by_label("Account holder").fill("Own Provider Ltd")
    provider.page.get_by_role("button", name="Save the new details").click()
    assert "the IBAN is not valid" in provider.page.get_by_role("alert").inner_text()
    provider.check()
    provider.page.get_by_label("IBAN").fill(iban())
    provider.page.get_by_role("button", name="Save the new details").click()
    assert "wait for a second person to confirm them" in provider.text()
    assert "until then nothing is paid to you" in provider.text()

    finance = journey(Role.FINANCE_OFFICER)
    finance.page.get_by_role("link", name="Payment details to confirm").first.click()
    row = finance.page.locator("tbody tr", has_text=people.provider_org)
    assert "DE" in row.inner_text()
    finance.check()
    row.get_by_role("button", name="Confirm").click()
    assert "The payment details were confirmed" in finance.text()

    provider.page.reload()
    assert "Can be paid now\nyes" in provider.text()
    assert "No payments yet." in provider.text()
