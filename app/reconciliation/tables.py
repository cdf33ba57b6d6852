"""Reconciliation tables: imported statements and their bookings, matches of bookings to payment
instructions, exceptions (the queue people work), and the results of each run of the checks. Amounts are
integer minor units. Composite and partial unique indexes are raw migration steps (SQLite)."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class BankStatementFile(Table, tablename="recon_statement"):
    """An imported camt.053 statement or camt.054 notification. The same file again changes nothing."""

    public_id = Varchar(length=32, unique=True)  # stm_…
    kind = Varchar(length=10)  # camt.053 | camt.052 | camt.054
    account = Varchar(length=40, index=True)  # the IBAN
    statement_id = Varchar(length=64)  # Stmt/Id or Ntfctn/Id
    sequence = BigInt(null=True, default=None)  # ElctrncSeqNb
    message_id = Varchar(length=64, default="")
    currency = Varchar(length=3)
    opening_minor = BigInt(null=True, default=None)
    closing_minor = BigInt(null=True, default=None)
    closing_date = Date(null=True, default=None)
    entries = Integer(default=0)
    new_bookings = Integer(default=0)  # entries not seen in an earlier (overlapping) file
    digest = Varchar(length=64, unique=True)
    imported_by = Varchar(length=32, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class Booking(Table, tablename="recon_booking"):
    """One entry on the bank account. `identity` (account + the bank's reference) is unique, so two
    overlapping exports never count an entry twice."""

    public_id = Varchar(length=32, unique=True)  # bkg_…
    identity = Varchar(length=200, unique=True)
    statement = Varchar(length=32, index=True)
    account = Varchar(length=40)
    reference = Varchar(length=100, default="")  # AcctSvcrRef
    line = Integer(default=0)  # in the file it came from
    booked = Date(null=True, default=None)
    currency = Varchar(length=3)
    amount_minor = BigInt()  # credit positive, debit negative
    kind = Varchar(length=12)  # payment | return | other
    return_reason = Varchar(length=40, default="")  # ISO 20022 code, or Stripe's failure_code
    batch_message_id = Varchar(length=64, default="")
    txs = Text(default="[]")  # JSON: [[end_to_end_id, amount_minor, name, return_reason], …]
    counterparty = Varchar(length=200, default="")
    info = Text(default="")
    state = Varchar(length=12, default="unmatched", index=True)  # unmatched | matched | exception | resolved


class Match(Table, tablename="recon_match"):
    """A booking (or part of a batch booking) tied to an instruction, with the rule that tied them and why.
    A group of rows with one `group_id` is one match: one-to-one, one booking to many instructions (a batch
    booking) or many bookings to one instruction."""

    group_id = Varchar(length=32, index=True)  # mtc_…
    booking = Varchar(length=32, index=True)
    instruction = Varchar(length=32, index=True)
    amount_minor = BigInt()
    strategy = Varchar(length=12)  # one_to_one | one_to_many | many_to_one
    rule = Varchar(length=40)  # end_to_end_id | batch_message_id | tolerance | by_hand
    why = Text(default="")
    status = Varchar(length=10, default="confirmed", index=True)  # confirmed | proposed | dropped
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ReconException(Table, tablename="recon_exception"):
    """A difference a person must look at. One open exception per fingerprint: a re-run updates it."""

    public_id = Varchar(length=32, unique=True)  # exc_…
    fingerprint = Varchar(length=200, index=True)
    kind = Varchar(length=24, index=True)
    state = Varchar(length=20, default="open", index=True)  # open | assigned | pending_resolution | resolved
    severity = Varchar(length=8, default="low")  # low | medium | high
    currency = Varchar(length=3, default="EUR")
    amount_minor = BigInt(default=0)  # the difference at stake
    booking = Varchar(length=32, default="", index=True)
    instruction = Varchar(length=32, default="", index=True)
    check_name = Varchar(length=40, default="")
    summary = Text(default="")
    evidence = Text(default="{}")  # JSON, refreshed by each run until resolved
    first_seen = Timestamptz(default=TimestamptzNow())
    last_seen = Timestamptz(default=TimestamptzNow())
    seen_count = Integer(default=1)
    assignee = Varchar(length=32, default="")
    due_date = Date(null=True, default=None)
    proposal = Text(default="")  # JSON: the resolution awaiting a second person
    proposed_by = Varchar(length=32, default="")
    resolution = Varchar(length=24, default="")
    reason = Text(default="")
    resolved_by = Varchar(length=32, default="")
    approved_by = Varchar(length=32, default="")
    resolved_at = Timestamptz(null=True, default=None)
    frozen_evidence = Text(default="")  # the evidence as it stood at resolution
    ledger_entry = Varchar(length=40, default="")
    follow_up = Boolean(default=False)  # resolved by a re-issued payment


class CheckRun(Table, tablename="recon_check_run"):
    """One run of the named checks: each result with its drift as evidence."""

    public_id = Varchar(length=32, unique=True)  # rcr_…
    as_of = Date()
    ok = Boolean(default=False)
    results = Text(default="[]")
    match_rate = Text(default="")  # JSON {"bookings", "matched", "instructions", "matched_instructions"}
    run_by = Varchar(length=32, default="")
    run_at = Timestamptz(default=TimestamptzNow())
