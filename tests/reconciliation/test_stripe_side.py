"""The Stripe side through the real SDK and the recording fake: a released Stripe run's transfers become
bookings matched by metadata[instruction]; a reversed transfer is a return exception; listing again adds
nothing."""

from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.core.db import today
from app.core.errors import Forbidden
from app.core.roles import Role
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
