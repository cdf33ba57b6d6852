"""The chart of accounts. Data, not code paths: `grants init` writes it to the ledger_chart table.

Three tracks, each balancing within every entry:
- the budgetary track follows authority to spend: appropriation = available + committed
  + expended (unpaid and paid) + recoveries pending;
- the financial track follows money: cash, what we owe (payables), what we are owed (receivables),
  expense and net position;
- the memo track moves no money and no budget: a pooled programme's expenditure, charged to the funds
  that paid it (9190), allocated to the donors that bear it under the cost-sharing key (9100).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.db import raw


@dataclass(frozen=True)
class ChartLine:
    code: str
    name: str
    account_type: str
    track: str
    normal_side: str
    non_negative: bool
    has_party: bool
    beancount_name: str


CASH = "1010"
STRIPE_BALANCE = "1020"
RECEIVABLE = "1310"
PAYABLE = "2110"
IN_TRANSIT = "2120"
NET_POSITION = "3100"
CONTRIBUTIONS = "4100"
EXPENSE = "5100"
APPROPRIATION = "8100"
AVAILABLE = "8200"
COMMITTED = "8300"
EXPENDED_UNPAID = "8400"
EXPENDED_PAID = "8500"
RECOVERIES_PENDING = "8600"
POOLED_ALLOCATED = "9100"
POOLED_CHARGED = "9190"

CHART: tuple[ChartLine, ...] = (
    ChartLine(CASH, "Cash at bank", "asset", "financial", "debit", True, False, "Assets:Cash"),
    ChartLine(
        STRIPE_BALANCE,
        # Not guarded: Stripe, not the ledger, refuses a transfer the balance cannot cover; a negative
        # figure here means top-ups from the bank were not booked yet (reconciliation finds it).
        "Stripe balance",
        "asset",
        "financial",
        "debit",
        False,
        False,
        "Assets:StripeBalance",
    ),
    ChartLine(
        RECEIVABLE,
        "Receivable from providers and employers",
        "asset",
        "financial",
        "debit",
        True,
        True,
        "Assets:Receivable",
    ),
    ChartLine(
        PAYABLE,
        "Payable to providers, employers and participants",
        "liability",
        "financial",
        "credit",
        True,
        True,
        "Liabilities:Payable",
    ),
    ChartLine(
        IN_TRANSIT,
        "Payments in transit (submitted, not yet settled)",
        "liability",
        "financial",
        "credit",
        True,
        False,
        "Liabilities:PaymentsInTransit",
    ),
    ChartLine(
        NET_POSITION,
        "Net position: funds received, unexpended",
        "net_position",
        "financial",
        "credit",
        False,
        False,
        "Equity:NetPosition",
    ),
    ChartLine(
        CONTRIBUTIONS,
        "Other contributions and income",
        "revenue",
        "financial",
        "credit",
        False,
        False,
        "Income:Contributions",
    ),
    ChartLine(
        EXPENSE, "Programme expense", "expense", "financial", "debit", False, False, "Expenses:Programme"
    ),
    ChartLine(
        APPROPRIATION,
        "Budget authority (appropriation)",
        "budgetary",
        "budgetary",
        "debit",
        True,
        False,
        "Equity:Budget:Appropriation",
    ),
    ChartLine(
        AVAILABLE,
        "Available budget",
        "budgetary",
        "budgetary",
        "credit",
        True,
        False,
        "Equity:Budget:Available",
    ),
    ChartLine(
        COMMITTED,
        "Committed (vouchers issued, agreements signed)",
        "budgetary",
        "budgetary",
        "credit",
        True,
        False,
        "Equity:Budget:Committed",
    ),
    ChartLine(
        EXPENDED_UNPAID,
        "Expended, not yet paid",
        "budgetary",
        "budgetary",
        "credit",
        True,
        False,
        "Equity:Budget:ExpendedUnpaid",
    ),
    ChartLine(
        EXPENDED_PAID,
        "Expended and paid",
        "budgetary",
        "budgetary",
        "credit",
        True,
        False,
        "Equity:Budget:ExpendedPaid",
    ),
    ChartLine(
        RECOVERIES_PENDING,
        "Overpayments to recover",
        "budgetary",
        "budgetary",
        "credit",
        True,
        False,
        "Equity:Budget:RecoveriesPending",
    ),
    ChartLine(
        POOLED_ALLOCATED,
        "Pooled expenditure allocated to the donor (memo)",
        "memo",
        "memo",
        "debit",
        False,
        False,
        "Equity:Memo:PooledAllocated",
    ),
    ChartLine(
        POOLED_CHARGED,
        "Pooled expenditure charged to the fund, shared out (memo)",
        "memo",
        "memo",
        "credit",
        False,
        False,
        "Equity:Memo:PooledCharged",
    ),
)
BY_CODE = {line.code: line for line in CHART}

INITIAL_HASH = "0" * 64


async def seed_chart() -> None:
    """Write the chart (insert new codes, refresh names) and make sure the ledger head exists."""
    for line in CHART:
        await raw(
            "INSERT INTO ledger_chart (code, name, account_type, track, normal_side, non_negative, "
            "has_party, beancount_name) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name, beancount_name = excluded.beancount_name",
            line.code,
            line.name,
            line.account_type,
            line.track,
            line.normal_side,
            line.non_negative,
            line.has_party,
            line.beancount_name,
        )
    await raw(
        "INSERT INTO ledger_head (id, last_seq, last_hash, last_posting_id) VALUES (1, 0, {}, 0) "
        "ON CONFLICT (id) DO NOTHING",
        INITIAL_HASH,
    )
