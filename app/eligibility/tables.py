"""Stored decisions and the rule versions that made them. Both are append-only records.

A decision keeps what is needed to show and re-run it years later: the rule version (whose full text is
kept in RuleVersion), the date it was evaluated for, the inputs, outputs and explanation. Inputs and the
explanation hold personal data (dates of birth, incomes), so they are sealed; eligibility, the amount and
the failed condition ids stay readable for reports.
"""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Boolean, Date, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class RuleVersion(Table, tablename="eligibility_rule_version"):
    version = Varchar(length=64, unique=True)  # sha256 of the rule file's text
    programme = Varchar(length=64, index=True)
    title = Varchar(length=200, default="")
    file_name = Varchar(length=200, default="")
    source = Text()
    first_used_at = Timestamptz(default=TimestamptzNow())


class Decision(Table, tablename="eligibility_decision"):
    public_id = Varchar(length=32, unique=True)  # dec_…
    programme = Varchar(length=64, index=True)
    version = Varchar(length=64, index=True)
    as_of = Date()
    eligible = Boolean()
    amount_minor = BigInt(null=True, default=None)  # the `amount` output when the rule has one
    currency = Varchar(length=3, default="EUR")
    outputs = JSON(default="{}")  # amounts as decimal text; no personal data
    failed = JSON(default="[]")  # ids of conditions not met
    # A household: [{id, role, eligible, failed, outputs}] per member (no personal data: ids and amounts)
    members = JSON(default="[]")
    sealed = Text()  # sealed JSON: {"inputs": …, "explanation": …}
    participant = Varchar(
        length=32, null=True, default=None, index=True
    )  # par_… when for a registered person
    batch = Varchar(length=32, null=True, default=None, index=True)  # dbt_… when decided in a batch
    created_by = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
