"""The demo's approved, unpaid claims paid through the pages in a real browser, by the demo's people: the
finance officer prepares a run, approvers approve it (two above €2,000.00, one below), the second finance
officer releases it; the care homes, whose claim the second approver completes first, are left out (their
own new bank account waits for a second person). By SEPA: the bank file is downloaded and valid against the pain.001.001.09 XSD; the
bank's pain.002 rejects one payment, which reopens and a follow-up run pays. By Stripe Connect: the payees'
accounts are entered and confirmed by a second person, the release makes the transfers through the real
`stripe` SDK (the recording fake HTTP client, no network), and signed webhooks settle them. Throughout,
the budget position (page and ledger) counts as paid the settled money only.

What the demo leaves to pay (app/demo/story.py): the provider's late claim for a fourth child's month
before last (a €234.00-a-week voucher, a week's value for each week begun) and the third employer's
first month for its driver (€1,000.00, the subsidy's monthly cap). Already paid by the demo's own runs:
the provider's claim for three children that month (€198.00 + €234.00 + €126.00 a week) and the bakery's
months, €9,700.00 (€10,700.00 approved less the month paid for the counter assistant after she left,
being recovered).
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from lxml import etree

from app.core.db import today
from app.core.users import actor_for_email
from app.demo import DEMO_PASSWORD, LOGINS, demo_email, seed_demo
from app.demo.people import month_start
from app.demo.story import DEMO_DEBTOR
from app.disbursements import stripe_rail
from app.disbursements.stripe_fake import FakeStripe
from app.ledger import queries
from app.ledger.verify import verify
from app.wage_subsidies import wage_claims
from tests.disbursements.world import WEBHOOK_SECRET, pain002, signed_event
from tests.e2e.browser import check_page, sign_in
from tests.support import run

PROVIDER, DRIVER_EMPLOYER = "Little Steps Day Care", "Lakeside Logistics"
HOOK = "/api/v1/webhooks/stripe"


def _email(name: str) -> str:
    return demo_email(next(login for login in LOGINS if login.email == name))


def _weeks_begun(first: dt.date) -> int:
    """Weeks begun in the month starting `first`, counted in weekdays as the demo's claims count them."""
    last = month_start(first, -1) - dt.timedelta(days=1)
    weekdays = sum(1 for n in range((last - first).days + 1) if (first + dt.timedelta(n)).weekday() < 5)
    return -(-weekdays // 5)


def _euro(minor: int) -> str:
    return f"€{minor // 100:,}.{minor % 100:02d}"


@pytest.fixture
def demo(monkeypatch):
    for name, value in DEMO_DEBTOR.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "200000:2")  # above €2,000.00: two approvers
    run(seed_demo())
    weeks = _weeks_begun(month_start(today(), 2))
    provider = run(actor_for_email(_email("provider"))).organisation_public_id
    driver_employer = run(actor_for_email(_email("employer.3"))).organisation_public_id
    care_homes = run(actor_for_email(_email("employer.2")))
    waiting = run(wage_claims.list_claims(care_homes, "second_approval_due", 10, None))[0]
    return {
        "weeks": weeks,
        "provider": provider,
        "driver_employer": driver_employer,
        "care_homes": care_homes.organisation_public_id,
        "care_homes_claim": waiting[0]["id"],
        "late_claim": 23_400 * weeks,  # the fourth child's month
        "childcare_paid": (19_800 + 23_400 + 12_600) * weeks,  # the three children's month, paid
        "driver_claim": 100_000,
        "wage_paid": 970_000,
    }


def _signed_in(new_page, name: str):
    page = new_page()
    sign_in(page, _email(name), DEMO_PASSWORD)
    return page


def _prepare(finance, needed: int) -> str:
    finance.goto("/payments")
    check_page(finance)
    finance.get_by_label("Programme").select_option("")  # every programme
    finance.get_by_label("Pay date").fill(today().isoformat())
    finance.get_by_role("button", name="Prepare the run").click()
    text = finance.locator("main").inner_text()
    assert "The run was prepared" in text, text
    assert f"0 of {needed} needed for this amount" in text
    check_page(finance)
    return finance.url.split("?")[0].rsplit("/", 1)[1]


def _approve(new_page, run_id: str, approvers: tuple[str, ...]) -> None:
    for name in approvers:
        approver = _signed_in(new_page, name)
        approver.goto(f"/payments/runs/{run_id}")
        approver.get_by_role("button", name="Approve the run").click()
        assert "Your approval was recorded" in approver.locator("main").inner_text()
    assert "approved, waiting for release" in approver.locator("main").inner_text()


