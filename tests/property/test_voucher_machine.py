"""Hypothesis stateful test of childcare vouchers on the real database, with time passing.

Any sequence of provider claims (in time or late, inside or outside the validity), approvals whole or in
part, rejections, revocations from a date, days passing and the daily expiry must keep: a voucher never
claimed beyond its value, and never releasing what a provider may still claim in time (issue 11 point 5);
the ledger's commitments equal to what the vouchers still hold; the ledger verifying.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.core.actor import Actor
from app.core.approvals import UNDECIDED
from app.core.db import close_pool, is_postgres, start_pool
from app.core.errors import GrantsError
from app.core.roles import Role
from app.core.tables import Organisation
from app.integrity.verify import verify_all as verify
from app.ledger import queries
from app.ledger.errors import LedgerRefusal
from app.registry import organisations
from app.registry.organisations import LicenceView, add_licence
from app.vouchers import claims, service
from app.vouchers.tables import Claim, Voucher
from tests.support import SYSTEM, empty_all_tables
from tests.vouchers.test_issue import _decision, _world

START = dt.date(2026, 3, 2)
UNTIL = dt.date(2026, 5, 24)  # 12 weeks of 260.00
FINANCE = [Actor(None, f"usr_fin{i}", f"finance {i}", frozenset({Role.FINANCE_OFFICER})) for i in (1, 2)]


class VoucherMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.today = START

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

    @initialize()
    def start(self) -> None:
        self.run(empty_all_tables())
        if is_postgres():
            self.run(start_pool(1, 2))
        self.run(self._world())

    async def _world(self) -> None:
        world = await _world(10_000_000)
        requests = [
            service.IssueRequest(await _decision(world["participant"]), "ESF", START, UNTIL, world["child"])
            for _ in range(2)
        ]
        self.vouchers = await service.issue_many(SYSTEM, requests, batch=True)
        provider = await organisations.create_provider(SYSTEM, name="Provider")
        await add_licence(SYSTEM, provider.id, LicenceView("L-1", dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
        org = await Organisation.select(Organisation.id).where(Organisation.public_id == provider.id).first()
        self.provider = Actor(
            None, "usr_prov", "provider", frozenset({Role.PROVIDER}), org["id"], provider.id, "provider"
        )

    # --- steps --------------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 7, 30, 45, 61]))
    def time_passes(self, days) -> None:
        self.today += dt.timedelta(days=days)

    @rule()
    def the_daily_expiry_runs(self) -> None:
        self.run(service.expire_due(SYSTEM, self.today))

    @rule(which=st.integers(0, 1), week=st.integers(-1, 13), days=st.integers(1, 5), more=st.booleans())
    def a_provider_claims_a_week(self, which, week, days, more) -> None:
        start = START + dt.timedelta(weeks=week)
        end = start + dt.timedelta(days=4)
        amount = "300.00" if more else "260.00"
        line = claims.LineIn(self.vouchers[which]["code"], dt.date(2024, 5, 10), start, end, days, amount)
        self.attempt(claims.submit(self.provider, start, end, [line], self.today))

    def _open_claims(self) -> list[str]:
        rows = self.run(Claim.select(Claim.public_id).where(Claim.status.is_in(UNDECIDED)))
        return [r["public_id"] for r in rows]

    @precondition(lambda self: bool(self._open_claims()))
    @rule(pick=st.integers(0, 50), approver=st.integers(0, 1), reject=st.booleans())
    def finance_decides(self, pick, approver, reject) -> None:
        open_claims = self._open_claims()
        claim_id = open_claims[pick % len(open_claims)]
        if reject:
            self.attempt(claims.reject(FINANCE[approver], claim_id, "no attendance sheet"))
        else:
            self.attempt(claims.approve(FINANCE[approver], claim_id, None, self.today))

    @rule(which=st.integers(0, 1), weeks=st.integers(0, 14))
    def a_caseworker_revokes(self, which, weeks) -> None:
        when = START + dt.timedelta(weeks=weeks)
        self.attempt(
            service.revoke(SYSTEM, self.vouchers[which]["id"], "left the programme", when, self.today)
        )

    # --- what must always hold ------------------------------------------------------------------

    def _rows(self) -> list[dict]:
        return self.run(Voucher.select())

    @invariant()
    def never_claimed_or_released_beyond_its_value(self) -> None:
        for row in self._rows():
            assert row["claimed_minor"] >= 0 and row["released_minor"] >= 0
            assert row["claimed_minor"] + row["released_minor"] <= row["total_minor"]

    @invariant()
    def what_may_still_be_claimed_in_time_stays_committed(self) -> None:
        for row in self._rows():
            held = row["total_minor"] - row["claimed_minor"] - row["released_minor"]
            assert held >= service._still_claimable(row, self.today)
            if row["status"] == "expired":
                assert service.claim_deadline(service.last_service_day(row)) < self.today

    @invariant()
    def commitments_match_the_vouchers(self) -> None:
        rows = self.run(queries.budget_position(fund="ESF", programme="CHILDCARE"))
        approved = sum(
            r["approved_minor"]
            for r in self.run(
                Claim.select(Claim.approved_minor).where(Claim.status.is_in(["approved", "partly_approved"]))
            )
        )
        held = sum(r["total_minor"] - r["released_minor"] for r in self._rows())
        assert rows[0].committed == held - approved

    @invariant()
    def the_ledger_verifies(self) -> None:
        result = self.run(verify())
        assert result.ok, result.problems


VoucherMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestVoucherMachine = VoucherMachine.TestCase
