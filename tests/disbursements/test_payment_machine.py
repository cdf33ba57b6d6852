"""Hypothesis stateful test of payments on the real database and the real SDK (recording fake HTTP).

Any sequence of new approved claims, runs, approvals, releases, Stripe webhook events (in any order,
duplicated, with transfers reversed and payouts failing), pain.002 imports (settling, accepting, rejecting,
imported twice) and follow-up runs keeps: each payable paid at most once and in at most one live
instruction; money in transit = the submitted, unsettled instructions; paid = the settled ones and never
above what was approved; at most one Stripe transfer per instruction; the ledger verifying.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
from collections import Counter

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.core.db import close_pool, is_postgres, start_pool, write_transaction
from app.core.errors import GrantsError
from app.core.sql import Sql
from app.disbursements import release, runs, status_import, stripe_rail, webhooks
from app.disbursements.stripe_fake import FakeStripe
from app.ledger import queries
from app.ledger.errors import LedgerRefusal
from app.ledger.verify import verify
from tests.disbursements.world import (
    APPROVER,
    DEBTOR_IBAN,
    FINANCE,
    PROGRAMME,
    RELEASER,
    WEBHOOK_SECRET,
    approved_claims,
    confirmed_bank,
    confirmed_stripe,
    pain002,
    providers,
    signed_event,
)
from tests.support import empty_all_tables

PAY_DATE = dt.date(2030, 1, 15)
ENV = {
    "GRANTS_SEPA_DEBTOR_NAME": "Grants Programme Office",
    "GRANTS_SEPA_DEBTOR_IBAN": DEBTOR_IBAN,
    "GRANTS_STRIPE_API_KEY": "sk_test_grants",
    "GRANTS_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "GRANTS_SEPA_FILE_MAX_TRANSACTIONS": "2",
}


class PaymentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.saved_env = {k: os.environ.get(k) for k in ENV}
        os.environ.update(ENV)
        self.fake = FakeStripe()
        stripe_rail.use_http_client(self.fake)
        self.sent_events: list[tuple[bytes, str]] = []
        self.sent_reports: list[bytes] = []
        self.reports = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def attempt(self, coro):
        """Refusals (named errors) are allowed outcomes; anything else fails the test."""
        with contextlib.suppress(GrantsError, LedgerRefusal):
            return self.run(coro)
        return None

    def teardown(self) -> None:
        stripe_rail.use_http_client(None)
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if is_postgres():
            self.run(close_pool())
        self.loop.close()

    @initialize()
    def start(self) -> None:
        self.run(empty_all_tables())
        if is_postgres():
            self.run(start_pool(1, 4))
        self.payees = self.run(providers(3))
        self.run(confirmed_bank(self.payees[0]))
        self.run(confirmed_bank(self.payees[1]))
        self.stripe_account = self.run(confirmed_stripe(self.payees[2]))
        self.run(approved_claims(self.payees, 2, 10_000))
        self.approved = 60_000

    async def _rows(self, sql_text: str, *args):
        async with write_transaction():
            return await Sql().fetch(sql_text, *args)

    def _instructions(self, *states: str, method: str | None = None) -> list[dict]:
        rows = self.run(self._rows("SELECT * FROM payment_instruction ORDER BY id"))
        return [r for r in rows if r["state"] in states and (method is None or r["method"] == method)]

    def _runs(self, status: str) -> list[str]:
        return [
            r["public_id"]
            for r in self.run(self._rows("SELECT * FROM payment_run ORDER BY id"))
            if r["status"] == status
        ]

    # --- steps ------------------------------------------------------------------------------------

    @rule(payee=st.integers(0, 2), amount=st.integers(1, 50_000))
    def approve_a_claim(self, payee: int, amount: int) -> None:
        self.run(approved_claims([self.payees[payee]], 1, amount))
        self.approved += amount

    @rule()
    def create_a_run(self) -> None:
        self.attempt(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))

    @rule()
    def prepare_approve_and_release_a_run(self) -> None:
        made = self.attempt(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
        if made is not None:
            self.attempt(runs.approve_run(APPROVER, made["id"]))
            self.attempt(release.release_run(RELEASER, made["id"]))

    @rule(data=st.data())
    def approve_a_run(self, data) -> None:
        pending = self._runs("pending_approval")
        if pending:
            self.attempt(runs.approve_run(APPROVER, data.draw(st.sampled_from(pending))))

    @rule(data=st.data(), twice=st.booleans())
    def release_a_run(self, data, twice: bool) -> None:
        ready = self._runs("approved") + self._runs("releasing") + self._runs("released")
        if ready:
            chosen = data.draw(st.sampled_from(ready))
            for _ in range(2 if twice else 1):
                self.attempt(release.release_run(RELEASER, chosen))

    @rule(data=st.data())
    def cancel_a_run(self, data) -> None:
        pending = self._runs("pending_approval") + self._runs("approved")
        if pending:
            self.attempt(runs.cancel_run(FINANCE, data.draw(st.sampled_from(pending)), "changed our mind"))

    @rule(data=st.data())
    def import_a_status_report(self, data) -> None:
        rows = self._instructions("submitted", "accepted", "settled", "rejected", method="sepa")
        if not rows:
            return
        message = data.draw(st.sampled_from(sorted({r["message_id"] for r in rows})))
        chosen = [r for r in rows if r["message_id"] == message]
        statuses = st.sampled_from(["ACSC", "ACCP", "RJCT", "PDNG"])
        txs = tuple(
            (r["public_id"], s, "AC04" if s == "RJCT" else "") for r in chosen if (s := data.draw(statuses))
        )
        self.reports += 1
        report = pain002(message, transactions=txs, report_id=f"STS-{self.reports}")
        self.sent_reports.append(report)
        self.attempt(status_import.import_status(FINANCE, report))

    @precondition(lambda self: self.sent_reports)
    @rule(data=st.data())
    def import_a_report_again(self, data) -> None:
        result = self.attempt(
            status_import.import_status(FINANCE, data.draw(st.sampled_from(self.sent_reports)))
        )
        assert result is None or result["already_imported"]

    @rule(data=st.data(), kind=st.sampled_from(["transfer.created", "transfer.updated", "transfer.reversed"]),
          reverse_first=st.booleans())  # fmt: skip
    def a_transfer_event(self, data, kind: str, reverse_first: bool) -> None:
        rows = [
            r
            for r in self._instructions("submitted", "settled", "failed", "returned", method="stripe")
            if r["transfer_id"]
        ]
        if not rows:
            return
        row = data.draw(st.sampled_from(rows))
        if reverse_first:
            self.fake.reverse(row["transfer_id"])
        event = signed_event(kind, {"id": row["transfer_id"], "object": "transfer"})
        self.sent_events.append(event)
        self.attempt(webhooks.handle(*event))

    @precondition(lambda self: self.sent_events)
    @rule(data=st.data())
    def an_event_delivered_again(self, data) -> None:
        result = self.attempt(webhooks.handle(*data.draw(st.sampled_from(self.sent_events))))
        assert result is None or result["duplicate"]

    @rule()
    def a_payout_fails(self) -> None:
        rows = self._instructions("settled", method="stripe")
        if rows:
            payout = self.fake.fail_payout(self.stripe_account, [rows[0]["transfer_id"]])
            event = signed_event(
                "payout.failed", {"id": payout, "object": "payout"}, account=self.stripe_account
            )
            self.attempt(webhooks.handle(*event))

    # --- what must always hold ------------------------------------------------------------------------

    @invariant()
    def each_payable_paid_at_most_once(self) -> None:
        lines = self.run(
            self._rows(
                "SELECT l.payable, l.fund, l.programme, l.live, i.state FROM payment_line l "
                "JOIN payment_instruction i ON i.public_id = l.instruction"
            )
        )
        live = Counter((r["payable"], r["fund"], r["programme"]) for r in lines if r["live"])
        settled = Counter((r["payable"], r["fund"], r["programme"]) for r in lines if r["state"] == "settled")
        assert max(live.values(), default=0) <= 1
        assert max(settled.values(), default=0) <= 1
        assert all(
            r["live"] == (r["state"] not in ("cancelled", "rejected", "failed", "returned")) for r in lines
        )

    @invariant()
    def in_transit_and_paid_match_the_instructions(self) -> None:
        rows = self.run(self._rows("SELECT * FROM payment_instruction"))
        for state in sorted({r["state"] for r in rows}):
            event(f"an instruction reached {state}")
        in_transit = sum(r["amount_minor"] for r in rows if r["state"] in ("submitted", "accepted"))
        settled = sum(r["amount_minor"] for r in rows if r["state"] == "settled")
        assert -sum(a.balance for a in self.run(queries.account_balances(code="2120"))) == in_transit
        position = self.run(queries.budget_position(fund="ESF", programme=PROGRAMME))
        paid = position[0].paid if position else 0
        assert paid == settled <= self.approved

    @invariant()
    def one_transfer_per_instruction(self) -> None:
        made = Counter(t["metadata"].get("instruction") for t in self.fake.transfers.values())
        assert max(made.values(), default=0) <= 1

    @invariant()
    def the_ledger_verifies(self) -> None:
        result = self.run(verify())
        assert result.ok, result.problems


PaymentMachine.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestPaymentMachine = PaymentMachine.TestCase
