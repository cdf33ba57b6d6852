"""Payments tests: a SEPA debtor account, Stripe keys, and a fresh recording fake Stripe per test."""

from __future__ import annotations

import pytest

from app.disbursements import stripe_rail
from app.disbursements.stripe_fake import FakeStripe
from tests.disbursements.world import DEBTOR_IBAN, WEBHOOK_SECRET


@pytest.fixture(autouse=True)
def payment_settings(monkeypatch):
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_NAME", "Grants Programme Office")
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_IBAN", DEBTOR_IBAN)
    monkeypatch.setenv("GRANTS_SEPA_DEBTOR_BIC", "COBADEFFXXX")
    monkeypatch.setenv("GRANTS_STRIPE_API_KEY", "sk_test_grants")
    monkeypatch.setenv("GRANTS_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "1000000:2")


@pytest.fixture
def fake_stripe():
    fake = FakeStripe()
    stripe_rail.use_http_client(fake)
    yield fake
    stripe_rail.use_http_client(None)
