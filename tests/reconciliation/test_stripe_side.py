"""The Stripe side through the real SDK and the recording fake: a released Stripe run's transfers become
bookings matched by metadata[instruction]; a reversed transfer is a return exception; a connected account's
payout is matched as a group of the transfers it carried (its balance transactions); a failed payout is a
return of each payment; listing again adds nothing."""

from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.core.db import today, write_transaction
from app.core.errors import Forbidden
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import release, runs
from app.reconciliation import queries, stripe_side
from tests.disbursements.world import (
    APPROVER,
    FINANCE,
    PROGRAMME,
    RELEASER,
    approved_claims,
    confirmed_stripe,
    providers,
)
from tests.support import run


def test_stripe_transfers_are_matched_and_a_reversal_is_a_return(fake_stripe):
    payees = run(providers(2))
    run(approved_claims(payees, 1, 4_000))
    for payee in payees:
        run(confirmed_stripe(payee))
    created = run(runs.create_run(FINANCE, PROGRAMME, today()))
    run(runs.approve_run(APPROVER, created["id"]))
    run(release.release_run(RELEASER, created["id"]))
    transfers = list(fake_stripe.transfers.values())
    assert len(transfers) == 2
    fake_stripe.reverse(transfers[0]["id"])

    result = run(stripe_side.import_transfers(FINANCE))
    assert (result["transfers"], result["new_bookings"], result["matched_bookings"]) == (2, 3, 2)
    [back] = run(queries.list_exceptions(FINANCE, kind="return"))["data"]
    assert back["instruction"] == transfers[0]["metadata"]["instruction"]
    assert back["evidence"]["return_reason"] == "reversed"
    assert run(stripe_side.import_transfers(FINANCE))["new_bookings"] == 0
    with pytest.raises(Forbidden):
        run(stripe_side.import_transfers(Actor(7, "usr_x", "x", frozenset({Role.AUDITOR}))))


def _stripe_runs(fake_stripe, payees: list[str], runs_count: int) -> list[dict]:
    """`runs_count` released Stripe runs paying each payee once: one transfer per payee and run."""
    for payee in payees:
        run(confirmed_stripe(payee))
    for _ in range(runs_count):
        run(approved_claims(payees, 1, 4_000))
        created = run(runs.create_run(FINANCE, PROGRAMME, today()))
        run(runs.approve_run(APPROVER, created["id"]))
        run(release.release_run(RELEASER, created["id"]))
    return list(fake_stripe.transfers.values())


def _groups(booking: str) -> list[dict]:
    async def read():
        async with write_transaction():
            return await Sql().fetch(
                "SELECT m.group_id, m.instruction, m.amount_minor, m.strategy, m.rule, b.account, b.state "
                "FROM recon_match m JOIN recon_booking b ON b.public_id = m.booking "
                "WHERE b.reference = $1 ORDER BY m.instruction",
                booking,
            )

    return run(read())


def test_a_payout_of_many_transfers_is_matched_as_one_group(fake_stripe):
    """Three runs paid one payee three times; its connected account's payout carried the first two
    transfers: the payout is one booking on stripe:<account>, tied to both instructions by one match
    (one_to_many). A pending payout (the third transfer) waits until Stripe reports it paid."""
    payees = run(providers(1))
    transfers = _stripe_runs(fake_stripe, payees, 3)
    account = transfers[0]["destination"]
    payout = fake_stripe.pay_out(account, [t["id"] for t in transfers[:2]])
    waiting = fake_stripe.pay_out(account, [transfers[2]["id"]], status="pending")

    result = run(stripe_side.import_transfers(FINANCE))
    assert (result["transfers"], result["payouts"], result["new_bookings"]) == (3, 1, 4)
    assert (result["matched_bookings"], result["matched_payouts"], result["exceptions_opened"]) == (4, 1, 0)
    rows = _groups(payout)
    assert len({r["group_id"] for r in rows}) == 1 and len(rows) == 2
    assert {r["instruction"] for r in rows} == {t["metadata"]["instruction"] for t in transfers[:2]}
    assert {(r["strategy"], r["rule"], r["account"], r["state"]) for r in rows} == {
        ("one_to_many", "stripe_payout", f"stripe:{account}", "matched")
    }
    assert sum(r["amount_minor"] for r in rows) == 8_000
    # listing again adds nothing; the pending payout is imported once it is paid
    assert run(stripe_side.import_transfers(FINANCE))["new_bookings"] == 0
    fake_stripe.set_payout_status(waiting, "paid")
    later = run(stripe_side.import_transfers(FINANCE))
    assert (later["new_bookings"], later["matched_payouts"]) == (1, 1)
    assert payout != waiting and _groups(waiting)[0]["rule"] == "stripe_payout"


