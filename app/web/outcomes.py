"""Outcomes, refusals and payments said in words, for the pages of providers and employers: each claim
line's outcome and reason, each problem of a form or file with where it is, what was paid this month."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from app.core.actor import Actor
from app.core.approvals import APPROVED, UNDECIDED
from app.core.db import today
from app.core.errors import ErrorDetail
from app.disbursements import runs
from app.wage_subsidies import wage_claims
from app.web.i18n import N_, current_language, day, money, month
from app.web.i18n import gettext as _

OUTCOMES = {"accepted": N_("accepted"), "reduced": N_("reduced"), "rejected": N_("rejected")}

STATUSES = {
    # claims (providers' and employers')
    "submitted": N_("waiting for approval"),
    "second_approval_due": N_("waiting for a second approver"),
    "approved": N_("approved"),
    "partly_approved": N_("partly approved"),
    "rejected": N_("rejected"),
    "paid": N_("paid"),
    # vouchers
    "active": N_("active"),
    "partly_claimed": N_("partly claimed"),
    "exhausted": N_("used up"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
    # participants
    "inactive": N_("inactive"),
    # placements and agreements
    "proposed": N_("proposed"),
    "agreed": N_("agreed"),
    "ended": N_("ended"),
    # overpayments
    "disallowed": N_("taken off what was owed, nothing to recover"),
    "recovering": N_("being recovered"),
    "recovered": N_("recovered"),
}

# Why a voucher is closed, when the system closed it (a revocation's reason is a person's own words).
STATUS_REASONS = {"expired": N_("its validity ended and its claim deadline passed")}

ROLES = {
    "admin": N_("administrator"),
    "caseworker": N_("caseworker"),
    "finance_officer": N_("finance officer"),
    "approver": N_("approver"),
    "budget_holder": N_("budget holder"),
    "provider": N_("provider's user"),
    "employer": N_("employer's user"),
    "auditor": N_("auditor"),
}

# Why a claim line was reduced or rejected: voucher claims ...
VOUCHER_REASONS = {
    "unknown_voucher": N_("no voucher has this code"),
    "child_mismatch": N_("the date of birth does not match the voucher's holder"),
    "voucher_inactive": N_("the voucher is no longer active"),
    "voucher_for_another_provider": N_("the voucher was issued for another provider"),
    "voucher_paid_as_stipend": N_("this voucher is paid to the participant as a stipend"),
    "voucher_not_for_this_service": N_("this kind of voucher cannot be claimed for your service"),
    "invalid_service_dates": N_("the service dates are reversed or fewer than the days attended"),
    "outside_claim_period": N_("the service dates must lie in the claim's period"),
    "outside_voucher_validity": N_("the service dates are outside the voucher's validity"),
    "period_in_future": N_("the service period has not ended yet"),
    "submitted_after_deadline": N_("the claim came after the deadline"),
    "provider_not_licensed": N_("your licence does not cover these dates"),
    "already_claimed": N_("these days of this voucher were already claimed"),
    "voucher_exhausted": N_("nothing remains on the voucher"),
    "exceeds_rate_for_attendance": N_("capped at the voucher's rate for the attendance"),
    "exceeds_remaining_value": N_("capped at the value left on the voucher"),
}
# ... and employers' payroll claims.
WAGE_REASONS = {
    "no_active_agreement": N_("no active agreement for this placement"),
    "period_outside_agreement": N_("the month is outside the agreement's subsidised months"),
    "already_claimed": N_("this month was already claimed"),
    "after_employment_ended": N_("the employment had ended before this month"),
    "wage_below_minimum": N_("the wage paid is below the minimum the programme requires"),
    "subsidy_rule_not_met": N_("the subsidy rule's conditions are not met"),
    "hours_above_contract": N_("capped at the contracted hours"),
    "bonus_not_due": N_("the retention bonus is not due yet"),
    "exceeds_agreement_remaining": N_("capped at what is left of the agreement's maximum"),
}
REASONS = {"voucher": VOUCHER_REASONS, "wage": WAGE_REASONS}

# What is wrong with a form field or a file cell, by refusal code.
PROBLEMS = {
    "invalid_date": N_("write the date as 2026-03-31"),
    "invalid_days": N_("write a number of days from 0 to 31"),
    "invalid_amount": N_("write the amount as a number, e.g. 150.00"),
    "too_many_decimals": N_("write the amount with at most 2 decimals, e.g. 150.25"),
    "missing_value": N_("this is empty"),
    "wrong_column_count": N_("this line has the wrong number of columns"),
    "invalid_encoding": N_("the file is not UTF-8 text: save it as CSV UTF-8 and upload it again"),
    "empty_claim": N_("the file has a header but no lines"),
    "no_lines": N_("fill in at least one line"),
    "no_file": N_("choose the CSV file to upload"),
    "invalid_period": N_("the period ends before it starts"),
    "invalid_month": N_("write the month as 2026-03"),
    "invalid_placement": N_("choose the placement (its id starts with plc_)"),
    "invalid_kind": N_("write wage or bonus"),
    "invalid_hours": N_("write the hours worked as a number, e.g. 152.5"),
    "invalid_boolean": N_("write yes or no"),
}

# A refusal of a form or a file, by its code, when the service's sentence is not in the page's language.
REFUSALS = {
    # submitting claims and files
    "provider_only": N_("only a provider's users submit claims"),
    "not_an_employer": N_("only an employer's users submit wage-subsidy claims"),
    "invalid_lines": N_("a claim has at least one line and not too many; split a very long file"),
    "invalid_csv": N_("the file has problems: each is listed with its line"),
    "invalid_header": N_("the first line must be the header of the example file"),
    "date_out_of_range": N_("the date is outside the range allowed"),
    "end_date_while_employed": N_(
        "give the last day of employment only when the person is no longer employed"
    ),
    "invalid_end_date": N_(
        "the last day of employment must lie in the month claimed and not before the start"
    ),
    "period_in_future": N_("the period has not ended yet: claim it once it has"),
    "idempotency_key_reused": N_(
        "this form was already sent with other values: reload the page and send it again"
    ),
    "idempotency_request_in_progress": N_(
        "this form is still being processed: wait a moment and reload the page"
    ),
    "invalid_idempotency_key": N_("the request's idempotency key is malformed"),
    # vouchers
    "invalid_dates": N_("the last day of validity is before the first"),
    "validity_too_long": N_("a voucher is valid for at most 366 days"),
    "not_a_voucher_decision": N_("this decision is of a programme that gives no voucher"),
    "decision_not_eligible": N_("the decision found the case not eligible"),
    "decision_without_participant": N_("the decision was not made for a registered participant"),
    "stipend_transport_only": N_("only transport vouchers can be paid as a stipend"),
    "stipend_without_provider": N_("a voucher paid as a stipend names no provider"),
    "child_required": N_("choose the child the childcare voucher is for"),
    "child_not_in_household": N_("the child is not in the participant's household"),
    "child_not_in_decision": N_("the decision was not made for this child"),
    "child_not_eligible": N_("the decision found this child not eligible"),
    "decision_already_used": N_("this decision already gave a voucher for this child"),
    "decision_repeated": N_("the same decision and child appear twice"),
    "provider_wrong_service": N_("the provider chosen does not give this voucher's service"),
    "voucher_closed": N_("the voucher is no longer open: it expired, was revoked or is used up"),
    "invalid_code": N_("the voucher code is mistyped: check its characters"),
    # wage subsidies
    "placement_not_open": N_("the placement already has an agreement or has ended"),
    "not_eligible": N_("the wage-subsidy rule does not allow this agreement"),
    "already_ended": N_("the employment already ended on another date"),
    # approvals
    "not_an_approver": N_("only finance officers and approvers approve or reject"),
    "four_eyes": N_("whoever submitted or prepared it cannot approve or reject it"),
    "already_approved_by_you": N_(
        "you approved this already: the second approval must come from someone else"
    ),
    "selection_differs": N_("the second approver must approve the same lines as the first"),
    "approval_closed": N_("this approval was already decided"),
    "claim_decided": N_("the claim is already approved, partly approved or rejected"),
    "not_payable_lines": N_("a line chosen is not a payable line of the claim"),
    # any request (the error page)
    "form_expired": N_(
        "the form has expired or was not sent from this site: reload the page and send it again"
    ),
    "forbidden": N_("your role does not allow this"),
    "conflict": N_("the request conflicts with existing data; reload and retry"),
    "bad_request": N_("the request could not be read"),
    "request_too_large": N_("the file or form is too large"),
    "unsupported_media_type": N_("this kind of file or form is not accepted here"),
    "method_not_allowed": N_("this address does not accept this kind of request"),
    "internal_error": N_("something went wrong on our side; it has been logged"),
}

FIELDS = {
    "voucher_code": N_("voucher code"),
    "child_birth_date": N_("child's date of birth"),
    "service_start": N_("first day of service"),
    "service_end": N_("last day of service"),
    "days_attended": N_("days attended"),
    "amount": N_("amount"),
    "period_start": N_("first day of the period"),
    "period_end": N_("last day of the period"),
    "file": N_("file"),
    "month": N_("month"),
    "placement": N_("placement"),
    "gross_wage_paid": N_("gross wage paid"),
    "hours_worked": N_("hours worked"),
    "kind": N_("kind"),
    "still_employed": N_("still employed"),
    "end_date": N_("last day of employment"),
    "from": N_("from"),
    "to": N_("to"),
}

_WHERE = re.compile(r"^line (\d+)(?:\.(\w+))?$")
_LOCATION_PREFIX = re.compile(r"^line \d+(?:, column \w+)?: ")


def end_reason_in_words(end_reason: str) -> str:
    """Why an employment ended: the claim that reported it, in the page's language, or what was written."""
    claim = wage_claims.reported_in_claim(end_reason)
    return _("reported in claim %(claim)s", claim=claim) if claim else end_reason


