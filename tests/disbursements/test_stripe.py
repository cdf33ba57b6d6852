"""Paying by Stripe Connect through the real SDK and a recording fake HTTP client: one transfer per
instruction with its stored idempotency key, retried with the same key after a timeout; a second release
sends nothing; webhooks checked by signature, processed once, acted on from the re-fetched object."""

from __future__ import annotations

import datetime as dt
import time

from app.disbursements import release, runs
from app.ledger import queries
from app.ledger.verify import verify
from tests.disbursements.world import (
    APPROVER,
    FINANCE,
    PROGRAMME,
    RELEASER,
    approved_claims,
    confirmed_stripe,
    providers,
    signed_event,
)
from tests.support import row_counts, run

PAY_DATE = dt.date(2030, 1, 15)
HOOK = "/api/v1/webhooks/stripe"


def _released_run(fake, payees=2, per_payee=1, amount=5_000):
    found = run(providers(payees))
    run(approved_claims(found, per_payee, amount))
    accounts = [run(confirmed_stripe(p)) for p in found]
    made = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    run(runs.approve_run(APPROVER, made["id"]))
    return made["id"], found, accounts


def _instructions(run_id):
    return run(runs.get_run(FINANCE, run_id, with_instructions=True))["instruction_list"]


def _paid() -> int:
    return run(queries.budget_position(fund="ESF", programme=PROGRAMME))[0].paid


def _post(client, payload, signature):
    return client.post(HOOK, content=payload, headers={"Stripe-Signature": signature})


def test_release_makes_one_transfer_per_instruction_and_webhooks_settle_them(fake_stripe, client):
    run_id, _, accounts = _released_run(fake_stripe)
    released = run(release.release_run(RELEASER, run_id))
    assert released["status"] == "released" and released["states"] == {"submitted": 2}
    posts = [r for r in fake_stripe.requests if r["method"] == "POST"]
    assert len(posts) == 2
    by_key = {r["idempotency_key"]: r for r in posts}
    for item in _instructions(run_id):
        request = by_key[f"grants-{item['id']}-1"]
        assert request["params"]["transfer_group"] == run_id
        assert request["params"]["metadata[instruction]"] == item["id"]
        assert request["params"]["destination"] in accounts and request["params"]["amount"] == "5000"
    again = run(release.release_run(RELEASER, run_id))
    assert again["sent_now"] == 0 and len([r for r in fake_stripe.requests if r["method"] == "POST"]) == 2

    transfer_id = _instructions(run_id)[0]["transfer"]
    stale = {"id": transfer_id, "object": "transfer", "reversed": True}  # the event's copy is not trusted
    payload, signature = signed_event("transfer.created", stale, event_id="evt_1")
    response = _post(client, payload, signature)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "settled"
    duplicate = _post(client, payload, signature)
    assert duplicate.status_code == 200 and duplicate.json()["duplicate"] is True
    assert _paid() == 5_000
    states = sorted(i["state"] for i in _instructions(run_id))
    assert states == ["settled", "submitted"]
    assert run(verify()).ok


def test_a_timeout_is_retried_with_the_same_key_and_nothing_is_paid_twice(fake_stripe):
    run_id, _, _ = _released_run(fake_stripe, payees=1)
    fake_stripe.add_faults("timeout", "timeout_after", "timeout_after", "timeout_after")
    first = run(release.release_run(RELEASER, run_id))
    assert first["status"] == "releasing" and first["unconfirmed"] == 1  # the SDK gave up after 3 tries
    assert len(fake_stripe.transfers) == 1  # the transfer was made, the answers lost
    keys = {r["idempotency_key"] for r in fake_stripe.requests if r["method"] == "POST"}
    assert len(keys) == 1
    second = run(release.release_run(RELEASER, run_id))
    assert second["status"] == "released" and second["states"] == {"submitted": 1}
    assert len(fake_stripe.transfers) == 1
    assert {r["idempotency_key"] for r in fake_stripe.requests if r["method"] == "POST"} == keys


def test_a_refused_account_fails_the_instruction_and_a_follow_up_pays_it(fake_stripe):
    run_id, found, accounts = _released_run(fake_stripe, payees=2)
    fake_stripe.refuse_account(accounts[0])
    run(release.release_run(RELEASER, run_id))
    failed = [i for i in _instructions(run_id) if i["state"] == "failed"]
    assert len(failed) == 1 and failed[0]["reason_code"] == "account_invalid"
    assert "Stripe refused" in failed[0]["reason"]
    follow_up = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    item = run(runs.get_run(FINANCE, follow_up["id"], with_instructions=True))["instruction_list"][0]
    assert item["follows"] == [failed[0]["id"]] and item["payee"] == found[0]


def test_reversal_and_payout_failure_return_settled_payments(fake_stripe, client):
    run_id, _, _ = _released_run(fake_stripe, payees=2)
    run(release.release_run(RELEASER, run_id))
    items = _instructions(run_id)
    for item in items:
        payload, signature = signed_event("transfer.updated", {"id": item["transfer"], "object": "transfer"})
        assert _post(client, payload, signature).json()["outcome"] == "settled"
    assert _paid() == 10_000
    fake_stripe.reverse(items[0]["transfer"])
    payload, signature = signed_event("transfer.reversed", {"id": items[0]["transfer"], "object": "transfer"})
    assert _post(client, payload, signature).json()["outcome"] == "returned"

    second = items[1]
    destination = fake_stripe.transfer(second["transfer"])["destination"]
    payout = fake_stripe.fail_payout(destination, [second["transfer"]])
    payload, signature = signed_event(
        "payout.failed", {"id": payout, "object": "payout"}, account=destination
    )
    response = _post(client, payload, signature)
    assert response.status_code == 200, response.text
    assert response.json()["instructions"] == [second["id"]]
    shown = run(runs.get_instruction(FINANCE, second["id"]))
    assert shown["state"] == "returned" and shown["reason_code"] == "account_closed"
    assert fake_stripe.transfer(second["transfer"])["reversed"] is True
    assert _paid() == 0
    assert -sum(a.balance for a in run(queries.account_balances(code="2110"))) == 10_000  # owed again
    assert run(verify()).ok


def test_bad_webhooks_are_refused_and_change_nothing(fake_stripe, client):
    run_id, _, _ = _released_run(fake_stripe, payees=1)
    run(release.release_run(RELEASER, run_id))
    transfer = _instructions(run_id)[0]["transfer"]
    before = run(row_counts())
    obj = {"id": transfer, "object": "transfer"}
    wrong_secret = signed_event("transfer.created", obj, secret="whsec_wrong")
    payload, signature = signed_event("transfer.created", obj)
    tampered = (payload.replace(b'"livemode": false', b'"livemode": true'), signature)
    stale = signed_event("transfer.created", obj, timestamp=int(time.time()) - 3600)
    unknown = signed_event("transfer.created", {"id": "tr_notours", "object": "transfer"})
    cases = [(wrong_secret, "invalid_signature"), (tampered, "invalid_signature"), (stale, "invalid_signature"),
             (unknown, "unknown_object"), ((b"not json", signature), "invalid_signature")]  # fmt: skip
    for (body, header), code in cases:
        response = _post(client, body, header)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == code
    assert client.post(HOOK, content=payload).status_code == 400  # no signature at all
    assert run(row_counts()) == before
