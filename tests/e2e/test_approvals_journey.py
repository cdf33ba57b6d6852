"""Finance officers and approvers in a real browser, on the demo's queue: the queue with its filters,
amounts and submitters; a claim above the limit completed by a second approver after the first sees
"you approved this" and no button; the submitter has no way in and a forged approve is refused; a voucher
claim approved in part (only some lines), a wage claim rejected with a reason."""

from __future__ import annotations

import pytest

from app.core.users import actor_for_email
from app.demo import DEMO_PASSWORD, LOGINS, demo_email, seed_demo
from app.demo.story import DEMO_DEBTOR
from app.vouchers import claims as voucher_claims
from app.wage_subsidies import wage_claims
from tests.e2e.browser import check_page, sign_in
from tests.support import run


def _email(name: str) -> str:
    return demo_email(next(login for login in LOGINS if login.email == name))


@pytest.fixture
def demo(monkeypatch):
    for name, value in DEMO_DEBTOR.items():
        monkeypatch.setenv(name, value)
    run(seed_demo())
    finance = run(actor_for_email(_email("finance.officer")))
    waiting = run(wage_claims.list_claims(finance, "second_approval_due", 10, None))[0]
    submitted = run(wage_claims.list_claims(finance, "submitted", 10, None))[0]
    voucher = run(voucher_claims.list_claims(finance, "submitted", 10, None))[0]
    return {"over_limit": waiting[0]["id"], "wage": submitted[0]["id"], "voucher": voucher[0]["id"]}


def _signed_in(new_page, name: str):
    page = new_page()
    sign_in(page, _email(name), DEMO_PASSWORD)
    return page


def _forged_approve(page, claim_id: str):
    """What a hand-made form post would do: the page's own CSRF cookie, no button pressed."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "grants_csrf")
    origin = "/".join(page.url.split("/")[:3])
    return page.request.post(
        f"/approvals/{claim_id}/approve",
        form={"_csrf_token": token, "scope": "all"},
        headers={"Origin": origin},
        max_redirects=0,
    )


def test_two_approvers_complete_a_claim_over_the_limit_and_the_submitter_cannot(new_page, demo):
    claim = demo["over_limit"]

    submitter = _signed_in(new_page, "employer.2")
    assert submitter.goto("/approvals").status == 403
    assert submitter.get_by_role("heading", name="Not allowed").is_visible()
    forged = _forged_approve(submitter, claim)
    assert forged.status == 403 and "Your account may not open this page" in forged.text()
    submitter.goto(f"/employer/claims/{claim}")
    assert submitter.get_by_role("button", name="Approve the whole claim").count() == 0

    first = _signed_in(new_page, "approver")
    first.goto("/approvals?stage=second")
    check_page(first)
    row = first.locator("tr", has_text=claim)
    assert "€11,000.00" in row.inner_text() and "Demo employer 2" in row.inner_text()
    assert "You approved this" in row.inner_text()
    first.get_by_role("link", name=claim).click()
    assert "You approved this. It is waiting for a second approver." in first.locator("main").inner_text()
    assert first.get_by_role("button", name="Approve the whole claim").count() == 0
    check_page(first)
    refused = _forged_approve(first, claim)
    assert refused.status == 409 and "someone else" in refused.text()

    second = _signed_in(new_page, "approver.2")
    second.goto(f"/approvals/{claim}")
    assert "Approved once: waiting for a second approver." in second.locator("main").inner_text()
    lines = second.locator("table").nth(0).locator("tbody tr")
    assert lines.count() == 11
    second.get_by_role("button", name="Approve the whole claim").click()
    text = second.locator("main").inner_text()
    assert "Your approval is recorded." in text and "approved" in text
    assert "Demo approver, Demo approver 2" in text
    check_page(second)
    second.goto("/approvals")
    assert claim not in second.locator("main").inner_text()


def test_finance_officer_filters_approves_in_part_and_rejects_with_a_reason(new_page, demo):
    finance = _signed_in(new_page, "finance.officer")
    finance.goto("/approvals")
    check_page(finance)
    queue = finance.locator("main").inner_text()
    assert demo["voucher"] in queue and demo["wage"] in queue and "Demo provider" in queue
    finance.get_by_label("Kind").select_option("voucher")
    finance.get_by_role("button", name="Filter").click()
    assert demo["wage"] not in finance.locator("main").inner_text()
    finance.get_by_label("Smallest amount").fill("abc")
    finance.get_by_role("button", name="Filter").click()
    assert "Write the smallest amount as a number" in finance.locator("[role=alert]").inner_text()

    finance.goto(f"/approvals/{demo['voucher']}")
    text = finance.locator("main").inner_text()
    assert "the date of birth does not match the voucher's holder" in text
    check_page(finance)
    finance.get_by_label("Line 1:").check()
    finance.get_by_role("button", name="Approve the lines ticked").click()
    text = finance.locator("main").inner_text()
    assert "Your approval is recorded." in text and "partly approved" in text

    finance.goto(f"/approvals/{demo['wage']}")
    finance.get_by_role("button", name="Reject the claim").click()  # the browser asks for the reason first
    assert finance.url.endswith(demo["wage"])
    finance.get_by_label("Why the claim is rejected").fill("The payroll shows 120 hours, not 160.")
    finance.get_by_role("button", name="Reject the claim").click()
    text = finance.locator("main").inner_text()
    assert "The claim is rejected." in text and "The payroll shows 120 hours, not 160." in text
    check_page(finance)
