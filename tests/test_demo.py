"""The demo seeds work into every user's queue, seen through the API as the demo users see it, and a ledger
that verifies; `grants demo --seed-only` prints where each role should look."""

from __future__ import annotations

import pytest

from app.core.credentials import create_token
from app.core.users import actor_for_email
from app.demo import LOGINS, demo_email, seed_demo
from app.ledger.verify import verify
from tests.support import SYSTEM, run


@pytest.fixture
def demo(client, monkeypatch):
    for name in ("GRANTS_SEPA_DEBTOR_NAME", "GRANTS_SEPA_DEBTOR_IBAN", "GRANTS_SEPA_DEBTOR_BIC"):
        monkeypatch.delenv(name, raising=False)
    from app.demo import story

    for name, value in story.DEMO_DEBTOR.items():
        monkeypatch.setenv(name, value)  # restored after the test (the seed only sets what is unset)
    run(seed_demo())
    tokens = {}

    def call(who: str, path: str, **params):
        if who not in tokens:
            login = next(login for login in LOGINS if login.email == who)
            user = run(actor_for_email(demo_email(login)))
            tokens[who] = run(create_token(SYSTEM, user.public_id, "demo test"))[1]
        response = client.get(path, params=params, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert response.status_code == 200, response.text
        return response.json()

    return call


def test_the_demo_puts_work_in_every_queue_and_its_ledger_verifies(demo):
    result = run(verify())
    assert result.ok and result.entries >= 20

    waiting = demo("finance.officer", "/api/v1/claims", status="submitted")["data"]
    assert len(waiting) == 1
    claim = demo("provider", f"/api/v1/claims/{waiting[0]['id']}")
    assert [line["outcome"] for line in claim["lines"]] == ["accepted", "rejected", "accepted"]
    assert claim["lines"][1]["reason"] == "child_mismatch"
    provider_claims = demo("provider", "/api/v1/claims")["data"]
    assert sorted(c["status"] for c in provider_claims) == ["approved", "approved", "submitted"]

    wage = {c["status"] for c in demo("finance.officer", "/api/v1/wage-claims")["data"]}
    assert {"submitted", "second_approval_due", "approved"} <= wage
    second = demo("employer.2", "/api/v1/wage-claims")["data"]
    assert [(c["status"], c["accepted"]) for c in second] == [("second_approval_due", "11000.00")]

    me = demo("employer", "/api/v1/me")
    balance = demo("employer", f"/api/v1/employers/{me['organisation']}/balance")
    overpayment = balance["overpayments"][0]
    assert overpayment["status"] == "recovering" and overpayment["outstanding"] == "600.00"

    paid_runs = demo("finance.officer.2", "/api/v1/payment-runs")["data"]
    assert len(paid_runs) == 2
    paid = set()
    for made in paid_runs:
        view = demo("finance.officer", f"/api/v1/payment-runs/{made['id']}")
        assert set(view["states"]) == {"settled"}
        paid |= {line["source_id"] for i in view["instruction_list"] for line in i["lines"]}
    # approved since those runs, waiting for the next one: the provider's late claim, the driver's month
    to_pay = [c["id"] for c in provider_claims if c["status"] == "approved" and c["id"] not in paid]
    driver = demo("employer.3", "/api/v1/wage-claims")["data"]
    assert len(to_pay) == 1 and [(c["status"], c["id"] in paid) for c in driver] == [("approved", False)]

    me = demo("employer.2", "/api/v1/me")
    waiting_details = demo("approver", f"/api/v1/payees/{me['organisation']}")
    assert waiting_details["pending"]["method"] == "sepa" and waiting_details["payable"] is False

    vouchers = demo("caseworker", "/api/v1/vouchers")["data"]
    assert {"active", "partly_claimed", "revoked"} <= {v["status"] for v in vouchers}
    found = demo("caseworker", "/api/v1/participants", name="haddad")["data"]
    assert found and all(p["personal"]["family_name"] == "Haddad" for p in found)
    assert demo("auditor", "/api/v1/ledger/verify")["ok"] is True
