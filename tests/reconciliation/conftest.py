"""Reconciliation tests: the programme's bank account (the SEPA debtor, whose statements we import), Stripe
keys and a fresh recording fake Stripe, as for the payments tests."""

from __future__ import annotations

import pytest

from tests.disbursements.world import DEBTOR_IBAN, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def payment_settings(monkeypatch):
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_NAME", "Grants Programme Office")
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_IBAN", DEBTOR_IBAN)
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_BIC", "COBADEFFXXX")
    monkeypatch.setenv("GRANTS_STRIPE_API_KEY", "sk_test_grants")
    monkeypatch.setenv("GRANTS_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "1000000:2")
    monkeypatch.delenv("GRANTS_RECON_ACCOUNTS", raising=False)


@pytest.fixture
def fake_stripe():
    from app.disbursements import stripe_rail
    from app.disbursements.stripe_fake import FakeStripe

    fake = FakeStripe()
    stripe_rail.use_http_client(fake)
    yield fake
    stripe_rail.use_http_client(None)
