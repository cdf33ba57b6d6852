"""The Stripe side: each run's transfers, listed through the SDK (by transfer_group = the run id), become
bookings on the `stripe` account, matched like bank entries by the key we put on the wire
(metadata[instruction]). A reversed transfer is a return. Listing again adds only what is new."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.ids import new_ids
from app.core.sql import Sql
from app.disbursements import reads as payments
from app.disbursements import stripe_rail
from app.reconciliation import queue, service, statements
from app.reconciliation.matching import BookingIn, Tx

ACCOUNT = "stripe"


def _bookings(transfers: list[Any]) -> list[tuple[str, BookingIn, str]]:
    """(identity, booking, reference) for each transfer, and for each reversal of one."""
    out = []
    for t in transfers:
        instruction = stripe_rail.metadata(t).get("instruction", "")
        amount, currency = int(t.amount), str(t.currency).upper()
        tx = Tx(instruction, amount, str(t.destination or ""), "")
        out.append(
            (f"{ACCOUNT}|{t.id}", BookingIn("", -amount, currency, None, "payment", (tx,), "", ""), t.id)
        )
        reversed_ = int(t.amount_reversed or 0) or (amount if t.reversed else 0)
        if reversed_:
            back = Tx(instruction, reversed_, "", "reversed")
            came_back = BookingIn("", reversed_, currency, None, "return", (back,), "", "")
            out.append((f"{ACCOUNT}|reversal|{t.id}", came_back, t.id))
    return out


async def import_transfers(actor: Actor) -> dict[str, Any]:
    """List every Stripe run's transfers and match what is new."""
    service.require(actor, service.RUNNERS, "importing Stripe transfers")
    async with write_transaction():
        runs = await payments.stripe_runs(Sql())
    sc = stripe_rail.client()
    transfers = [t for run in runs for t in await stripe_rail.transfers_of_run(sc, run)]
    found = _bookings(transfers)
    async with write_transaction():
        sql = Sql()
        known = await statements.known_identities(sql, [i for i, _, _ in found])
        fresh = [(i, b, ref) for i, b, ref in found if i not in known]
        if not fresh:
            return {"runs": len(runs), "transfers": len(transfers), "new_bookings": 0}
        statement_id = new_ids("stm", 1)[0]
        digest = hashlib.sha256(json.dumps(sorted(i for i, _, _ in fresh)).encode()).hexdigest()
        await sql.insert_many(
            "recon_statement",
            ("public_id", "kind", "account", "statement_id", "currency", "entries", "new_bookings", "digest",
             "imported_by", "imported_at"),
            [(statement_id, "stripe", ACCOUNT, statement_id, fresh[0][1].currency, len(found), len(fresh),
              digest, actor.public_id, utcnow())],
        )  # fmt: skip
        ids = new_ids("bkg", len(fresh))
        bookings = [b._replace(booking=i) for i, (_, b, _) in zip(ids, fresh, strict=True)]
        await sql.insert_many(
            "recon_booking",
            statements.BOOKING_COLUMNS,
            [(i, identity, statement_id, ACCOUNT, ref, 0, None, b.currency, b.amount_minor, b.kind,
              b.txs[0].return_reason, "", json.dumps([list(b.txs[0])]), b.txs[0].name, "", "unmatched")
             for i, (identity, _, ref), b in zip(ids, fresh, bookings, strict=True)],
        )  # fmt: skip
        outcome = await service.match_pending(actor, sql, bookings)
        opened = await queue.record(actor, sql, outcome.findings)
        await audit.record(actor, "reconciliation.stripe_imported", "recon_statement", statement_id,
                           after={"transfers": len(transfers), "new_bookings": len(fresh)})  # fmt: skip
    states = list(outcome.booking_state.values())
    return {
        "runs": len(runs),
        "transfers": len(transfers),
        "new_bookings": len(fresh),
        "matched_bookings": states.count("matched"),
        "exception_bookings": states.count("exception"),
        "exceptions_opened": opened["opened"],
    }
