"""Ledger tables. Entries and postings are only ever inserted; balances are kept beside them."""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Fund(Table, tablename="ledger_fund"):
    """Where money comes from: a donor's grant, a government appropriation."""

    public_id = Varchar(length=32, unique=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    currency = Varchar(length=3)
    created_at = Timestamptz(default=TimestamptzNow())


class Programme(Table, tablename="ledger_programme"):
    """What money is for: childcare vouchers, transport, wage subsidies."""

    public_id = Varchar(length=32, unique=True)
    code = Varchar(length=32, unique=True)
    name = Varchar(length=200)
    currency = Varchar(length=3)
    created_at = Timestamptz(default=TimestamptzNow())


class ChartAccount(Table, tablename="ledger_chart"):
    """An account code of the chart of accounts (data, seeded by `grants init`)."""

    code = Varchar(length=10, unique=True)
    name = Varchar(length=100)
    account_type = Varchar(length=20)  # asset, liability, net_position, revenue, expense, budgetary
    track = Varchar(length=10)  # financial or budgetary
    normal_side = Varchar(length=6)  # debit or credit
    non_negative = Boolean(default=False)  # its balance may never cross to the other side
    has_party = Boolean(default=False)  # kept per provider, employer or participant
    beancount_name = Varchar(length=100)


class Account(Table, tablename="ledger_account"):
    """A chart code for one fund x programme (and party): what balances are kept for."""

    chart = ForeignKey(references=ChartAccount, null=False, on_delete=OnDelete.restrict)
    fund = ForeignKey(references=Fund, null=False, on_delete=OnDelete.restrict)
    programme = ForeignKey(references=Programme, null=False, on_delete=OnDelete.restrict)
    party = Varchar(length=40, default="")
    currency = Varchar(length=3)
    balance = BigInt(default=0)  # debit positive, in minor units; kept in the posting transaction
    created_at = Timestamptz(default=TimestamptzNow())


class Entry(Table, tablename="ledger_entry"):
    """A journal entry. `id` is its position in the hash chain, assigned under the ledger head lock."""

    id = BigInt(primary_key=True)
    idempotency_key = Varchar(length=120, unique=True)
    request_hash = Varchar(length=64)
    kind = Varchar(length=20)
    effective_date = Date()
    description = Text(default="")
    reference_type = Varchar(length=30, default="")
    reference_id = Varchar(length=64, default="", index=True)
    reverses = BigInt(null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = Varchar(length=64)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class Posting(Table, tablename="ledger_posting"):
    """One leg of an entry: an amount (debit positive) on one account.

    `entry` and `account` carry no foreign-key constraints: their per-row triggers cost 2.2 s per 200,000
    postings, most of a bulk posting's time. Postings are written only by app/ledger/posting.py, which
    resolves accounts and inserts entries in the same transaction and checks the references set-wise;
    the append-only triggers forbid later changes, and `grants ledger verify` reports any orphan."""

    id = BigInt(primary_key=True)
    entry = BigInt()
    account = Integer()
    amount = BigInt()
    currency = Varchar(length=3)
    effective_date = Date()  # copied from the entry so point-in-time balances need no join


class LedgerHead(Table, tablename="ledger_head"):
    """One row: the end of the hash chain. Every posting transaction locks it, so entries are chained
    in commit order and balance checks never race."""

    last_seq = BigInt(default=0)
    last_hash = Varchar(length=64, default="0" * 64)
    last_posting_id = BigInt(default=0)


class ClosedPeriod(Table, tablename="ledger_closed_period"):
    month = Date(unique=True)  # first day of the closed month
    closed_at = Timestamptz(default=TimestamptzNow())
    closed_by = Varchar(length=64)


class CostKey(Table, tablename="ledger_cost_key"):
    """A pooled programme's cost-sharing key from a date on (app/ledger/pooled.py): pro rata to each
    fund's contributions, or fixed shares. Append-only: a change is a new row; for one programme and
    date the latest row counts."""

    programme = Varchar(length=32, index=True)
    effective_from = Date()
    method = Varchar(length=20)  # pro_rata | shares
    shares = Text(default="{}")  # JSON {fund: weight} for `shares`
    reason = Text(default="")
    created_by = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
