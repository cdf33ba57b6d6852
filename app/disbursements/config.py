"""Settings of the paying side, read from the environment (prefix GRANTS_) when used, so a test or an
operator can change them without a restart of anything but the process that pays.

- GRANTS_PAYMENT_APPROVAL_BANDS: value bands of a run's approval, `limit:approvers` pairs. A run whose
  total is above a limit needs that many different approvers (default: above the claims' second-approver
  limit, GRANTS_SECOND_APPROVER_LIMIT_MINOR, two approvers; else one).
- GRANTS_SEPA_DEBTOR_NAME, GRANTS_SEPA_DEBTOR_IBAN, GRANTS_SEPA_DEBTOR_BIC: the account the bank file
  pays from. GRANTS_SEPA_FILE_MAX_TRANSACTIONS: transactions per pain.001 file (default 5,000).
- GRANTS_STRIPE_API_KEY, GRANTS_STRIPE_WEBHOOK_SECRET: the platform's Stripe keys.
  GRANTS_STRIPE_HTTP=fake sends Stripe calls to the recording fake (demos and tests; no network), whose
  state GRANTS_STRIPE_FAKE_STATE may keep in a file shared by processes.
- GRANTS_PAYMENT_RELEASE_LEASE_S: how long a release may go without progress before another may take over
  (default 120 s): a release killed half-way is resumed by the next one once its lease has run out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.core.errors import ValidationFailed
from app.core.settings import get_settings


@dataclass(frozen=True)
class SepaDebtor:
    name: str
    iban: str
    bic: str


def approval_bands() -> list[tuple[int, int]]:
    """(limit, approvers) pairs, highest limit first."""
    text = os.environ.get("GRANTS_PAYMENT_APPROVAL_BANDS")
    if text is None:
        return [(get_settings().approval_second_approver_limit_minor, 2)]
    bands = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        limit, _, count = part.partition(":")
        if not (limit.strip().isdigit() and count.strip().isdigit() and int(count) >= 1):
            raise ValidationFailed(
                "invalid_setting", f"GRANTS_PAYMENT_APPROVAL_BANDS: {part!r} is not limit:approvers", None
            )
        bands.append((int(limit), int(count)))
    return sorted(bands, reverse=True)


def approvers_needed(total_minor: int) -> int:
    for limit, count in approval_bands():
        if total_minor > limit:
            return count
    return 1


def sepa_debtor() -> SepaDebtor | None:
    name = os.environ.get("GRANTS_SEPA_DEBTOR_NAME", "")
    iban = os.environ.get("GRANTS_SEPA_DEBTOR_IBAN", "")
    if not name or not iban:
        return None
    return SepaDebtor(name, iban.replace(" ", "").upper(), os.environ.get("GRANTS_SEPA_DEBTOR_BIC", ""))


def sepa_file_size() -> int:
    return max(1, int(os.environ.get("GRANTS_SEPA_FILE_MAX_TRANSACTIONS", "5000")))


def stripe_api_key() -> str:
    return os.environ.get("GRANTS_STRIPE_API_KEY", "")


def stripe_webhook_secret() -> str:
    return os.environ.get("GRANTS_STRIPE_WEBHOOK_SECRET", "")


def stripe_http() -> str:
    return os.environ.get("GRANTS_STRIPE_HTTP", "")


def stripe_fake_state() -> str:
    return os.environ.get("GRANTS_STRIPE_FAKE_STATE", "")


def release_lease_s() -> float:
    return float(os.environ.get("GRANTS_PAYMENT_RELEASE_LEASE_S", "120"))
