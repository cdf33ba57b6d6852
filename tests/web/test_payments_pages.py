"""Payment pages over HTTP: a run prepared, reviewed (payees left out and why), approved by two people
above the value band, released by a third, its SEPA file downloaded, a status report imported and the
rejection shown with its follow-up; bank details changed and confirmed by a second person; refusals said
on the page; payees see only their own payments."""

from __future__ import annotations

import pytest

from app.core.roles import Role
from app.disbursements import details, runs, stripe_rail
from app.disbursements.stripe_fake import FakeStripe
from tests.disbursements.world import (
    FINANCE,
    PROGRAMME,
    approved_claims,
    confirmed_bank,
    confirmed_stripe,
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


@pytest.fixture
def fake_stripe():
    """Stripe's SDK answered by the recording fake (no network)."""
    fake = FakeStripe()
    stripe_rail.use_http_client(fake)
    yield fake
    stripe_rail.use_http_client(None)


def _post(client, person, path, data=None, files=None):
    return client.post(path, data=data or {}, files=files, headers=person.headers, follow_redirects=True)


def test_a_run_through_the_pages(client, people, tmp_path):
    preparer, releaser = (
        people.make(Role.FINANCE_OFFICER, key="prep"),
        people.make(Role.FINANCE_OFFICER, key="rel"),
    )
    first, second = people.make(Role.APPROVER, key="appr1"), people.make(Role.APPROVER, key="appr2")
    payees = [people.provider_org, *run(providers(2))]
    run(approved_claims(payees, 2, 40_000))
    for payee in payees[:2]:
        run(confirmed_bank(payee))
    run(details.propose(FINANCE, payees[2], "sepa", iban=iban(), holder="New Holder"))

    index = client.get("/payments", headers=preparer.headers)
    assert index.status_code == 200 and "Prepare a run" in index.text
    assert (
        "Prepare a run" not in client.get("/payments", headers=first.headers).text
    )  # approvers do not prepare
    bad_date = _post(client, preparer, "/payments/runs", {"programme": PROGRAMME, "pay_date": "2020-01-01"})
    assert bad_date.status_code == 400 and "the pay date cannot be before today" in bad_date.text

    made = _post(client, preparer, "/payments/runs", {"programme": PROGRAMME, "pay_date": "2030-01-15"})
    assert made.status_code == 200 and "The run was prepared" in made.text
    run_path = str(made.url.path)
    assert "€1,600.00" in made.text and "0 of 2 needed" in made.text
    assert payees[2] in made.text and "waits for a second person" in made.text
    assert "Approve the run" not in made.text  # the preparer cannot

    own = _post(client, preparer, f"{run_path}/approve")  # a forged post: the service refuses
    assert own.status_code == 403 and "whoever prepared or submitted this cannot approve it" in own.text
    once = _post(client, first, f"{run_path}/approve")
    assert "Your approval was recorded" in once.text and "1 of 2 needed" in once.text
    assert "Approve the run" not in once.text and "Release the payments" not in once.text
    early = _post(client, releaser, f"{run_path}/release")
    assert early.status_code == 409 and "the run is pending approval" in early.text
    twice = _post(client, second, f"{run_path}/approve")
    assert "approved, waiting for release" in twice.text
    released = _post(client, releaser, f"{run_path}/release")
    assert "The run was released" in released.text and "Download file 1" in released.text
    assert all(f"Test {key}" in released.text for key in ("prep", "appr1", "appr2", "rel"))  # who did what

    run_id = run_path.rsplit("/", 1)[1]
    download = client.get(f"{run_path}/files/1", headers=releaser.headers)
    assert download.status_code == 200 and f"{run_id}-001.xml" in download.headers["content-disposition"]
    assert f"<MsgId>{run_id}-001</MsgId>" in download.text
    assert client.get(f"{run_path}/files/1", headers=first.headers).status_code == 403  # approvers: no files

    rejected_id = run(runs.payments_for_payee(FINANCE, people.provider_org))[0]["id"]
    assert f"<EndToEndId>{rejected_id}</EndToEndId>" in download.text
    report = pain002(f"{run_id}-001", group="ACSC", transactions=((rejected_id, "RJCT", "AC04"),))
    imported = _post(client, preparer, "/payments/status-reports", files={"file": ("pain002.xml", report)})
    assert imported.status_code == 200 and "Rejected" in imported.text and rejected_id in imported.text
    again = _post(client, preparer, "/payments/status-reports", files={"file": ("pain002.xml", report)})
    assert "imported before; nothing changed" in again.text
    broken = _post(
        client, preparer, "/payments/status-reports", files={"file": ("x.xml", b"<Document>\n<a>")}
    )
    assert broken.status_code == 400 and "line 2" in broken.text

    problems = client.get("/payments/problems", headers=first.headers)
    assert rejected_id in problems.text and "rejected by the bank (AC04)" in problems.text
    assert "not yet: the next run pays it" in problems.text
    follow_up = _post(client, releaser, "/payments/runs", {"programme": PROGRAMME, "pay_date": "2030-01-20"})
    assert f"follows {rejected_id}" in follow_up.text
    assert "not yet" not in client.get("/payments/problems", headers=first.headers).text
    own = client.get("/payee", headers=people.make(Role.PROVIDER).headers).text
    assert "rejected by the bank (AC04): Account closed" in own and "scheduled" in own
    french_headers = {**people.make(Role.PROVIDER).headers, "Accept-Language": "fr"}
    en_francais = client.get("/payee", headers=french_headers).text
    assert "le compte est clôturé (AC04)" in en_francais and "Account closed" not in en_francais
    assert payees[1] not in own  # only its own payments


def test_bank_details_changed_by_the_payee_and_confirmed_by_a_second_person(client, people):
    provider = people.make(Role.PROVIDER)
    finance, approver = people.make(Role.FINANCE_OFFICER), people.make(Role.APPROVER)
    page = client.get("/payee", headers=provider.headers)
    assert page.status_code == 200 and "no confirmed payment details" in page.text
    wrong = _post(
        client,
        provider,
        "/payee/details",
        {"method": "sepa", "iban": "DE89370400440532013001", "holder": "Own"},
    )
    assert wrong.status_code == 400 and "the IBAN is not valid" in wrong.text
    assert 'value="DE89370400440532013001"' in wrong.text  # what was typed is kept
    saved = _post(
        client, provider, "/payee/details", {"method": "sepa", "iban": iban(), "holder": "Own Provider"}
    )
    assert (
        "wait for a second person to confirm" in saved.text and "Change your bank details" not in saved.text
    )

    waiting = client.get("/payments/details", headers=finance.headers)
    assert people.provider_org in waiting.text and "Test provider" in waiting.text
    detail_id = run(details.pending_changes())[0]["id"]
    confirmed = _post(client, approver, f"/payments/details/{detail_id}/confirm")
    assert "The payment details were confirmed" in confirmed.text and "No changes wait" in confirmed.text
    assert "yes" in client.get("/payee", headers=provider.headers).text

    paused = _post(
        client, finance, f"/payments/payees/{people.provider_org}/pause", {"reason": "fraud check"}
    )
    assert "Payments to this payee are paused" in paused.text and "fraud check" in paused.text
    assert "payments to this payee are paused" in client.get("/payee", headers=provider.headers).text
    no_reason = _post(client, finance, f"/payments/payees/{people.provider_org}/resume")
    assert "Payments to this payee resumed" in no_reason.text


def test_payees_and_other_roles_see_only_what_is_theirs(client, people):
    others = run(providers(1))
    run(confirmed_bank(others[0]))
    provider = people.make(Role.PROVIDER)
    assert client.get(f"/payments/payees/{others[0]}", headers=provider.headers).status_code == 403
    assert client.get("/payments", headers=provider.headers).status_code == 403
    assert client.get("/payee", headers=people.make(Role.CASEWORKER).headers).status_code == 403
    auditor = people.make(Role.AUDITOR)
    assert client.get("/payments", headers=auditor.headers).status_code == 200
    assert client.post("/payments/runs", data={}, headers=auditor.headers).status_code == 403


def test_a_stripe_run_released_and_settled_through_the_pages(client, people, fake_stripe, monkeypatch):
    monkeypatch.setenv("GRANTS_STRIPE_API_KEY", "sk_test_grants")
    payees = run(providers(1))
    run(approved_claims(payees, 1, 25_000))
    run(confirmed_stripe(payees[0]))
    preparer, releaser = (
        people.make(Role.FINANCE_OFFICER, key="prep"),
        people.make(Role.FINANCE_OFFICER, key="rel"),
    )
    made = _post(client, preparer, "/payments/runs", {"programme": PROGRAMME, "pay_date": "2030-01-15"})
    run_path = str(made.url.path)
    _post(client, people.make(Role.APPROVER), f"{run_path}/approve")
    released = _post(client, releaser, f"{run_path}/release")
    assert "The run was released" in released.text and "sent, in transit" in released.text
    assert "Stripe Connect" in released.text and len(fake_stripe.transfers) == 1
    refreshed = _post(client, preparer, f"{run_path}/refresh")
    assert "The Stripe transfers were checked again" in refreshed.text and ">paid<" in refreshed.text


def test_a_big_run_lists_its_first_payments_and_says_so(client, people, monkeypatch):
    monkeypatch.setattr("app.web.pages.payments.RUN_PAGE_PAYMENTS", 2)
    payees = run(providers(3))
    run(approved_claims(payees, 1, 10_000))
    for payee in payees:
        run(confirmed_bank(payee))
    made = _post(client, people.make(Role.FINANCE_OFFICER), "/payments/runs", {"pay_date": "2030-01-15"})
    assert "The first 2 of 3 payments are shown" in made.text
    assert made.text.count("<td><code>pin_") == 2
