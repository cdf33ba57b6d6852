"""A caseworker in a real browser: finds a participant by part of her name, sees her household and child,
decides childcare from a form built from the rule file, reads why, issues the voucher, prints it (the
child's first name only) and revokes it with a reason; records a placement and signs its wage-subsidy
agreement, refused in words while the employer is not verified."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from app.core.roles import Role
from app.ledger import dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry import households, organisations, participants
from app.registry.organisations import LicenceView
from app.registry.personal import ChildPersonal, ParticipantPersonal
from tests.support import PERSON_EXAMPLE, SYSTEM, run


async def _budget(programme: str) -> None:
    if not await dimensions.list_all("fund"):
        await dimensions.create(SYSTEM, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(SYSTEM, "programme", programme, programme.title(), "EUR")
    load = Operation(
        Kind.BUDGET_LOAD, Target("ESF", programme), 10_000_000, f"load {programme}", dt.date(2026, 1, 1)
    )
    await ledger.apply_one(SYSTEM, load)


async def _family() -> str:
    household = await households.create_household(SYSTEM, "North")
    person = msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal)
    registered = await participants.register(SYSTEM, person, household.id)
    child = ChildPersonal(given_name="Ada", family_name="Quillfeather", date_of_birth=dt.date(2024, 5, 10))
    await households.add_child(SYSTEM, household.id, child)
    return registered.id


def test_caseworker_finds_decides_issues_prints_and_revokes(journey, people):
    run(_budget("CHILDCARE"))
    run(_family())
    licence = LicenceView("CC-1", dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    run(organisations.add_licence(SYSTEM, people.provider_org, licence))
    caseworker = journey(Role.CASEWORKER)
    page = caseworker.open("/participants")
    page.get_by_label("Name or participant id").fill("quillf")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Zephyrine Quillfeather").click()
    text = caseworker.text()
    assert "Ada Quillfeather" in text and "10 May 2024" in text
    caseworker.check()

    page.get_by_role("link", name="Decide: Childcare voucher").click()
    caseworker.check()
    parent = page.locator("fieldset", has_text="· parent")
    child = page.locator("fieldset", has_text="· child")
    assert parent.get_by_label("Birth date").input_value() == "1990-04-17"  # from the registry
    page.get_by_label("Decision date").fill("2026-03-02")
    parent.get_by_label("Activity", exact=True).select_option("training")
    parent.get_by_label("Weekly activity hours").fill("20")
    parent.get_by_label("Activity start").fill("2026-01-12")
    parent.get_by_label("Monthly income").fill("abc")
    child.get_by_label("Weekly care hours").fill("32")
    page.get_by_role("button", name="Decide").click()
    assert "monthly_income" in page.locator("[role=alert]").first.inner_text()  # refused, field named
    page.locator("fieldset", has_text="· parent").get_by_label("Monthly income").fill("1500.00")
    page.get_by_role("button", name="Decide").click()

    assert page.get_by_role("heading", name="Childcare voucher: eligible").is_visible()
    text = caseworker.text()
    assert "Met: Every parent trains or works enough hours" in text
    assert "Ada Quillfeather: covered" in text and "€234.00" in text
    caseworker.check()
    page.get_by_label("Fund").select_option("ESF")
    assert page.get_by_label("Valid until").input_value() == "2026-05-24"
    page.get_by_label("Provider (optional").select_option(label="Own Provider")
    page.get_by_role("button", name="Issue the voucher").click()

    text = caseworker.text()
    assert "The voucher is issued" in text and "€234.00 a week" in text and "€2,808.00" in text
    caseworker.check()
    page.get_by_role("link", name="Printable voucher").click()
    printed = caseworker.text()
    assert re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", printed), printed
    assert "Ada" in printed and "Quillfeather" not in printed and "Zephyrine" not in printed
    assert "€234.00 a week" in printed and "2 March 2026 \u2013 24 May 2026" in printed
    caseworker.check()
    page.go_back()
    page.get_by_label("Why the voucher is revoked").fill("The family moved out of the area.")
    page.get_by_role("button", name="Revoke the voucher").click()
    text = caseworker.text()
    assert "The voucher is revoked" in text and "The family moved out of the area." in text
    assert page.get_by_role("button", name="Revoke the voucher").count() == 0


def test_caseworker_records_a_placement_and_signs_its_agreement(journey, people):
    run(_budget("WAGE-SUBSIDY"))
    participant = run(_family())
    caseworker = journey(Role.CASEWORKER)
    page = caseworker.open(f"/participants/{participant}")
    page.get_by_role("link", name="Record a placement").click()
    caseworker.check()
    page.get_by_label("Employer").select_option(label="Own Employer (not verified)")
    page.get_by_label("Job").fill("Warehouse assistant")
    page.get_by_label("First day of work").fill("2026-02-02")
    page.get_by_label("Weekly hours").fill("40")
    page.get_by_label("Gross monthly wage").fill("1800.00")
    page.get_by_role("button", name="Record the placement").click()

    page.get_by_label("Date of the agreement").fill("2026-01-28")
    page.get_by_label("The employer signed the labour-law declaration").check()
    page.get_by_role("button", name="Decide and sign").click()
    refusal = page.locator("[role=alert]").first.inner_text()
    assert "register of employers" in refusal  # the rule's reason, in words
    caseworker.check()

    run(organisations.verify_employer(SYSTEM, people.employer_org))
    page.get_by_label("Date of the agreement").fill("2026-01-28")
    page.get_by_label("The employer signed the labour-law declaration").check()
    page.get_by_role("button", name="Decide and sign").click()
    text = caseworker.text()
    assert "The agreement is signed" in text and "February 2026" in text and "€1,000.00" in text
    caseworker.check()