def _release(releaser, run_id: str) -> str:
    releaser.goto(f"/payments/runs/{run_id}")
    releaser.get_by_role("button", name="Release the payments").click()
    text = releaser.locator("main").inner_text()
    assert "The run was released" in text, text
    check_page(releaser)
    return text


def _payment_row(page, payee: str) -> str:
    return page.locator("tbody tr", has_text=payee).inner_text()


def _payment_id(page, payee: str) -> str:
    return page.locator("tbody tr", has_text=payee).locator("code").first.inner_text()


def _paid_on_the_budget_page(page) -> dict[str, str]:
    """The 'of which paid' column of the budget position page, by programme of the ESF fund."""
    page.goto("/budget")
    check_page(page)
    paid = {}
    for programme in ("CHILDCARE", "WAGE-SUBSIDY"):
        row = page.locator("tbody tr").filter(has_text="ESF-2026").filter(has_text=programme)
        paid[programme] = row.locator("td").nth(5).inner_text()
    return paid


def _paid_in_the_ledger() -> dict[str, int]:
    return {p.programme: p.paid for p in run(queries.budget_position(fund="ESF-2026"))}


def _expect_paid(page, childcare: int, wage: int) -> None:
    assert _paid_on_the_budget_page(page) == {"CHILDCARE": _euro(childcare), "WAGE-SUBSIDY": _euro(wage)}
    ledger = _paid_in_the_ledger()
    assert (ledger["CHILDCARE"], ledger["WAGE-SUBSIDY"]) == (childcare, wage)


def _download(releaser, tmp_path, name: str):
    with releaser.expect_download() as download:
        releaser.get_by_role("link", name="Download file 1").click()
    path = tmp_path / name
    download.value.save_as(path)
    return download.value.suggested_filename, etree.parse(str(path))


def _xsd() -> etree.XMLSchema:
    from pathlib import Path

    import sepaxml

    path = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def _import_report(finance, tmp_path, report: bytes, file_id: str) -> str:
    path = tmp_path / f"status-{file_id}.xml"
    path.write_bytes(report)
    finance.goto("/payments/status-reports")
    finance.get_by_label("Status report (XML)").set_input_files(str(path))
    finance.get_by_role("button", name="Import the report").click()
    text = finance.locator("main").inner_text()
    assert f"Report imported for file {file_id}" in text, text
    check_page(finance)
    return text


def test_the_demo_claims_are_paid_by_sepa_file_and_a_rejected_payment_by_a_follow_up(
    new_page, demo, tmp_path
):
    budget = _signed_in(new_page, "budget.holder")
    _expect_paid(budget, demo["childcare_paid"], demo["wage_paid"])

    second = _signed_in(new_page, "approver.2")  # completes the care homes' claim: payable, but...
    second.goto(f"/approvals/{demo['care_homes_claim']}")
    second.get_by_role("button", name="Approve the whole claim").click()
    assert "Your approval is recorded." in second.locator("main").inner_text()

    finance = _signed_in(new_page, "finance.officer")
    run_id = _prepare(finance, needed=2)
    text = finance.locator("main").inner_text()
    assert _euro(demo["late_claim"] + demo["driver_claim"]) in text
    left_out = finance.locator("table", has_text="Why").inner_text()  # ...its new bank account waits
    assert demo["care_homes"] in left_out and "€11,000.00" in left_out
    assert "waits for a second person's confirmation" in left_out
    assert _euro(demo["late_claim"]) in _payment_row(finance, PROVIDER)
    assert _euro(demo["driver_claim"]) in _payment_row(finance, DRIVER_EMPLOYER)
    assert "bank transfer (SEPA)" in _payment_row(finance, DRIVER_EMPLOYER)
    provider_payment = _payment_id(finance, PROVIDER)
    rejected = _payment_id(finance, DRIVER_EMPLOYER)
    assert finance.get_by_role("button", name="Approve the run").count() == 0  # the preparer

    _approve(new_page, run_id, ("approver", "approver.2"))
    releaser = _signed_in(new_page, "finance.officer.2")
    _release(releaser, run_id)
    assert "sent, in transit" in _payment_row(releaser, PROVIDER)
    name, bank_file = _download(releaser, tmp_path, "first.xml")
    assert name == f"{run_id}-001.xml"
    _xsd().assertValid(bank_file)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert sorted(bank_file.xpath("//p:EndToEndId/text()", namespaces=ns)) == sorted(
        [provider_payment, rejected]
    )
    amounts = sorted(bank_file.xpath("//p:InstdAmt/text()", namespaces=ns), key=float)
    assert amounts == sorted([f"{demo['late_claim'] / 100:.2f}", "1000.00"], key=float)
    _expect_paid(budget, demo["childcare_paid"], demo["wage_paid"])  # in transit is not paid

    report = pain002(f"{run_id}-001", group="ACSC", transactions=((rejected, "RJCT", "AC04"),))
    _import_report(finance, tmp_path, report, f"{run_id}-001")
    _expect_paid(budget, demo["childcare_paid"] + demo["late_claim"], demo["wage_paid"])
    finance.goto(f"/payments/runs/{run_id}")
    assert "paid" in _payment_row(finance, PROVIDER)
    assert "rejected by the bank" in _payment_row(finance, DRIVER_EMPLOYER)
    finance.goto("/payments/problems")
    row = _payment_row(finance, rejected)
    assert "rejected by the bank (AC04)" in row and "not yet: the next run pays it" in row
    check_page(finance)

    follow_up = _prepare(finance, needed=1)
    assert f"follows {rejected}" in _payment_row(finance, DRIVER_EMPLOYER)
    again = _payment_id(finance, DRIVER_EMPLOYER)
    assert PROVIDER not in finance.locator("main").inner_text()  # paid once, not again
    _approve(new_page, follow_up, ("approver",))
    _release(releaser, follow_up)
    name, bank_file = _download(releaser, tmp_path, "follow-up.xml")
    assert name == f"{follow_up}-001.xml"
    _xsd().assertValid(bank_file)
    assert bank_file.xpath("//p:InstdAmt/text()", namespaces=ns) == ["1000.00"]
    settled = pain002(f"{follow_up}-001", group="ACSC", report_id="STS-2")
    _import_report(finance, tmp_path, settled, f"{follow_up}-001")

    paid_childcare = demo["childcare_paid"] + demo["late_claim"]
    _expect_paid(budget, paid_childcare, demo["wage_paid"] + demo["driver_claim"])
    employer = _signed_in(new_page, "employer.3")
    employer.goto("/payee")
    check_page(employer)
    paid_again = _payment_row(employer, again)
    assert paid_again.split("\t")[-1] == "paid" and "€1,000.00" in paid_again
    failed = _payment_row(employer, rejected)
    assert "failed" in failed and "rejected by the bank (AC04)" in failed
    provider = _signed_in(new_page, "provider")
    provider.goto("/payee")
    assert _payment_row(provider, provider_payment).split("\t")[-1] == "paid"
    assert run(verify()).ok