def role_in_words(role: str) -> str:
    return _(ROLES[role]) if role in ROLES else role.replace("_", " ")


def status_reason_in_words(status: str, reason: str) -> str:
    """Why a voucher is closed: the system's reason in the page's language, or what the person wrote."""
    return _(STATUS_REASONS[status]) if status in STATUS_REASONS else reason


def outcome_in_words(outcome: str) -> str:
    return _(OUTCOMES.get(outcome, outcome))


def status_in_words(status: str) -> str:
    return _(STATUSES.get(status, status.replace("_", " ")))


def reason_in_words(reason: str | None, message: str = "", kind: str = "voucher") -> str:
    """The reason a line of a voucher or wage claim was reduced or rejected. English pages show the
    service's own sentence (it may name dates or amounts); other languages its translation by code."""
    if not reason:
        return ""
    if current_language() == "en" and message:
        return message
    known = REASONS.get(kind, {})
    return _(known[reason]) if reason in known else message or reason


def overpayment_reason_in_words(overpayment: dict) -> str:
    """Why an overpayment was raised, with its months and the end date in the page's language."""
    if overpayment.get("reason_code") == "after_employment_ended":
        return _(
            "subsidy approved for %(months)s after the employment ended on %(date)s",
            months=", ".join(month(m) for m in overpayment["reason_months"]),
            date=day(overpayment["reason_end_date"]),
        )
    return overpayment.get("reason", "")


