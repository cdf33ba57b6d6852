"""Reconciliation in a real browser: a finance officer finds the returned payment in the exception queue,
resolves it as re-issued (it waits for a second person), an approver approves it on the exception page,
the finance officer runs reconciliation, and an auditor reads the checks, all green, with no forms."""

from __future__ import annotations

import pytest

from app.core.roles import Role
from app.reconciliation import queries, service
from tests.disbursements.world import DEBTOR_IBAN, FINANCE
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, returned, statement_for
from tests.support import run


@pytest.fixture
def bank(monkeypatch):
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_NAME", "Grants Programme Office")
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_IBAN", DEBTOR_IBAN)
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_BIC", "COBADEFFXXX")
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "1000000:2")


def test_a_return_resolved_by_two_people_then_an_auditor_reads_green_checks(journey, bank, tmp_path):
    _, payments = paid_run(tmp_path, payees=2)
    statement = statement_for(payments)
    statement.entries.append(returned(payments[0][0], payments[0][1]))
    run(service.import_statement(FINANCE, camt053(statement)))
    run(service.run(FINANCE))
    [exc] = run(queries.list_exceptions(FINANCE, kind="return"))["data"]

    officer = journey(Role.FINANCE_OFFICER)
    officer.open("/reconciliation/exceptions")
    officer.check()
    officer.page.get_by_role("link", name=exc["id"]).click()
    officer.check()
    assert "AC04" in officer.text()
    officer.page.get_by_label("Resolution", exact=True).select_option("reissued")
    officer.page.get_by_label("Reason").fill("The payee confirmed a new IBAN by phone")
    officer.page.get_by_role("button", name="Resolve").click()
    assert "Awaiting a second person" in officer.text()
    assert officer.page.get_by_role("button", name="Approve and carry out").count() == 0

    approver = journey(Role.APPROVER)
    approver.open(f"/reconciliation/exceptions/{exc['id']}")
    approver.page.get_by_role("button", name="Approve and carry out").click()
    assert "reissued" in approver.text() and "frozen at resolution" in approver.text()
    approver.check()

    officer.open("/reconciliation/")
    officer.page.get_by_role("button", name="Run reconciliation now").click()
    assert "all checks hold" in officer.text()

    auditor = journey(Role.AUDITOR)
    auditor.open("/reconciliation/")
    auditor.check()
    assert "all checks hold" in auditor.text()
    assert auditor.page.locator("[data-check='bank_balance']").inner_text().count("green") == 1
    assert auditor.page.get_by_role("button", name="Run reconciliation now").count() == 0