def test_a_failed_payout_is_a_return_of_each_payment_it_carried(fake_stripe):
    payees = run(providers(1))
    transfers = _stripe_runs(fake_stripe, payees, 2)
    account = transfers[0]["destination"]
    fake_stripe.fail_payout(account, [t["id"] for t in transfers], code="account_closed")

    result = run(stripe_side.import_transfers(FINANCE))
    assert (result["payouts"], result["new_bookings"], result["exceptions_opened"]) == (1, 4, 2)
    returns = run(queries.list_exceptions(FINANCE, kind="return"))["data"]
    assert {e["instruction"] for e in returns} == {t["metadata"]["instruction"] for t in transfers}
    assert {e["evidence"]["return_reason"] for e in returns} == {"account_closed"}
    assert run(stripe_side.import_transfers(FINANCE))["new_bookings"] == 0


def test_a_payout_with_money_that_is_none_of_our_transfers_is_an_exception(fake_stripe):
    payees = run(providers(1))
    transfers = _stripe_runs(fake_stripe, payees, 1)
    account = transfers[0]["destination"]
    fake_stripe.pay_out(account, [transfers[0]["id"]], others=(("py_elsewhere", 1_500),))

    result = run(stripe_side.import_transfers(FINANCE))
    assert (result["matched_payouts"], result["exceptions_opened"]) == (0, 1)
    [found] = run(queries.list_exceptions(FINANCE, kind="unmatched_booking"))["data"]
    assert found["amount"] == "15.00"
    assert found["evidence"]["untraced"] == [{"source": "py_elsewhere", "amount": "15.00"}]
    assert found["evidence"]["traced"][0]["instruction"] == transfers[0]["metadata"]["instruction"]


def test_the_command_line_and_the_api_import_stripe(fake_stripe, people):
    from click.testing import CliRunner

    from app.cli import main

    people.make(Role.FINANCE_OFFICER, key="fin")
    payees = run(providers(1))
    transfers = _stripe_runs(fake_stripe, payees, 1)
    fake_stripe.pay_out(transfers[0]["destination"], [transfers[0]["id"]])
    done = CliRunner().invoke(main, ["reconcile", "import-stripe", "--as", "fin@example.org"])
    assert done.exit_code == 0, done.output
    assert (
        "1 transfer(s) in 1 run(s), 1 final payout(s); 2 new; matched 2 (1 payout(s) as groups)"
        in done.stdout
    )
    fake_stripe.pay_out(transfers[0]["destination"], [transfers[0]["id"]])  # the same transfer paid out twice
    answer = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/reconciliation/stripe")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["new_bookings"], answer.json()["payouts"], answer.json()["matched_payouts"]) == (
        1,
        2,
        0,
    )
    [twice] = run(queries.list_exceptions(FINANCE, kind="duplicate"))["data"]
    assert twice["instruction"] == transfers[0]["metadata"]["instruction"]
    assert people.call(Role.AUDITOR, "POST", "/api/v1/reconciliation/stripe").status_code == 403
