"""Hypothesis stateful test of the ledger on the real database.

Any sequence of budget loads, commitments, releases, expenditures, payments, overpayment recoveries,
reversals and period closes must keep: every entry balanced on each track; the trial balance at zero;
available budget never below zero; kept balances equal to the sum of postings; the hash chain intact.
Each operation's outcome (posted or refused) must also be the one the current balances predict.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.core.db import close_pool, is_postgres, raw, start_pool
from app.ledger import chart as c
from app.ledger import periods, queries, service
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import Kind, Operation, Target
from app.ledger.verify import verify
from tests.ledger.helpers import FUND, PROGRAMME, setup_dimensions
from tests.support import SYSTEM, empty_all_tables

PARTIES = ("prv_0000000000000001", "emp_0000000000000002")
amounts = st.integers(min_value=1, max_value=5_000)
parties = st.sampled_from(PARTIES)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.keys = 0
        self.month = dt.date(2026, 1, 1)
        self.posted: list[int] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if is_postgres():
            self.run(close_pool())
        self.loop.close()

    @initialize()
    def start(self) -> None:
        self.run(empty_all_tables())
        self.run(setup_dimensions())
        if is_postgres():
            self.run(start_pool(1, 2))

    # --- helpers ------------------------------------------------------------------------------

    def balance(self, code: str, party: str = "") -> int:
        rows = self.run(queries.account_balances(code=code, party=party))
        total = sum(r.balance for r in rows)
        return total if c.BY_CODE[code].normal_side == "debit" else -total

    def attempt(self, kind: Kind, amount: int, party: str = "", expect_ok: bool | None = None) -> None:
        self.keys += 1
        operation = Operation(
            kind,
            Target(FUND, PROGRAMME, party),
            amount,
            f"m{self.keys}",
            self.month + dt.timedelta(days=self.keys % 27),
        )
        try:
            entry = self.run(service.apply_one(SYSTEM, operation))
        except LedgerRefusal as refusal:
            assert refusal.refusal in (
                Refusal.INSUFFICIENT_AVAILABLE_BUDGET,
                Refusal.BALANCE_WOULD_GO_NEGATIVE,
            )
            assert expect_ok is not True, f"{kind} {amount} refused: {refusal.message}"
            return
        assert expect_ok is not False, f"{kind} {amount} {party} was posted but should have been refused"
        self.posted.append(entry.seq)

    # --- rules --------------------------------------------------------------------------------

    @rule(amount=amounts)
    def load_budget(self, amount: int) -> None:
        self.attempt(Kind.BUDGET_LOAD, amount, expect_ok=True)

    @rule(amount=amounts)
    def commit(self, amount: int) -> None:
        self.attempt(Kind.COMMIT, amount, expect_ok=amount <= self.balance(c.AVAILABLE))

    @rule(amount=amounts)
    def release(self, amount: int) -> None:
        self.attempt(Kind.RELEASE, amount, expect_ok=amount <= self.balance(c.COMMITTED))

    @rule(amount=amounts, party=parties)
    def expend(self, amount: int, party: str) -> None:
        self.attempt(Kind.EXPEND, amount, party, expect_ok=amount <= self.balance(c.COMMITTED))

    @rule(amount=amounts, party=parties)
    def pay(self, amount: int, party: str) -> None:
        ok = (
            amount <= self.balance(c.PAYABLE, party)
            and amount <= self.balance(c.EXPENDED_UNPAID)
            and amount <= self.balance(c.CASH)
        )
        self.attempt(Kind.PAY, amount, party, expect_ok=ok)

    @rule(amount=amounts, party=parties)
    def overpayment_found(self, amount: int, party: str) -> None:
        self.attempt(Kind.RECEIVABLE, amount, party, expect_ok=amount <= self.balance(c.EXPENDED_PAID))

    @rule(amount=amounts, party=parties, offset=st.booleans())
    def recover(self, amount: int, party: str, offset: bool) -> None:
        ok = amount <= self.balance(c.RECEIVABLE, party) and amount <= self.balance(c.RECOVERIES_PENDING)
        if offset:
            ok = ok and amount <= self.balance(c.PAYABLE, party) and amount <= self.balance(c.EXPENDED_UNPAID)
        self.attempt(Kind.RECOVERY_OFFSET if offset else Kind.RECOVERY_REPAYMENT, amount, party, expect_ok=ok)

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        if not self.posted:
            return
        seq = data.draw(st.sampled_from(self.posted))
        self.keys += 1
        try:
            entry = self.run(
                service.reverse(
                    SYSTEM,
                    seq,
                    idempotency_key=f"r{self.keys}",
                    reason="test",
                    effective_date=self.month + dt.timedelta(days=27),
                )
            )
        except LedgerRefusal as refusal:
            assert refusal.refusal in (
                Refusal.INSUFFICIENT_AVAILABLE_BUDGET,
                Refusal.BALANCE_WOULD_GO_NEGATIVE,
                Refusal.ALREADY_REVERSED,
            )
            return
        self.posted.remove(seq)
        assert entry.reverses == f"je_{seq}"

    @rule()
    def close_month(self) -> None:
        self.run(periods.close_month(SYSTEM, self.month))
        with_refusal = Operation(
            Kind.BUDGET_LOAD, Target(FUND, PROGRAMME), 1, f"closed{self.keys}", self.month
        )
        try:
            self.run(service.apply_one(SYSTEM, with_refusal))
            raise AssertionError("posted into a closed month")
        except LedgerRefusal as refusal:
            assert refusal.refusal is Refusal.PERIOD_CLOSED
        self.month = (self.month + dt.timedelta(days=32)).replace(day=1)

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def every_entry_balances_on_each_track(self) -> None:
        rows = self.run(
            raw(
                "SELECT po.entry, ch.track, SUM(po.amount) AS total FROM ledger_posting po "
                "JOIN ledger_account a ON a.id = po.account JOIN ledger_chart ch ON ch.id = a.chart "
                "GROUP BY po.entry, ch.track HAVING SUM(po.amount) <> 0"
            )
        )
        assert rows == []

    @invariant()
    def trial_balance_is_zero_and_available_never_negative(self) -> None:
        assert self.run(queries.trial_balance(group="account")).balanced
        for position in self.run(queries.budget_position()):
            assert position.available >= 0
            assert position.budget == (
                position.available + position.committed + position.expended + position.recoveries_pending
            )

    @invariant()
    def chain_and_balances_verify(self) -> None:
        result = self.run(verify())
        assert result.ok, result.problems


LedgerMachine.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestLedgerMachine = LedgerMachine.TestCase
