"""An auditor and an administrator in a real browser. The auditor reads the ledger check, the trial
balance, an account's history page by page and the audit log filtered by record, user and days, then sees
the first broken entry once a posted entry is edited behind the ledger's back. The administrator creates a
user, changes her roles, sets her password, gives and revokes a token, disables her; adds a provider with
a licence, another licence, an employer, and verifies it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.core.db import engine, today
from app.core.roles import Role
from app.ledger import append_only, dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from tests.e2e.browser import sign_in
from tests.support import SYSTEM, run

LOADS = 60  # a posting each on the budget's accounts: more than one page (50) of an account's history


async def _ledger() -> None:
    await dimensions.create(SYSTEM, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(SYSTEM, "programme", "CHILDCARE", "Childcare", "EUR")
    day = dt.date(2026, 1, 1)
    loads = [
        Operation(Kind.BUDGET_LOAD, Target("ESF", "CHILDCARE"), 100_000 + n, f"load-{n}", day, f"Load {n}")
        for n in range(LOADS)
    ]
    await ledger.apply(SYSTEM, loads)


async def _tamper() -> None:
    await append_only.uninstall(engine())
    await engine().run_ddl("UPDATE ledger_posting SET amount = amount + 1 WHERE id = 1")
    await append_only.install(engine())


def test_auditor_reads_the_ledger_and_the_audit_log(journey, people):
    run(_ledger())
    caseworker = people[Role.CASEWORKER]
    people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={"region": "North"})
    auditor = journey(Role.AUDITOR)
    page = auditor.open("/ledger")
    text = auditor.text()
    assert "The ledger verifies." in text and "Debits equal credits in every currency." in text
    total = Decimal(sum(100_000 + n for n in range(LOADS))) / 100
    assert f"€{total:,.2f}" in text  # the loads, 1,000.00 + n cents each
    auditor.check()

    page.get_by_role("link", name="Accounts and their history").click()
    auditor.check()
    page.locator("tr", has_text="ESF").first.get_by_role("link").click()
    assert page.locator("tbody tr").count() == 50
    assert "Load 0" in auditor.text()
    auditor.check()
    page.get_by_role("link", name="Later postings").click()
    assert page.locator("tbody tr").count() == LOADS - 50 and f"Load {LOADS - 1}" in auditor.text()

    page = auditor.open("/audit")
    page.get_by_label("User").fill(caseworker.email)
    page.get_by_label("From").fill(today().isoformat())
    page.get_by_label("To").fill(today().isoformat())
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "household.create" in rows.first.inner_text()
    auditor.check()
    page.get_by_label("From").fill((today() + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Filter").click()
    assert "No events." in auditor.text()

    run(_tamper())
    auditor.open("/ledger")
    alert = page.locator("[role=alert]").inner_text()
    assert "The ledger does not verify." in alert and "je_" in alert
    auditor.check()


def test_admin_manages_a_user_and_the_organisations(journey, new_page, people):
    admin = journey(Role.ADMIN)
    page = admin.open("/admin/users")
    admin.check()
    page.get_by_label("E-mail").fill("nadia@example.org")
    page.get_by_label("Name", exact=True).fill("Nadia Rahman")
    page.get_by_label("caseworker").check()
    page.get_by_role("button", name="Create the user").click()
    assert "The user is created." in admin.text()
    admin.check()

    form = page.locator("form", has=page.get_by_role("button", name="Change the roles"))
    form.get_by_label("caseworker").uncheck()
    form.get_by_label("auditor").check()
    page.get_by_role("button", name="Change the roles").click()
    assert "The roles are changed." in admin.text() and "auditor" in admin.text()
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set the password").click()
    assert page.locator("[role=alert]").count() == 1  # too weak: said in words, nothing changed
    page.get_by_label("New password").fill("a long enough passphrase")
    page.get_by_role("button", name="Set the password").click()
    assert "The password is set" in admin.text()
    nadia = new_page()
    sign_in(nadia, "nadia@example.org", "a long enough passphrase")
    assert nadia.get_by_role("heading", name="Audit log").is_visible()

    page.get_by_label("Name of a new token").fill("nightly export")
    page.get_by_role("button", name="Create a token").click()
    assert page.locator("code.secret").inner_text().startswith("grt_")
    page.locator("tr", has_text="nightly export").get_by_role("button", name="Revoke").click()
    assert "The token is revoked." in admin.text()
    page.get_by_role("button", name="Disable the user").click()
    assert "The user is disabled" in admin.text()
    assert nadia.goto("/audit").url.endswith("/login?next=/audit")

    page = admin.open("/admin/organisations")
    admin.check()
    add = page.locator("form", has=page.get_by_role("button", name="Add the provider"))
    add.get_by_label("Name").fill("Rainbow Nursery")
    add.get_by_label("Licence number").fill("CC-77")
    add.get_by_label("Licence valid from").fill("2026-01-01")
    add.get_by_label("Licence valid until").fill("2026-06-30")
    page.get_by_role("button", name="Add the provider").click()
    row = page.locator("tr", has_text="Rainbow Nursery")
    assert "CC-77" in row.inner_text()
    row.get_by_label("Number").fill("CC-78")
    row.get_by_label("From").fill("2026-07-01")
    row.get_by_label("Until").fill("2027-06-30")
    row.get_by_role("button", name="Add").click()
    assert (
        "The licence is added." in admin.text()
        and "CC-78" in page.locator("tr", has_text="Rainbow").inner_text()
    )
    employer = page.locator("form", has=page.get_by_role("button", name="Add the employer"))
    employer.get_by_label("Name").fill("Harbour Foods")
    employer.get_by_label("Registration number").fill("REG-9")
    page.get_by_role("button", name="Add the employer").click()
    page.get_by_role("button", name="Verify Harbour Foods").click()
    assert "The employer is verified" in admin.text()
    assert "verified on" in page.locator("tr", has_text="Harbour Foods").inner_text()
    admin.check()
