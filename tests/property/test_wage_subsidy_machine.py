"""Hypothesis stateful test of wage subsidies on the real database.

Any sequence of monthly claims (wages and bonuses, some reporting the employment's end), approvals (whole
or partial), one month split into several claims, rejections, payments, separations and repayments must
keep: what is approved for an agreement never above its maximum; what one approver alone approved for the
employer's month never above the second-approver limit (issue 11 point 7); the overpayments outstanding
equal to the employer's receivables in the ledger; the ledger's commitments equal to what the agreements
still hold; the ledger verifying.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.core.actor import Actor
from app.core.approvals import UNDECIDED
from app.core.db import close_pool, is_postgres, start_pool, write_transaction
from app.core.errors import GrantsError
from app.core.roles import Role
from app.core.settings import get_settings
from app.core.sql import Sql
from app.core.tables import Organisation
from app.integrity.verify import verify_all as verify
from app.ledger import dimensions, queries
from app.ledger import service as ledger
from app.ledger.errors import LedgerRefusal
from app.ledger.operations import Kind, Operation, Target
from app.registry.organisations import create_employer, verify_employer
from app.wage_subsidies import placements, separation, wage_claims
from app.wage_subsidies.subsidy_rules import month_bounds
from app.wage_subsidies.tables import Agreement, Overpayment, WageClaim
from tests.support import SYSTEM, empty_all_tables
from tests.wage_subsidies.test_journey import participant_async

TODAY = dt.date(2028, 6, 1)
HIRES = (dt.date(2026, 1, 12), dt.date(2026, 3, 2))
FINANCE = [Actor(None, f"usr_fin{i}", f"finance {i}", frozenset({Role.FINANCE_OFFICER})) for i in (1, 2)]
LIMIT_MINOR = 150_000  # a second approver above 1,500.00: two placements' month together are above it


class WageSubsidyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.payments = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def attempt(self, coro) -> None:
        """Refusals (named errors) are allowed outcomes; anything else fails the test."""
        with contextlib.suppress(GrantsError, LedgerRefusal):
            self.run(coro)

    def teardown(self) -> None:
        if is_postgres():
            self.run(close_pool())
        self.loop.close()
        os.environ.pop("GRANTS_SECOND_APPROVER_LIMIT_MINOR", None)
        get_settings.cache_clear()

    @initialize()
    def start(self) -> None:
        os.environ["GRANTS_SECOND_APPROVER_LIMIT_MINOR"] = str(LIMIT_MINOR)
        get_settings.cache_clear()
        self.run(empty_all_tables())
        if is_postgres():
            self.run(start_pool(1, 2))
        self.run(self._world())

    async def _world(self) -> None:
        await dimensions.create(SYSTEM, "fund", "ESF", "ESF", "EUR")
        await dimensions.create(SYSTEM, "programme", placements.PROGRAMME, "Wages", "EUR")
        load = Operation(Kind.BUDGET_LOAD, Target("ESF", placements.PROGRAMME), 10_000_000, "load", TODAY)
        await ledger.apply_one(SYSTEM, load)
        employer = await create_employer(SYSTEM, name="Employer", registration_number="R-1")
        await verify_employer(SYSTEM, employer.id)
        org = await Organisation.select(Organisation.id).where(Organisation.public_id == employer.id).first()
        self.employer = employer.id
        self.clerk = Actor(
            None, "usr_clerk", "clerk", frozenset({Role.EMPLOYER}), org["id"], employer.id, "employer"
        )
        self.placements = []
        for hire, wage in zip(HIRES, ("1800.00", "1400.00"), strict=True):
            data = placements.PlacementIn(
                self.employer, await participant_async(), "Clerk", hire, 4_000, wage
            )
            placement = await placements.create_placement(SYSTEM, data)
            terms = placements.AgreementIn("ESF", hire, True, False, False)
            await placements.sign_agreement(SYSTEM, placement["id"], terms)
            self.placements.append(placement["id"])

    # --- steps --------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 1),
        month=st.integers(0, 8),
        bonus=st.booleans(),
        wage=st.sampled_from(["1800.00", "1400.00", "900.00", "0.00"]),
        hours=st.sampled_from([100, 160, 240]),
        leaves_on=st.one_of(st.none(), st.integers(1, 28)),
    )
    def claim(self, who, month, bonus, wage, hours, leaves_on) -> None:
        first = dt.date(2026, 1 + month % 12, 1).replace(year=2026 + month // 12)
        end = first.replace(day=leaves_on) if leaves_on else None
        item = wage_claims.PayrollIn(
            self.placements[who], wage, hours * 100, end is None, end, "bonus" if bonus else "wage"
        )
        self.attempt(wage_claims.submit(self.clerk, first, [item], TODAY))

    @rule(who=st.integers(0, 1), month=st.integers(0, 8))
    def a_month_claimed_approved_and_paid(self, who, month) -> None:
        """The common path, so that separations find paid months to turn into receivables."""
        first = dt.date(2026 + month // 12, 1 + month % 12, 1)
        item = wage_claims.PayrollIn(self.placements[who], "1800.00", 16_000)
        with contextlib.suppress(GrantsError, LedgerRefusal):
            claim = self.run(wage_claims.submit(self.clerk, first, [item], TODAY))
            for approver in FINANCE:
                if self.run(wage_claims.get(SYSTEM, claim["id"]))["status"] in UNDECIDED:
                    self.run(wage_claims.approve(approver, claim["id"], None, TODAY))
        self.pay(1)

    @rule(month=st.integers(0, 8), approver=st.integers(0, 1))
    def one_month_split_into_two_claims(self, month, approver) -> None:
        """Each placement's month in its own claim, both approved by the same officer: the second must
        wait for another approver once the month's total is above the limit."""
        first = dt.date(2026 + month // 12, 1 + month % 12, 1)
        with contextlib.suppress(GrantsError, LedgerRefusal):
            for placement in self.placements:
                item = wage_claims.PayrollIn(placement, "1800.00", 16_000)
                claim = self.run(wage_claims.submit(self.clerk, first, [item], TODAY))
                self.attempt(wage_claims.approve(FINANCE[approver], claim["id"], None, TODAY))

    def _open_claims(self) -> list[str]:
        rows = self.run(WageClaim.select(WageClaim.public_id).where(WageClaim.status.is_in(UNDECIDED)))
        return [r["public_id"] for r in rows]

    @precondition(lambda self: bool(self._open_claims()))
    @rule(pick=st.integers(0, 50), approver=st.integers(0, 1), some=st.booleans())
    def approve(self, pick, approver, some) -> None:
        claims = self._open_claims()
        lines = [1] if some else None
        self.attempt(wage_claims.approve(FINANCE[approver], claims[pick % len(claims)], lines, TODAY))

    @precondition(lambda self: bool(self._open_claims()))
    @rule(pick=st.integers(0, 50))
    def reject(self, pick) -> None:
        claims = self._open_claims()
        self.attempt(wage_claims.reject(FINANCE[0], claims[pick % len(claims)], "evidence missing", TODAY))

    @rule(share=st.sampled_from([1, 2, 4]))
    def pay(self, share) -> None:
        owed = self._ledger("2110") * -1
        if owed // share > 0:
            self.payments += 1
            operation = Operation(
                Kind.PAY,
                Target("ESF", placements.PROGRAMME, self.employer),
                owed // share,
                f"pay-{self.payments}",
                TODAY,
            )
            self.run(ledger.apply_one(SYSTEM, operation))

    @rule(who=st.integers(0, 1), months=st.integers(0, 8), day=st.integers(0, 27))
    def separate(self, who, months, day) -> None:
        hire = HIRES[who]
        first = dt.date(hire.year + (hire.month - 1 + months) // 12, (hire.month - 1 + months) % 12 + 1, 1)
        end = min(first + dt.timedelta(days=day), month_bounds(first)[1])
        self.attempt(separation.end_employment(SYSTEM, self.placements[who], end, "left", TODAY))

    @rule(share=st.sampled_from([1, 2]))
    def repay(self, share) -> None:
        rows = self.run(Overpayment.select().where(Overpayment.status == "recovering"))
        for row in rows[:1]:
            outstanding = row["receivable_minor"] - row["recovered_minor"]
            amount = f"{max(outstanding // share, 1) / 100:.2f}"
            self.attempt(separation.record_repayment(SYSTEM, row["public_id"], amount, TODAY, "bank"))

    # --- what must always hold ------------------------------------------------------------------

    def _ledger(self, code: str, party: str | None = None) -> int:
        party = self.employer if party is None and code in ("1310", "2110") else party
        return sum(r.balance for r in self.run(queries.account_balances(code=code, party=party)))

    @invariant()
    def never_above_the_agreement_maximum(self) -> None:
        for row in self.run(Agreement.select()):
            assert 0 <= row["expended_minor"] <= row["max_total_minor"]
            assert row["expended_minor"] + row["released_minor"] <= row["max_total_minor"]

    @invariant()
    def one_approver_alone_never_approves_a_month_above_the_limit(self) -> None:
        async def single_approver_months() -> dict[str, int]:
            async with write_transaction():
                rows = await Sql().fetch(
                    "SELECT c.period_start, c.approved_minor, a.approvals FROM wage_claim c "
                    "JOIN approval a ON a.subject_id = c.public_id "
                    "WHERE c.status IN ('approved', 'partly_approved')"
                )
            months: dict[str, int] = {}
            for row in rows:
                if len(json.loads(row["approvals"])) == 1:
                    key = str(row["period_start"])[:7]
                    months[key] = months.get(key, 0) + row["approved_minor"]
            return months

        for month, alone in self.run(single_approver_months()).items():
            assert alone <= LIMIT_MINOR, (month, alone)

    @invariant()
    def overpayments_outstanding_equal_the_receivables(self) -> None:
        rows = self.run(Overpayment.select())
        outstanding = sum(r["receivable_minor"] - r["recovered_minor"] for r in rows)
        assert outstanding == self._ledger("1310")

    @invariant()
    def commitments_match_the_agreements(self) -> None:
        held = sum(
            r["max_total_minor"] - r["expended_minor"] - r["released_minor"]
            for r in self.run(Agreement.select())
        )
        assert -self._ledger("8300", "") == held

    @invariant()
    def the_ledger_verifies(self) -> None:
        result = self.run(verify())
        assert result.ok, result.problems


WageSubsidyMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestWageSubsidyMachine = WageSubsidyMachine.TestCase
