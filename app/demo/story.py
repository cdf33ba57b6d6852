"""The demo's story: the months before the day it is seeded, played through the same services the pages and
the API use, by the demo users, so that every user finds work in their queue and its history behind it.

- Childcare: households decided (one not eligible), a voucher issued per eligible family, one revoked. The
  first provider's claim for the month before last was approved and paid by a payment run; its claim for
  last month waits for approval, one line rejected (the child's date of birth does not match).
- Wage subsidies: the first employer's two hires with monthly claims approved and paid; one of them left
  early, so a month was paid for nothing: an overpayment, partly repaid, being recovered; last month's claim
  waits for approval. The second employer's cohort of eleven hires claims above the second-approver limit:
  one approver has approved, the second is awaited.
- Payments: one run per programme, prepared, approved and released by three different people to SEPA
  files, settled by the bank's status report (made here, as the bank would send it). Approved after
  those runs, and waiting for the next one: the provider's late claim for a fourth child, and the
  third employer's first claim (a driver hired last month). The second employer's own change of bank
  details waits for a second person's confirmation.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.actor import Actor
from app.core.money import to_minor
from app.core.users import actor_for_email
from app.demo.people import LOGINS, Family, demo_email, month_start
from app.disbursements import details, release, runs, status_import
from app.eligibility import registry_input
from app.eligibility import service as eligibility
from app.registry import organisations
from app.vouchers import claims as voucher_claims
from app.vouchers import service as vouchers
from app.wage_subsidies import placements, separation, wage_claims

Progress = Callable[[str, int], None]
FUND = "ESF-2026"
# The account the demo's bank files pay from (a valid test IBAN); set only when the operator set none.
DEMO_DEBTOR = {
    "GRANTS_SEPA_DEBTOR_NAME": "Demo Programme Office",
    "GRANTS_SEPA_DEBTOR_IBAN": "DE89370400440532013000",
    "GRANTS_SEPA_DEBTOR_BIC": "COBADEFFXXX",
}


def use_demo_bank_account() -> None:
    for name, value in DEMO_DEBTOR.items():
        os.environ.setdefault(name, value)


@dataclass(frozen=True)
class Cast:
    """The demo users as actors, by their e-mail's local part (`caseworker`, `approver.2` …)."""

    actors: dict[str, Actor]

    @classmethod
    async def load(cls) -> Cast:
        return cls({login.email: await actor_for_email(demo_email(login)) for login in LOGINS})

    def __getitem__(self, name: str) -> Actor:
        return self.actors[name]


@dataclass(frozen=True)
class IssuedVoucher:
    id: str
    code: str
    child_birth_date: dt.date
    weekly_minor: int


def _days(start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=days)


def _month_end(first: dt.date) -> dt.date:
    return month_start(first, -1) - dt.timedelta(days=1)


def _weekdays(first: dt.date, last: dt.date) -> int:
    return sum(1 for n in range((last - first).days + 1) if _days(first, n).weekday() < 5)


# --- childcare ---------------------------------------------------------------------------------------


async def decide_and_issue(
    cast: Cast, chosen: list[Family], provider: str, today: dt.date, progress: Progress
) -> list[IssuedVoucher]:
    """Childcare decided three months ago for households with one child; a 26-week voucher for each
    eligible one, at the first provider. The last family's parent is not in training: not eligible. The
    last voucher is revoked; returns the others."""
    caseworker = cast["caseworker"]
    start = month_start(today, 3)
    issued = []
    for n, family in enumerate(chosen):
        in_training = n < len(chosen) - 1
        case = await registry_input.household_case(caseworker, "childcare_voucher", family.household)
        for member in case["members"]:
            if member["role"] == "parent":
                member |= {
                    "activity": "training" if in_training else "none",
                    "weekly_activity_hours": 20 if in_training else 0,
                    "activity_start": month_start(today, 4).isoformat(),
                    "monthly_income": "1350.00",
                }
            else:
                member["weekly_care_hours"] = 30
        decision = await eligibility.evaluate(
            caseworker, "childcare_voucher", case, as_of=start, participant=family.participant
        )
        progress("childcare decisions and vouchers", 1)
        if not decision["eligible"]:
            continue
        request = vouchers.IssueRequest(
            decision["id"],
            FUND,
            start,
            _days(start, 26 * 7 - 1),
            child=family.children[0].id,
            provider=provider,
        )
        voucher = (await vouchers.issue_many(caseworker, [request]))[0]
        born = dt.date.fromisoformat(str(family.children[0].personal["date_of_birth"]))
        weekly = to_minor(voucher["value"], voucher["currency"])
        issued.append(IssuedVoucher(voucher["id"], voucher["code"], born, weekly))
    await vouchers.revoke(caseworker, issued[-1].id, "the family moved out of the programme's area", today)
    return issued[:-1]


