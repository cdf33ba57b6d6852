"""Wage subsidy tables. Amounts are integer minor units; hours are hundredths of an hour."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Placement(Table, tablename="wage_placement"):
    """A participant hired by an employer: the job the subsidy pays for."""

    public_id = Varchar(length=32, unique=True)  # plc_…
    employer = Varchar(length=32, index=True)  # emp_…
    participant = Varchar(length=32, index=True)  # par_…
    role = Varchar(length=120)
    start_date = Date()
    contracted_hours = Integer()  # a week, in hundredths of an hour
    gross_wage_minor = BigInt()  # a month, in the contract
    currency = Varchar(length=3, default="EUR")
    status = Varchar(length=20, default="proposed", index=True)  # proposed | agreed | ended
    end_date = Date(null=True, default=None)
    end_reason = Text(default="")
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Agreement(Table, tablename="wage_agreement"):
    """The signed subsidy agreement for a placement: its maximum total is committed in the ledger."""

    public_id = Varchar(length=32, unique=True)  # agr_…
    placement = Varchar(length=32, unique=True)  # plc_…
    employer = Varchar(length=32, index=True)
    participant = Varchar(length=32)
    decision = Varchar(length=32)  # the stored wage_subsidy decision (dec_…)
    fund = Varchar(length=32)
    programme = Varchar(length=32)  # ledger programme code
    currency = Varchar(length=3)
    agreement_date = Date()
    hire_date = Date()
    months = Integer(default=12)  # subsidised months of employment
    contracted_hours = Integer()  # a week, hundredths of an hour
    layoffs_same_role = Boolean(default=False)
    labour_law_declaration = Boolean(default=True)
    employed_last_12_months = Boolean(default=False)
    max_total_minor = BigInt()  # committed at signing
    expended_minor = BigInt(default=0)  # approved claim lines
    released_minor = BigInt(default=0)  # commitment given back (after a separation)
    status = Varchar(length=20, default="active", index=True)  # active | ended
    end_date = Date(null=True, default=None)
    signed_by = Varchar(length=32, default="")
    signed_at = Timestamptz(default=TimestamptzNow())


class WageClaim(Table, tablename="wage_claim"):
    """An employer's monthly claim: payroll evidence per employee, each line judged on submission."""

    public_id = Varchar(length=32, unique=True)  # wcl_…
    employer = Varchar(length=32, index=True)
    period_start = Date()  # the first day of the calendar month claimed
    period_end = Date()
    status = Varchar(length=20, default="submitted", index=True)
    source = Varchar(length=10, default="api")  # api | csv
    currency = Varchar(length=3, default="EUR")
    accepted_minor = BigInt(default=0)
    approved_minor = BigInt(default=0)
    offset_minor = BigInt(default=0)  # of the approved amount, kept to recover overpayments
    decided_reason = Text(default="")
    submitted_by = Varchar(length=32, default="")
    submitted_at = Timestamptz(default=TimestamptzNow())


class WageClaimLine(Table, tablename="wage_claim_line"):
    claim = Varchar(length=32, index=True)  # wcl_…
    line_no = Integer()
    placement_ref = Varchar(length=32)  # as the employer wrote it
    agreement = Varchar(length=32, null=True, default=None, index=True)  # None when none is shown
    kind = Varchar(length=10, default="wage")  # wage | bonus
    month_number = Integer(default=0)  # of the employment (the hire month is 1); the milestone for a bonus
    gross_wage_minor = BigInt(default=0)
    hours_worked = Integer(default=0)  # hundredths of an hour
    still_employed = Boolean(default=True)
    end_date = Date(null=True, default=None)
    employed_days = Integer(default=0)  # days of the month in employment, as claimed
    amount_accepted_minor = BigInt(default=0)
    amount_approved_minor = BigInt(default=0)
    outcome = Varchar(length=10)  # accepted | reduced | rejected
    reason = Varchar(length=40, default="")
    message = Text(default="")


class Overpayment(Table, tablename="wage_overpayment"):
    """Subsidy approved for time after the employment ended. What was not paid yet is disallowed at once;
    what was paid is a receivable, recovered by offset against the next approved claims or by repayment."""

    public_id = Varchar(length=32, unique=True)  # ovp_…
    employer = Varchar(length=32, index=True)
    agreement = Varchar(length=32, index=True)
    fund = Varchar(length=32)
    programme = Varchar(length=32)
    currency = Varchar(length=3)
    amount_minor = BigInt()  # approved but not due
    disallowed_minor = BigInt(default=0)  # not paid yet: taken off what is owed to the employer
    receivable_minor = BigInt(default=0)  # paid: owed back by the employer
    recovered_minor = BigInt(default=0)
    status = Varchar(length=20, default="open", index=True)  # open | recovered
    reason = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class Recovery(Table, tablename="wage_recovery"):
    overpayment = Varchar(length=32, index=True)  # ovp_…
    method = Varchar(length=10)  # offset | repayment
    amount_minor = BigInt()
    claim = Varchar(length=32, null=True, default=None)  # the claim it was offset against
    reference = Varchar(length=64, default="")
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
