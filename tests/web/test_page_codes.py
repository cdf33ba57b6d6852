"""Every code a page can show is a sentence in English and in French (issues 11 and 12): claim line
outcomes and reasons, statuses of vouchers, claims, placements, agreements and overpayments, refusals of
forms and files, and payments' states and the reasons they failed. The codes are read from the code and
the docs, so a new one without its sentences fails here; and a sentence a service builds in English is
said by its code on a French page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from app.core.roles import Role
from app.disbursements import runs, states
from app.http import error_handlers
from app.registry.participants import STATUSES as participant_statuses
from app.vouchers.claim_rules import Outcome as VoucherOutcome
from app.vouchers.claim_rules import Reason as VoucherReason
from app.wage_subsidies.subsidy_rules import Outcome as WageOutcome
from app.wage_subsidies.subsidy_rules import Reason as WageReason
from app.web import outcomes
from app.web.i18n import language
from app.web.pages import payments
from tests.test_documented_codes import _codes
from tests.web.test_i18n import _french

ROOT = Path(__file__).resolve().parents[2]
# "**Voucher** statuses: `active`, …" and the overpayment table's rows, in the docs of the two domains
STATUS_LIST = re.compile(r"\*\*[A-Z][a-z ]+\*\*(?: statuses)?: ((?:`[a-z_]+`[^.*]*?)+)(?:\.|\*\*)", re.S)
STATUS_ROW = re.compile(r"^\| `([a-z_]+)` \|", re.M)
PAYMENT_REASON_CODES = [
    re.compile(r'Payability\(\s*"([a-z_]+)"'),  # why a payee cannot be paid
    re.compile(r'_close\(\s*actor,\s*sql,\s*run_id,\s*"([a-z_]+)"'),  # a run cancelled or rejected
    re.compile(r'code\s+or\s+"([A-Za-z_]+)"'),  # the code when the bank or Stripe gave none
    re.compile(r'states\.[A-Z]+,\s*"([a-z_]+)"'),  # a payment ended by the system
    re.compile(r'payee,\s*"([a-z_]+)",'),  # a payee left out of a run
]


def _documented_statuses() -> set[str]:
    found: set[str] = set()
    for name in ("vouchers.md", "wage_subsidies.md"):
        text = (ROOT / "docs" / name).read_text()
        section = text[text.index("## Statuses and refusal codes") :]
        for listed in STATUS_LIST.findall(section):
            found.update(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", listed)))
        found.update(STATUS_ROW.findall(section.split("| when | code |")[0]))
    return found


def _payment_reason_codes() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "app" / "disbursements").glob("*.py")):
        text = path.read_text()
        for pattern in PAYMENT_REASON_CODES:
            found.update(pattern.findall(text))
    return found


def _missing(codes: set[str], table: dict[str, str]) -> list[str]:
    """The codes without an English sentence in the table, or whose sentence has no French."""
    french = _french()
    problems = []
    for code in sorted(codes):
        english = table.get(code)
        if not english:
            problems.append(f"{code}: no English sentence")
        elif not french.get(english):
            problems.append(f"{code}: {english!r} has no French")
    return problems


def test_the_codes_are_found():
    statuses = _documented_statuses()
    assert {"partly_claimed", "expired", "second_approval_due", "proposed", "disallowed", "recovering"} <= (
        statuses
    )
    assert {"transfer_reversed", "run_cancelled", "RJCT", "payee_paused", "exceeds_ledger_payable"} <= (
        _payment_reason_codes()
    )


def test_every_claim_line_outcome_and_reason_is_a_sentence_in_english_and_french():
    outcomes_found = {o.value for o in (*VoucherOutcome, *WageOutcome)}
    problems = _missing(outcomes_found, outcomes.OUTCOMES)
    problems += _missing({r.value for r in VoucherReason}, outcomes.VOUCHER_REASONS)
    problems += _missing({r.value for r in WageReason}, outcomes.WAGE_REASONS)
    assert not problems, "add to app/web/outcomes.py and translate:\n" + "\n".join(problems)


def test_every_documented_status_is_a_sentence_in_english_and_french():
    problems = _missing(_documented_statuses() | set(participant_statuses), outcomes.STATUSES)
    problems += _missing({"expired"}, outcomes.STATUS_REASONS)  # the reason the system writes
    assert not problems, "add to outcomes.STATUSES and translate:\n" + "\n".join(problems)


def test_every_documented_refusal_code_is_a_sentence_in_english_and_french():
    """Each code the docs list for vouchers, claims, wage subsidies, approvals, idempotency and files,
    other than the outcomes, reasons and statuses above."""
    said_elsewhere = (
        set(outcomes.OUTCOMES)
        | set(outcomes.STATUSES)
        | set(outcomes.VOUCHER_REASONS)
        | set(outcomes.WAGE_REASONS)
    )
    refusals = set(_codes()) - said_elsewhere
    problems = _missing(refusals, {**outcomes.REFUSALS, **outcomes.PROBLEMS})
    assert not problems, "add to outcomes.REFUSALS or PROBLEMS and translate:\n" + "\n".join(problems)


def test_every_error_page_code_is_a_sentence_in_english_and_french():
    """What the error page shows below its heading: the codes of refused requests (not those whose page
    says it all: sign in, no such page or record, too many attempts)."""
    said_by_the_page = {"not_authenticated", "not_found", "rate_limited"}
    codes = set(error_handlers._CODES.values()) - said_by_the_page | {"form_expired", "internal_error"}
    problems = _missing(codes, outcomes.REFUSALS)
    assert not problems, "add to outcomes.REFUSALS and translate:\n" + "\n".join(problems)


def test_every_role_is_said_in_english_and_french():
    problems = _missing({r.value for r in Role}, outcomes.ROLES)
    assert not problems, "add to outcomes.ROLES and translate:\n" + "\n".join(problems)


def test_every_payment_state_and_reason_is_a_sentence_in_english_and_french():
    problems = _missing(set(runs.PAYEE_STATUS.values()), payments.PAYEE_WORDS)
    every_state = {v for k, v in vars(states).items() if k.isupper() and isinstance(v, str)}
    problems += _missing(every_state, payments.STATE_WORDS)
    problems += _missing(_payment_reason_codes(), payments.PAYMENT_REASONS)
    assert not problems, "add to app/web/pages/payments.py and translate:\n" + "\n".join(problems)


def test_a_sentence_built_in_english_by_a_service_is_said_by_its_code_on_a_french_page():
    english = "the first approval must come from someone else than the second, who approved on 2026-03-02"
    overpayment = {
        "reason": "subsidy approved for 2026-08, 2026-09 after the employment ended on 2026-07-31",
        "reason_code": "after_employment_ended",
        "reason_months": ["2026-08", "2026-09"],
        "reason_end_date": dt.date(2026, 7, 31),
    }
    bank = "rejected by the bank (AC04): Account closed"
    with language("en"):
        assert outcomes.refusal_in_words("already_approved_by_you", english) == english
        assert outcomes.overpayment_reason_in_words(overpayment) == (
            "subsidy approved for August 2026, September 2026 after the employment ended on 31 July 2026"
        )
        assert payments.payment_reason("AC04", bank) == bank
        assert outcomes.status_in_words("disallowed") == "taken off what was owed, nothing to recover"
    with language("fr"):
        assert outcomes.refusal_in_words("already_approved_by_you", english) != english
        assert "already" not in outcomes.refusal_in_words("already_approved_by_you", english)
        said = outcomes.overpayment_reason_in_words(overpayment)
        assert "août 2026" in said and "31 juillet 2026" in said and "approved" not in said
        assert "(AC04)" in payments.payment_reason("AC04", bank) and "bank" not in payments.payment_reason(
            "AC04", bank
        )
        assert "XY99" in payments.payment_reason("XY99", "rejected by the bank (XY99): Whatever")
        assert "Whatever" not in payments.payment_reason("XY99", "rejected by the bank (XY99): Whatever")
        assert outcomes.status_in_words("recovering") != "recovering"
        assert outcomes.reason_in_words("outside_claim_period", "service on 2026-11-02 is outside") != (
            "service on 2026-11-02 is outside"
        )
