"""Stripe webhooks: the signature is checked with the endpoint secret, each event id is processed once (the
`stripe_event` inbox, written in the same transaction as what the event changes), and the object is
re-fetched from Stripe before acting, so events in any order, repeated, or stale, all lead to what Stripe
shows now. A bad signature, or an event about an object that is not ours, changes nothing (400).

- transfer.* : the transfer re-fetched; not reversed -> the instruction settles; reversed -> failed (in
  transit) or returned (settled);
- payout.failed (from a connected account): the payout re-fetched; the transfers it carried are reversed
  (pulled back from the account) and their instructions returned, with Stripe's failure reason;
- other types are recorded as ignored.
"""

from __future__ import annotations

from typing import Any

import stripe

from app.core import crashpoints
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.errors import ValidationFailed
from app.core.sql import Sql
from app.disbursements import config, instructions, rails, states, stripe_rail

TOLERANCE_S = 300
ACTOR = Actor.system("stripe-webhook")


def verify(payload: bytes, signature: str) -> Any:
    secret = config.stripe_webhook_secret()
    if not secret:
        raise ValidationFailed("webhook_not_configured", "set GRANTS_STRIPE_WEBHOOK_SECRET", None)
    try:
        return stripe.Webhook.construct_event(
            payload.decode("utf-8"), signature, secret, tolerance=TOLERANCE_S
        )
    except stripe.SignatureVerificationError:
        raise ValidationFailed(
            "invalid_signature", "the Stripe-Signature header does not match this payload", "Stripe-Signature"
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("invalid_payload", "the body is not a Stripe event", "body") from None


async def _seen(event_id: str) -> dict[str, Any] | None:
    async with write_transaction():
        rows = await Sql().fetch("SELECT * FROM stripe_event WHERE event_id = $1", event_id)
    return rows[0] if rows else None


async def _claim(sql: Sql, event: Any, object_id: str) -> bool:
    """Insert the inbox row; False when another delivery of the same event got there first."""
    if await sql.fetch("SELECT id FROM stripe_event WHERE event_id = $1", event.id):
        return False
    await sql.insert_many(
        "stripe_event",
        ("event_id", "event_type", "object_id", "outcome", "received_at"),
        [(event.id, event.type, object_id, "", utcnow())],
    )
    return True


async def _done(sql: Sql, event_id: str, outcome: str) -> None:
    await sql.execute("UPDATE stripe_event SET outcome = $1 WHERE event_id = $2", outcome, event_id)


async def handle(payload: bytes, signature: str) -> dict[str, Any]:
    event = verify(payload, signature)
    seen = await _seen(event.id)
    if seen is not None:
        return {"event": event.id, "duplicate": True, "outcome": seen["outcome"]}
    obj = event.data.object
    object_id = str(getattr(obj, "id", "") or "")
    if event.type.startswith("transfer."):
        return await _transfer_event(event, object_id)
    if event.type == "payout.failed":
        return await _payout_failed(event, object_id, str(getattr(event, "account", "") or ""))
    async with write_transaction():
        sql = Sql()
        if await _claim(sql, event, object_id):
            await _done(sql, event.id, "ignored")
    return {"event": event.id, "duplicate": False, "outcome": "ignored"}


def _unknown(what: str, object_id: str) -> ValidationFailed:
    return ValidationFailed(
        "unknown_object", f"{what} {object_id!r} is not one of our payments", "data.object.id"
    )


async def _transfer_event(event: Any, transfer_id: str) -> dict[str, Any]:
    sc = stripe_rail.client()
    transfer = await stripe_rail.fetch_transfer(sc, transfer_id) if transfer_id else None
    instruction = stripe_rail.metadata(transfer).get("instruction", "") if transfer else ""
    async with write_transaction():
        sql = Sql()
        rows = await instructions.lock(sql, [instruction]) if instruction else []
        if transfer is None or not rows or rows[0]["method"] != "stripe":
            raise _unknown("transfer", transfer_id)
        row = rows[0]
        if row["transfer_id"] and row["transfer_id"] != transfer.id:
            raise _unknown("transfer", transfer_id)
        if not await _claim(sql, event, transfer_id):
            return {"event": event.id, "duplicate": True}
        outcome = await rails.apply_transfer(ACTOR, sql, row, transfer)
        await _done(sql, event.id, f"{row['public_id']}: {outcome}")
        crashpoints.reached("webhook.before_commit")
    return {"event": event.id, "duplicate": False, "outcome": outcome, "instruction": row["public_id"]}


async def _payout_failed(event: Any, payout_id: str, account: str) -> dict[str, Any]:
    sc = stripe_rail.client()
    payout = await stripe_rail.fetch_payout(sc, payout_id, account) if payout_id and account else None
    if payout is None or payout.status != "failed":
        raise _unknown("payout", payout_id)
    sources = await stripe_rail.payout_sources(sc, payout_id, account)
    async with write_transaction():
        sql = Sql()
        found = await sql.fetch(
            "SELECT public_id FROM payment_instruction WHERE method = 'stripe' "
            f"AND destination_payment <> '' AND destination_payment {sql.any_(1, 'text')}",
            sorted(sources),
        )
    if not found:
        raise _unknown("payout", payout_id)
    reason = f"the payout to the payee's bank failed ({payout.failure_code}): {payout.failure_message}"
    async with write_transaction():
        sql = Sql()
        rows = await instructions.lock(sql, [r["public_id"] for r in found])
        if not await _claim(sql, event, payout_id):
            return {"event": event.id, "duplicate": True}
        returned = [r for r in rows if r["state"] == states.SETTLED]
        for row in returned:
            # Idempotent by key: a retried webhook pulls the same transfer back once.
            try:
                await stripe_rail.reverse_transfer(
                    sc, row["transfer_id"], f"grants-{row['public_id']}-return"
                )
            except stripe.StripeError as exc:  # nothing is recorded; Stripe delivers the event again
                raise stripe_rail.StripeUnavailable(
                    "stripe_unavailable", f"reversing {row['transfer_id']} failed: {exc.user_message or exc}"
                ) from exc
        await instructions.end(
            ACTOR,
            sql,
            returned,
            states.RETURNED,
            str(payout.failure_code or "payout_failed"),
            reason,
            utcnow().date(),
        )
        outcome = f"returned {len(returned)}: " + ", ".join(r["public_id"] for r in returned)
        await _done(sql, event.id, outcome[:500])
    return {
        "event": event.id,
        "duplicate": False,
        "outcome": "returned",
        "instructions": [r["public_id"] for r in returned],
    }
