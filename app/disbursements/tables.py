"""Disbursement tables. Amounts are integer minor units. Composite and partial unique indexes (one live
instruction line per payable, one pending and one confirmed detail per payee) are raw migration steps."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PaymentDetail(Table, tablename="payment_detail"):
    """How a payee is paid: a Stripe Connect account, or a bank account (IBAN, BIC, holder). A change is a
    new row, pending until a second person confirms it; the confirmed row before it is then superseded."""

    public_id = Varchar(length=32, unique=True)  # pmd_…
    payee = Varchar(length=32, index=True)  # prv_…, emp_… or par_…
    payee_kind = Varchar(length=12)  # provider | employer | participant
    method = Varchar(length=10)  # stripe | sepa
    stripe_account = Varchar(length=64, default="")
    bank = Text(default="")  # {"iban", "bic", "holder"}: sealed for a participant, JSON for an organisation
    sealed = Boolean(default=False)
    masked = Varchar(length=64, default="")  # what screens show: DE89 …3000, acct_…9xyz
    status = Varchar(length=12, default="pending", index=True)  # pending | confirmed | superseded | rejected
    reason = Text(default="")
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    decided_by = Varchar(length=32, default="")
    decided_at = Timestamptz(null=True, default=None)


class PaymentPayee(Table, tablename="payment_payee"):
    """A payee's payments paused (or resumed) by a finance officer, with the reason."""

    payee = Varchar(length=32, unique=True)
    paused = Boolean(default=False)
    reason = Text(default="")
    updated_by = Varchar(length=32, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class PaymentRun(Table, tablename="payment_run"):
    """Approved, unpaid payables gathered for one pay date: one instruction per payee."""

    public_id = Varchar(length=32, unique=True)  # prn_…
    programme = Varchar(length=32, null=True, default=None)  # None: every programme
    currency = Varchar(length=3)
    pay_date = Date()
    status = Varchar(length=20, index=True)  # pending_approval | approved | releasing | released | cancelled
    total_minor = BigInt(default=0)
    instructions = Integer(default=0)
    left_out = Integer(default=0)
    file_size = Integer(default=0)  # transactions per SEPA file, fixed at release
    created_by = Varchar(length=32)
    created_at = Timestamptz(default=TimestamptzNow())
    released_by = Varchar(length=32, default="")
    released_at = Timestamptz(null=True, default=None)
    lease_token = Varchar(length=32, default="")  # who is sending to Stripe now
    lease_until = Timestamptz(null=True, default=None)
    reason = Text(default="")


class PaymentInstruction(Table, tablename="payment_instruction"):
    """One payment to one payee. Never edited after a failure: a follow-up instruction pays again."""

    public_id = Varchar(length=32, unique=True)  # pin_…: EndToEndId on the wire, Stripe metadata
    run = Varchar(length=32, index=True)
    payee = Varchar(length=32, index=True)
    payee_kind = Varchar(length=12)
    payee_name = Varchar(length=200, default="")
    method = Varchar(length=10)  # stripe | sepa
    detail = Varchar(length=32)  # the confirmed payment detail it pays to (pmd_…)
    currency = Varchar(length=3)
    amount_minor = BigInt()
    state = Varchar(length=12, index=True)
    reason_code = Varchar(length=40, default="")
    reason = Text(default="")
    attempt = Integer(default=0)
    idempotency_key = Varchar(length=80, default="")  # stored before each Stripe call
    # transfer_id, destination_payment and message_id are indexed where set (partial indexes, raw migration
    # steps): look them up with `AND column <> ''` so a prepared statement's generic plan uses them too.
    transfer_id = Varchar(length=64, default="")  # tr_…
    destination_payment = Varchar(length=64, default="")  # py_… in the connected account
    file_seq = Integer(default=0)
    message_id = Varchar(length=35, default="")  # the pain.001 MsgId carrying it
    submit_entries = Text(default="")  # ledger entry positions, comma separated
    settle_entries = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    settled_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)


class PaymentLine(Table, tablename="payment_line"):
    """A payable (per fund x programme) paid by an instruction. `live` until the instruction ends by an
    exit (cancelled, rejected, failed, returned); a unique index allows one live line per payable."""

    instruction = Varchar(length=32, index=True)
    run = Varchar(length=32)
    payable = Varchar(length=80)  # indexed by raw steps: unique where live, and where ended
    source_type = Varchar(length=20)
    source_id = Varchar(length=64)
    fund = Varchar(length=32)
    programme = Varchar(length=32)
    amount_minor = BigInt()
    period_end = Date()
    live = Boolean(default=True)
    retry_of = Varchar(length=32, null=True, default=None)  # the failed or returned instruction before


class PaymentLeftOut(Table, tablename="payment_left_out"):
    """A payee with payables that a run did not pay, and why."""

    run = Varchar(length=32, index=True)
    payee = Varchar(length=32)
    reason_code = Varchar(length=40)
    reason = Text()
    amount_minor = BigInt(default=0)
    payables = Integer(default=0)


class PaymentFile(Table, tablename="payment_file"):
    """A pain.001 message of a run: its id and creation time are fixed at release, so it regenerates
    byte for byte."""

    run = Varchar(length=32, index=True)
    seq = Integer()
    message_id = Varchar(length=35, unique=True)
    transactions = Integer()
    total_minor = BigInt()
    debtor = Text()  # {"name", "iban", "bic"} paid from, as at release
    created_at = Timestamptz()


class PaymentStatusReport(Table, tablename="payment_status_report"):
    """An imported pain.002 status report (importing the same file again changes nothing)."""

    public_id = Varchar(length=32, unique=True)  # psr_…
    digest = Varchar(length=64, unique=True)  # SHA-256 of the file
    message_id = Varchar(length=35)
    original_message_id = Varchar(length=35, index=True)
    summary = Text(default="")
    imported_by = Varchar(length=32, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class StripeEvent(Table, tablename="stripe_event"):
    """The webhook inbox: each Stripe event id is processed once."""

    event_id = Varchar(length=64, unique=True)
    event_type = Varchar(length=64)
    object_id = Varchar(length=64, default="")
    outcome = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())