def _claim_line(voucher: IssuedVoucher, first: dt.date, born: dt.date | None = None) -> voucher_claims.LineIn:
    """A month's attendance on every weekday, at the voucher's weekly value for each week begun."""
    last = _month_end(first)
    days = _weekdays(first, last)
    amount = voucher.weekly_minor * -(-days // 5)
    return voucher_claims.LineIn(
        voucher.code, born or voucher.child_birth_date, first, last, days, f"{amount / 100:.2f}"
    )


async def provider_claims(cast: Cast, issued: list[IssuedVoucher], today: dt.date) -> tuple[str, str]:
    """The month before last claimed early last month and approved; last month claimed today, with one line
    giving the wrong date of birth. Returns (approved claim, waiting claim)."""
    provider, finance = cast["provider"], cast["finance.officer"]
    before_last, last = month_start(today, 2), month_start(today, 1)
    submitted = _days(last, 2)
    paid = await voucher_claims.submit(
        provider,
        before_last,
        _month_end(before_last),
        [_claim_line(v, before_last) for v in issued[:3]],
        submitted,
    )
    await voucher_claims.approve(finance, paid["id"], None, _days(submitted, 2))
    wrong_birth = _days(issued[1].child_birth_date, 1)
    waiting_lines = [
        _claim_line(issued[0], last),
        _claim_line(issued[1], last, wrong_birth),
        _claim_line(issued[2], last),
    ]
    waiting = await voucher_claims.submit(provider, last, _month_end(last), waiting_lines, today)
    return paid["id"], waiting["id"]


# --- wage subsidies ----------------------------------------------------------------------------------


async def _hire(
    caseworker: Actor, employer: str, participant: str, role: str, hired: dt.date, wage: str
) -> str:
    hire = placements.PlacementIn(employer, participant, role, hired, 4_000, wage)
    placement = await placements.create_placement(caseworker, hire)
    terms = placements.AgreementIn(FUND, _days(hired, -5), True, False, False)
    await placements.sign_agreement(caseworker, placement["id"], terms)
    return placement["id"]


async def _claim_month(employer: Actor, month: dt.date, wages: list[tuple[str, str]]) -> str:
    """The employer's payroll claim for `month`, sent five days after it ended: 160 hours each."""
    lines = [wage_claims.PayrollIn(placement, wage, 16_000) for placement, wage in wages]
    claim = await wage_claims.submit(employer, month, lines, _days(_month_end(month), 5))
    return claim["id"]


async def first_employer(cast: Cast, employer: str, hires: tuple[str, str], today: dt.date) -> str:
    """Two hires: a baker from eight months ago, a counter assistant from five; each month claimed early
    the next and approved. Returns the last claim's id, which waits for approval."""
    caseworker, staff, finance = cast["caseworker"], cast["employer"], cast["finance.officer"]
    await organisations.verify_employer(caseworker, employer)
    baker = await _hire(caseworker, employer, hires[0], "Baker's assistant", month_start(today, 8), "1800.00")
    counter = await _hire(
        caseworker, employer, hires[1], "Counter assistant", month_start(today, 5), "1500.00"
    )
    for back in range(8, 1, -1):
        month = month_start(today, back)
        wages = [(baker, "1800.00")] + ([(counter, "1500.00")] if back <= 5 else [])
        claim = await _claim_month(staff, month, wages)
        await wage_claims.approve(finance, claim, None, _days(_month_end(month), 10))
    return await _claim_month(staff, month_start(today, 1), [(baker, "1800.00")])


async def counter_assistant_left(cast: Cast, employer: str, today: dt.date) -> str:
    """After the months were paid, the employer reports the counter assistant left at the end of her third
    month: the fourth was paid for nothing. She repays part of it. Returns the overpayment's id."""
    staff = cast["employer"]
    rows, _ = await placements.list_placements(staff, None, 10, None)
    counter = next(p for p in rows if p["role"] == "Counter assistant")
    left = _month_end(month_start(today, 3))
    await separation.end_employment(staff, counter["id"], left, "resigned", today)
    balance = await separation.balance(staff, employer)
    overpayment = balance["overpayments"][0]
    await separation.record_repayment(
        cast["finance.officer"], overpayment["id"], "400.00", today, "bank transfer from the employer"
    )
    return overpayment["id"]


async def cohort(cast: Cast, employer: str, people: list[str], today: dt.date) -> str:
    """Eleven care assistants hired on the first of last month: their claim is above the second-approver
    limit; the first approver has approved it. Returns its id."""
    caseworker = cast["caseworker"]
    await organisations.verify_employer(caseworker, employer)
    hired = month_start(today, 1)
    ids = [await _hire(caseworker, employer, p, "Care assistant", hired, "1600.00") for p in people]
    lines = [wage_claims.PayrollIn(p, "1600.00", 16_000) for p in ids]
    claim = await wage_claims.submit(cast["employer.2"], hired, lines, today)
    await wage_claims.approve(cast["approver"], claim["id"], None, today)
    return claim["id"]


# --- approved since the last payment runs --------------------------------------------------------


async def late_provider_claim(cast: Cast, issued: list[IssuedVoucher], today: dt.date) -> str:
    """The provider's late claim for a fourth child's month before last, sent and approved today, after
    the month's payment run: it waits for the next run. Returns its id. (The fifth voucher is unused.)"""
    month = month_start(today, 2)
    lines = [_claim_line(issued[3], month)]
    claim = await voucher_claims.submit(cast["provider"], month, _month_end(month), lines, today)
    await voucher_claims.approve(cast["finance.officer"], claim["id"], None, today)
    return claim["id"]


async def third_employer(cast: Cast, employer: str, driver: str, today: dt.date) -> str:
    """A delivery driver hired on the first of last month; that month's claim, sent and approved today,
    waits for the next payment run. Returns its id."""
    caseworker = cast["caseworker"]
    await organisations.verify_employer(caseworker, employer)
    hired = month_start(today, 1)
    placement = await _hire(caseworker, employer, driver, "Delivery driver", hired, "1700.00")
    lines = [wage_claims.PayrollIn(placement, "1700.00", 16_000)]
    claim = await wage_claims.submit(cast["employer.3"], hired, lines, today)
    await wage_claims.approve(cast["finance.officer"], claim["id"], None, today)
    return claim["id"]


# --- paying ------------------------------------------------------------------------------------------


async def bank_details(cast: Cast, payees: dict[str, str]) -> None:
    """Each payee's bank account (by id, with the holder's name), entered by finance and confirmed by an
    approver."""
    from schwifty import IBAN

    for n, (payee, holder) in enumerate(sorted(payees.items()), start=1):
        iban = IBAN.generate("DE", bank_code="37040044", account_code=f"{532013000 + n:010d}").compact
        made = await details.propose(cast["finance.officer"], payee, "sepa", iban=iban, holder=holder)
        await details.confirm(cast["approver"], made["id"])


async def details_entered_by_payee(cast: Cast, employer: str, holder: str) -> str:
    """The second employer enters its own bank account; it waits for a second person to confirm it (and
    until then the employer is left out of payment runs). Returns the change's id."""
    from schwifty import IBAN

    iban = IBAN.generate("DE", bank_code="37040044", account_code=f"{532013100:010d}").compact
    made = await details.propose(cast["employer.2"], employer, "sepa", iban=iban, holder=holder)
    return made["id"]


async def pay(cast: Cast, programme: str, today: dt.date) -> dict[str, Any]:
    """A run for the programme's approved claims: prepared, approved (two approvers when its value needs
    them), released to a SEPA file by a third person, and settled by the bank's report on that file."""
    made = await runs.create_run(cast["finance.officer"], programme, today)
    for approver in ("approver", "approver.2")[: made["approvers_required"]]:
        await runs.approve_run(cast[approver], made["id"])
    released = await release.release_run(cast["finance.officer.2"], made["id"])
    for file in released["files"]:
        await status_import.import_status(cast["finance.officer"], bank_report(file["message_id"]))
    return await runs.get_run(cast["finance.officer"], made["id"])


def bank_report(message: str) -> bytes:
    """A pain.002 settling every transaction of the pain.001 file `message` (group status ACSC), as the
    bank answers a file it paid."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>STS-{message}</MsgId><CreDtTm>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}</CreDtTm>"
        f"</GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{message}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>ACSC</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{message}-1</OrgnlPmtInfId></OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>\n"
    ).encode()
