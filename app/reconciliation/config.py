"""Reconciliation settings from the environment: the bank accounts that are ours, the tolerance rules that
may *propose* a match, and the severity bands of exceptions. Read when used (tests change them)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerances:
    amount_minor: int = 0  # |booking - instruction| at most this many minor units
    days: int = 5  # booked at most this many days after the instruction was submitted
    name_similarity: float = 0.8  # creditor name against the payee's (0..1), when the bank gives one


@dataclass(frozen=True)
class Severity:
    high_minor: int = 100_000  # 1,000.00 at stake, or …
    high_days: int = 14  # … open this long: high
    medium_minor: int = 10_000
    medium_days: int = 3


def own_accounts() -> frozenset[str]:
    """IBANs whose statements we import: GRANTS_RECON_ACCOUNTS (comma separated), else the SEPA debtor."""
    listed = os.environ.get("GRANTS_RECON_ACCOUNTS") or os.environ.get("GRANTS_SEPA_DEBTOR_IBAN", "")
    return frozenset(a.strip().replace(" ", "").upper() for a in listed.split(",") if a.strip())


def tolerances() -> Tolerances:
    return Tolerances(
        amount_minor=int(os.environ.get("GRANTS_RECON_AMOUNT_TOLERANCE_MINOR", 0)),
        days=int(os.environ.get("GRANTS_RECON_DATE_WINDOW_DAYS", 5)),
        name_similarity=float(os.environ.get("GRANTS_RECON_NAME_SIMILARITY", 0.8)),
    )


def unmatched_after_days() -> int:
    """An instruction the bank's statements have not shown this many days after submission is unmatched."""
    return int(os.environ.get("GRANTS_RECON_UNMATCHED_AFTER_DAYS", 5))


def severity() -> Severity:
    return Severity()
