"""Request and response shapes of the wage subsidy API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

import msgspec

from app.core.schemas import Input, Money, stored_in, text_for
from app.wage_subsidies.tables import Placement

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Month = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="a month, 2026-03")]
Hours = Annotated[float, msgspec.Meta(ge=0, le=744, description="hours, to the hundredth")]


RoleText = text_for(Placement.role)


class PlacementIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "employer": "emp_4e6g8j0k2m4p6r8t",
        "participant": "par_6g8j0k2m4p6r8t0v",
        "role": "Baker's assistant",
        "start_date": "2026-02-02",
        "contracted_weekly_hours": 30,
        "gross_wage": "1800.00",
    }
    employer: Id  # emp_…
    participant: Id  # par_…
    role: RoleText
    start_date: dt.date
    contracted_weekly_hours: Annotated[float, msgspec.Meta(gt=0, le=60)]
    gross_wage: Money  # a month, in the contract


class AgreementIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "fund": "ESF-2026",
        "agreement_date": "2026-02-01",
        "labour_law_declaration_signed": True,
        "layoffs_same_role_last_90_days": False,
        "employed_by_employer_last_12_months": False,
    }
    fund: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    agreement_date: dt.date
    labour_law_declaration_signed: bool
    layoffs_same_role_last_90_days: bool
    employed_by_employer_last_12_months: bool


class SeparationIn(Input):
    example: ClassVar[dict[str, Any]] = {"end_date": "2026-06-30", "reason": "the contract ended"}
    end_date: dt.date  # the last day employed
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500, extra=stored_in(Placement.end_reason))]


class PayrollLineIn(Input):
    placement: Id  # plc_…
    gross_wage: Money  # paid for the month
    hours_worked: Hours
    still_employed: bool = True
    end_date: dt.date | None = None  # the last day employed, when still_employed is false
    kind: Literal["wage", "bonus"] = "wage"  # bonus: the 6- or 12-month retention bonus


class WageClaimIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "period": "2026-03",
        "lines": [{"placement": "plc_8j0k2m4p6r8t0v2x", "gross_wage": "1800.00", "hours_worked": 130.5}],
    }
    period: Month
    lines: Annotated[list[PayrollLineIn], msgspec.Meta(min_length=1, max_length=10_000)]


class RepaymentIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "amount": "300.00",
        "effective_date": "2026-05-04",
        "reference": "BANK-5521",
    }
    amount: Money
    effective_date: dt.date | None = None
    reference: Annotated[str, msgspec.Meta(max_length=64)] = ""


class ScheduledMonthOut(msgspec.Struct):
    month_number: int
    month: dt.date
    rate: str
    amount: str  # a whole month at the contract wage; the hire month is paid pro rata


class ScheduledBonusOut(msgspec.Struct):
    milestone: int
    due: dt.date
    amount: str


class AgreementOut(msgspec.Struct):
    id: str
    decision: str
    fund: str
    programme: str
    agreement_date: dt.date
    hire_date: dt.date
    months: int
    status: str
    end_date: dt.date | None
    max_total: str
    expended: str
    released: str
    schedule: list[ScheduledMonthOut]  # what the rule pays, month by month
    bonuses: list[ScheduledBonusOut]


class PlacementOut(msgspec.Struct):
    id: str
    employer: str
    participant: str
    role: str
    start_date: dt.date
    contracted_weekly_hours: float
    gross_wage: str
    currency: str
    status: str
    end_date: dt.date | None
    end_reason: str
    agreement: AgreementOut | None


class WageClaimLineOut(msgspec.Struct):
    line: int
    placement: str
    agreement: str | None
    kind: str
    month_number: int
    gross_wage: str
    hours_worked: float
    still_employed: bool
    end_date: dt.date | None
    employed_days: int
    accepted: str
    approved: str
    outcome: str
    reason: str | None
    message: str


class WageClaimSummaryOut(msgspec.Struct):
    id: str
    employer: str
    period_start: dt.date
    period_end: dt.date
    status: str
    source: str
    currency: str
    accepted: str
    approved: str
    offset: str  # kept back to recover overpayments


class WageClaimOut(WageClaimSummaryOut):
    decided_reason: str
    lines: list[WageClaimLineOut]


class RecoveryOut(msgspec.Struct):
    method: str
    amount: str
    claim: str | None
    reference: str
    at: dt.datetime


class OverpaymentOut(msgspec.Struct):
    id: str
    employer: str
    agreement: str
    currency: str
    amount: str
    disallowed: str
    receivable: str
    recovered: str
    outstanding: str
    status: str
    reason: str
    recoveries: list[RecoveryOut]


class BalanceOut(msgspec.Struct):
    employer: str
    currency: str
    owed_to_employer: str
    owed_by_employer: str
    overpayments: list[OverpaymentOut]
