"""Voucher tables. A voucher's code is a credential: stored sealed, found by a keyed hash."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Voucher(Table, tablename="voucher"):
    public_id = Varchar(length=32, unique=True)  # vch_…
    kind = Varchar(length=20)  # childcare | transport
    # the eligibility decision it was issued from (dec_…); unique with `child` (a raw index, see the
    # migration vouchers_2026_12_02t02_00_00): a family decision gives one voucher per child covered
    decision = Varchar(length=32)
    participant = Varchar(length=32, index=True)  # par_…
    child = Varchar(length=32, null=True, default=None)  # chd_… (childcare)
    provider = Varchar(length=32, null=True, default=None, index=True)  # prv_… chosen provider, if any
    mode = Varchar(length=10, default="provider")  # provider (claimed by a provider) | stipend (paid to her)
    fund = Varchar(length=32)
    programme = Varchar(length=32)  # ledger programme code
    currency = Varchar(length=3)
    period = Varchar(length=10)  # week | month
    value_minor = BigInt()  # per period
    authorised_hours = Integer(default=0)  # per period, in hundredths of an hour (childcare)
    valid_from = Date()
    valid_until = Date()
    total_minor = BigInt()  # committed in the ledger at issuance
    claimed_minor = BigInt(default=0)
    released_minor = BigInt(default=0)
    status = Varchar(length=20, default="active", index=True)
    status_reason = Text(default="")
    revoked_on = Date(null=True, default=None)  # service from this day on is not paid; earlier service is
    code_index = Varchar(length=64, unique=True)  # keyed hash of the code
    code_sealed = Text()
    holder_check = Varchar(length=64)  # keyed hash of voucher id + the holder's date of birth
    batch = Varchar(length=32, null=True, default=None, index=True)
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Claim(Table, tablename="voucher_claim"):
    """A provider's claim for a service period: lines against vouchers, each judged on submission."""

    public_id = Varchar(length=32, unique=True)  # clm_…
    provider = Varchar(length=32, index=True)  # the provider's organisation (prv_…)
    period_start = Date()
    period_end = Date()
    status = Varchar(length=20, default="submitted", index=True)
    source = Varchar(length=10, default="api")  # api | csv
    currency = Varchar(length=3, default="EUR")
    claimed_minor = BigInt(default=0)
    accepted_minor = BigInt(default=0)
    approved_minor = BigInt(default=0)
    decided_reason = Text(default="")
    submitted_by = Varchar(length=32, default="")
    submitted_at = Timestamptz(default=TimestamptzNow())


class ClaimLine(Table, tablename="voucher_claim_line"):
    claim = Varchar(length=32, index=True)  # clm_…
    line_no = Integer()
    voucher = Varchar(length=32, null=True, default=None, index=True)  # vch_…, None when the code is unknown
    service_start = Date()
    service_end = Date()
    days_attended = Integer()
    amount_claimed_minor = BigInt()
    amount_accepted_minor = BigInt(default=0)
    amount_approved_minor = BigInt(default=0)
    outcome = Varchar(length=10)  # accepted | reduced | rejected
    reason = Varchar(length=40, default="")
    reasons = Text(default="")  # every check the line failed, comma-separated, `reason` first
    message = Text(default="")


class StipendPayment(Table, tablename="voucher_stipend_payment"):
    """A month of a transport voucher paid to the participant as a stipend (a payable to her)."""

    voucher = Varchar(length=32, index=True)
    month = Date()  # the first day of the month paid
    amount_minor = BigInt()
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