def where_in_words(param: str | None) -> str:
    """`line 3.amount` as `Line 3, amount`; a form field by its label."""
    if not param:
        return ""
    found = _WHERE.match(param)
    if found:
        line, field = found.groups()
        if field:
            return _("Line %(line)s, %(field)s", line=line, field=_(FIELDS.get(field, field)))
        return _("Line %(line)s", line=line)
    if param == "line 1":
        return _("Line 1")
    return _(FIELDS[param]) if param in FIELDS else param


def refusal_in_words(code: str, message: str = "") -> str:
    """A refusal in the page's language: the service's own sentence on English pages (it may name dates
    or amounts), the sentence of its code in other languages."""
    if current_language() == "en" and message:
        return message
    for table in (REFUSALS, PROBLEMS):
        if code in table:
            return _(table[code])
    return message or code.replace("_", " ")


def error_in_words(error: dict) -> str:
    """The detail of the error page: the service's sentence in English, the sentence of its code in
    other languages, or nothing (the page's own paragraph, in the page's language, says what happened)."""
    code, message = error.get("code") or "", error.get("message") or ""
    if current_language() == "en":
        return message
    return _(REFUSALS[code]) if code in REFUSALS else ""


def problems_in_words(details: Sequence[ErrorDetail]) -> list[tuple[str, str]]:
    """Each problem of a form or file as (where, what is wrong), in the page's language."""
    said = []
    for detail in details:
        if detail.code == "invalid_header":
            what = _("the first line must be the header: %(columns)s", columns=detail.message.split(" ")[-1])
        elif detail.code in PROBLEMS:
            what = _(PROBLEMS[detail.code])
        else:
            what = refusal_in_words(detail.code, _LOCATION_PREFIX.sub("", detail.message))
        said.append((where_in_words(detail.param), what))
    return said


async def paid_this_month(actor: Actor, source_type: str) -> tuple[int, str]:
    """How many of the organisation's claims were paid (settled) this month, and how much."""
    if actor.organisation_public_id is None:
        return 0, money(0)
    first = today().replace(day=1)
    claims_paid: set[str] = set()
    total, currency = Decimal(0), "EUR"
    for payment in await runs.payments_for_payee(actor, actor.organisation_public_id):
        settled: dt.datetime | None = payment["settled_at"]
        if payment["status"] != "paid" or settled is None or settled.date() < first:
            continue
        currency = payment["currency"]
        for line in payment["lines"]:
            if line["source_type"] == source_type:
                claims_paid.add(line["source_id"])
                total += Decimal(line["amount"])
    return len(claims_paid), money(str(total), currency)


def claim_counts(counts: dict[str, int]) -> list[tuple[str, str]]:
    """The dashboard figures every claimant sees: claims waiting for a decision and claims approved."""
    return [
        (_("Claims waiting for approval"), str(sum(counts.get(s, 0) for s in UNDECIDED))),
        (_("Claims approved"), str(sum(counts.get(s, 0) for s in APPROVED))),
    ]