@pytest.fixture
def fake_stripe(monkeypatch):
    """The live server (in this process) sends its Stripe calls through the real SDK to this fake."""
    monkeypatch.setenv("GRANTS_STRIPE_API_KEY", "sk_test_grants_demo")
    monkeypatch.setenv("GRANTS_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    fake = FakeStripe()
    stripe_rail.use_http_client(fake)
    yield fake
    stripe_rail.use_http_client(None)


def _masked(account: str) -> str:
    return f"acct_…{account[-4:]}"  # as the pages show an account


def _enter_stripe_account(finance, payee: str, account: str) -> None:
    finance.goto(f"/payments/payees/{payee}")
    finance.get_by_label("Stripe Connect", exact=True).check()
    finance.get_by_label("Stripe Connect account (acct_…)").fill(account)
    finance.get_by_role("button", name="Save the new details").click()
    assert "wait for a second person to confirm them" in finance.locator("main").inner_text()
    check_page(finance)


def test_the_demo_claims_are_paid_by_stripe_connect_and_settled_by_signed_webhooks(
    new_page, demo, fake_stripe, live_server
):
    accounts = {PROVIDER: "acct_1DemoLittleSteps", DRIVER_EMPLOYER: "acct_1DemoLakeside"}
    finance = _signed_in(new_page, "finance.officer")
    _enter_stripe_account(finance, demo["provider"], accounts[PROVIDER])
    _enter_stripe_account(finance, demo["driver_employer"], accounts[DRIVER_EMPLOYER])
    approver = _signed_in(new_page, "approver")
    approver.goto("/payments/details")
    check_page(approver)
    for account in accounts.values():
        approver.get_by_role("button", name=f"Confirm {_masked(account)}").click()
        assert "The payment details were confirmed" in approver.locator("main").inner_text()

    run_id = _prepare(finance, needed=2)
    for payee, account in accounts.items():
        row = _payment_row(finance, payee)
        assert "Stripe Connect" in row and _masked(account) in row
    ids = {payee: _payment_id(finance, payee) for payee in accounts}
    _approve(new_page, run_id, ("approver", "approver.2"))
    releaser = _signed_in(new_page, "finance.officer.2")
    _release(releaser, run_id)
    assert releaser.get_by_role("link", name="Download file 1").count() == 0  # no bank file for Stripe

    posts = [r for r in fake_stripe.requests if r["method"] == "POST"]
    sent = {r["params"]["destination"]: r for r in posts}
    assert len(posts) == 2 and set(sent) == set(accounts.values())
    expected = {PROVIDER: demo["late_claim"], DRIVER_EMPLOYER: demo["driver_claim"]}
    for payee, account in accounts.items():
        request = sent[account]
        assert request["idempotency_key"] == f"grants-{ids[payee]}-1"
        assert request["params"]["transfer_group"] == run_id
        assert request["params"]["metadata[instruction]"] == ids[payee]
        assert request["params"]["amount"] == str(expected[payee])
        assert "sent, in transit" in _payment_row(releaser, payee)
    budget = _signed_in(new_page, "budget.holder")
    _expect_paid(budget, demo["childcare_paid"], demo["wage_paid"])  # sent is not settled

    transfers = {t["destination"]: t["id"] for t in fake_stripe.transfers.values()}
    forged, forged_signature = signed_event(
        "transfer.updated", {"id": transfers[accounts[PROVIDER]], "object": "transfer"}, secret="whsec_wrong"
    )
    refused = httpx.post(live_server + HOOK, content=forged, headers={"Stripe-Signature": forged_signature})
    assert refused.status_code == 400
    _expect_paid(budget, demo["childcare_paid"], demo["wage_paid"])
    for account in accounts.values():
        payload, signature = signed_event(
            "transfer.updated", {"id": transfers[account], "object": "transfer"}
        )
        answer = httpx.post(live_server + HOOK, content=payload, headers={"Stripe-Signature": signature})
        assert answer.status_code == 200 and answer.json()["outcome"] == "settled", answer.text

    releaser.goto(f"/payments/runs/{run_id}")
    for payee in accounts:
        assert re.search(r"\bpaid\b", _payment_row(releaser, payee).split("\t")[-1])
    check_page(releaser)
    provider = _signed_in(new_page, "provider")
    provider.goto("/payee")
    row = _payment_row(provider, ids[PROVIDER])
    assert "Stripe Connect" in row and "paid" in row and _euro(demo["late_claim"]) in row
    check_page(provider)
    _expect_paid(
        budget,
        demo["childcare_paid"] + demo["late_claim"],
        demo["wage_paid"] + demo["driver_claim"],
    )
    releaser.get_by_role("button", name="Check the Stripe transfers again").click()
    assert "The Stripe transfers were checked again" in releaser.locator("main").inner_text()
    _expect_paid(
        budget, demo["childcare_paid"] + demo["late_claim"], demo["wage_paid"] + demo["driver_claim"]
    )

    # Stripe reverses the driver's employer's transfer (from its dashboard): paid no more, paid again later
    fake_stripe.reverse(transfers[accounts[DRIVER_EMPLOYER]])
    payload, signature = signed_event(
        "transfer.reversed", {"id": transfers[accounts[DRIVER_EMPLOYER]], "object": "transfer"}
    )
    answer = httpx.post(live_server + HOOK, content=payload, headers={"Stripe-Signature": signature})
    assert answer.status_code == 200 and answer.json()["outcome"] == "returned", answer.text
    _expect_paid(budget, demo["childcare_paid"] + demo["late_claim"], demo["wage_paid"])
    employer = _signed_in(new_page, "employer.3")
    employer.goto("/payee")
    assert "returned" in _payment_row(employer, ids[DRIVER_EMPLOYER])
    finance.goto("/payments/problems")
    assert "not yet: the next run pays it" in _payment_row(finance, ids[DRIVER_EMPLOYER])
    follow_up = _prepare(finance, needed=1)
    assert f"follows {ids[DRIVER_EMPLOYER]}" in _payment_row(finance, DRIVER_EMPLOYER)
    again = _payment_id(finance, DRIVER_EMPLOYER)
    _approve(new_page, follow_up, ("approver",))
    _release(releaser, follow_up)
    new = [t for t in fake_stripe.transfers.values() if t["metadata"].get("instruction") == again]
    assert len(new) == 1 and new[0]["amount"] == demo["driver_claim"] and len(fake_stripe.transfers) == 3
    payload, signature = signed_event("transfer.created", {"id": new[0]["id"], "object": "transfer"})
    answer = httpx.post(live_server + HOOK, content=payload, headers={"Stripe-Signature": signature})
    assert answer.status_code == 200 and answer.json()["outcome"] == "settled", answer.text
    employer.goto("/payee")
    assert _payment_row(employer, again).split("\t")[-1] == "paid"
    _expect_paid(
        budget, demo["childcare_paid"] + demo["late_claim"], demo["wage_paid"] + demo["driver_claim"]
    )
    assert run(verify()).ok
