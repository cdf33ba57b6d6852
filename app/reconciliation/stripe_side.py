"""The Stripe side, listed through the SDK: each run's transfers (by transfer_group = the run id) and the
payouts of the connected accounts they went to, with each payout's balance transactions.

- A transfer is a booking on the `stripe` account, matched like a bank entry by the key we put on the
  wire (metadata[instruction]); a reversed transfer is a return (one exception per instruction).
- A payout (paid or failed) is a booking on `stripe:<account>`, matched as a group: its balance
  transactions are the payments that landed on the connected account (`source` = a transfer's
  destination payment), so a payout that carried many of our transfers ties to their instructions at once
  (strategy one_to_many, rule `stripe_payout`). A payout that does not tie (a source that is none of our
  transfers, or a total that differs) is an exception with the untraced pieces as evidence.
- A failed payout also books its money coming back on the connected account: a return of each payment it
  carried whose transfer is not reversed yet (the payee did not get it), so each is one exception that a
  person resolves (re-issued, or accepted once the transfer is reversed).

Identity of each booking: the account and the Stripe object's id (`stripe|tr_…`, `stripe|reversal|tr_…`,
`stripe:acct_…|po_…`, `stripe:acct_…|po_…|failed`), so listing again adds only what is new. Pending and
in-transit payouts are not final: they are imported once Stripe reports them paid or failed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import stripe

from app.core import audit
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.ids import new_ids
from app.core.sql import Sql
from app.disbursements import reads as payments
from app.disbursements import stripe_rail
from app.reconciliation import queue, service, statements
from app.reconciliation.matching import ONE_TO_MANY, BookingIn, Finding, Link, MatchOut, Tx, money

ACCOUNT = "stripe"
FINAL_PAYOUTS = frozenset({"paid", "failed"})


class Payout(NamedTuple):
    account: str  # the connected account (acct_…)
    id: str  # po_…
    amount_minor: int
    currency: str
    status: str
    failure_code: str
    pieces: tuple[tuple[str, int], ...]  # (source, amount) of each balance transaction it carried


class Found(NamedTuple):
    identity: str
    account: str  # `stripe` (our platform's transfers) or `stripe:acct_…` (a connected account's payouts)
    booking: BookingIn
    reference: str
    payout: Payout | None = None  # set on a payout's own booking (matched as a group)


def _transfer_bookings(transfers: Sequence[Any]) -> list[Found]:
    """A booking for each transfer, and for each reversal of one."""
    out = []
    for t in transfers:
        instruction = stripe_rail.metadata(t).get("instruction", "")
        amount, currency = int(t.amount), str(t.currency).upper()
        payee = str(t.destination or "")
        sent = BookingIn(
            "", -amount, currency, None, "payment", (Tx(instruction, amount, payee, ""),), "", payee
        )
        out.append(Found(f"{ACCOUNT}|{t.id}", ACCOUNT, sent, t.id))
        reversed_ = int(t.amount_reversed or 0) or (amount if t.reversed else 0)
        if reversed_:
            back = Tx(instruction, reversed_, "", "reversed")
            came_back = BookingIn("", reversed_, currency, None, "return", (back,), "", payee)
            out.append(Found(f"{ACCOUNT}|reversal|{t.id}", ACCOUNT, came_back, t.id))
    return out


def _payout_bookings(payouts: Sequence[Payout], transfers: Sequence[Any]) -> list[Found]:
    """A booking for each final payout (its pieces traced to our instructions through the transfers'
    destination payments), and for a failed one the return of what it carried."""
    by_payment = {
        str(t.destination_payment): (stripe_rail.metadata(t).get("instruction", ""), t)
        for t in transfers
        if getattr(t, "destination_payment", None)
    }
    out = []
    for p in payouts:
        account = f"{ACCOUNT}:{p.account}"
        txs = tuple(
            Tx(by_payment.get(source, ("", None))[0], amount, source, "") for source, amount in p.pieces
        )
        paid_out = BookingIn("", -p.amount_minor, p.currency, None, "payout", txs, "", p.account)
        out.append(Found(f"{account}|{p.id}", account, paid_out, p.id, p))
        if p.status != "failed":
            continue
        reason = p.failure_code or "payout_failed"
        back = tuple(
            Tx(t.end_to_end_id, t.amount_minor, t.name, reason)
            for t in txs
            if t.end_to_end_id and not stripe_rail.fully_reversed(by_payment[t.name][1])
        )
        if back:
            total = sum(t.amount_minor for t in back)
            returned = BookingIn("", total, p.currency, None, "return", back, "", p.account)
            out.append(Found(f"{account}|{p.id}|failed", account, returned, p.id))
    return out


def payout_group(
    booking: BookingIn, payout: Payout, carried_before: dict[str, str] | None = None
) -> MatchOut | Finding:
    """A payout's booking tied to the instructions it carried, or why it does not tie. `carried_before`:
    instruction -> the payout booking that already carried it (a payment is paid out once)."""
    traced = [t for t in booking.txs if t.end_to_end_id]
    untraced = [t for t in booking.txs if not t.end_to_end_id]
    carried = sum(t.amount_minor for t in traced)
    evidence = {
        "payout": payout.id,
        "account": payout.account,
        "status": payout.status,
        "payout_amount": money(payout.amount_minor),
        "traced": [{"instruction": t.end_to_end_id, "source": t.name, "amount": money(t.amount_minor)}
                   for t in traced],
        "untraced": [{"source": t.name, "amount": money(t.amount_minor)} for t in untraced],
    }  # fmt: skip
    if untraced or not traced:
        return Finding(
            "unmatched_booking",
            f"stripe_payout:{payout.id}",
            sum(t.amount_minor for t in untraced) or payout.amount_minor,
            booking.currency,
            f"Stripe payout {payout.id} of {payout.account} carried {len(untraced)} payment(s) that are "
            "none of our transfers.",
            booking.booking,
            "",
            evidence,
        )
    again = [t for t in traced if t.end_to_end_id in (carried_before or {})]
    if again:
        return Finding(
            "duplicate",
            f"stripe_payout:{payout.id}",
            sum(t.amount_minor for t in again),
            booking.currency,
            f"Stripe payout {payout.id} of {payout.account} carried {len(again)} payment(s) that an earlier "
            "payout already carried.",
            booking.booking,
            again[0].end_to_end_id,
            evidence | {"already_carried_by": {t.end_to_end_id: carried_before[t.end_to_end_id]
                                               for t in again}},
        )  # fmt: skip
    if carried != payout.amount_minor:
        return Finding(
            "amount_mismatch",
            f"stripe_payout:{payout.id}",
            abs(carried - payout.amount_minor),
            booking.currency,
            f"Stripe payout {payout.id} of {payout.account} is {money(payout.amount_minor)}, but the "
            f"transfers it carried add up to {money(carried)}.",
            booking.booking,
            traced[0].end_to_end_id,
            evidence,
        )
    return MatchOut(
        ONE_TO_MANY,
        "stripe_payout",
        f"payout {payout.id} ({payout.status}) carried {len(traced)} transfer(s): each balance transaction's "
        "source is a transfer's destination payment, and they add up to the payout",
        tuple(Link(booking.booking, t.end_to_end_id, t.amount_minor) for t in traced),
    )


async def _pages(list_page: Any, params: dict[str, Any], account: str) -> list[Any]:
    found: list[Any] = []
    while True:
        page = await list_page(params, options={"stripe_account": account})
        found += list(page.data)
        if not page.has_more or not page.data:
            return found
        params = {**params, "starting_after": page.data[-1].id}


async def payouts_of(sc: stripe.StripeClient, accounts: Sequence[str]) -> list[Payout]:
    """Every final payout of these connected accounts, with the balance transactions it carried."""
    out = []
    for account in accounts:
        for p in await _pages(sc.v1.payouts.list_async, {"limit": 100}, account):
            if p.status not in FINAL_PAYOUTS:
                continue
            pieces = await _pages(
                sc.v1.balance_transactions.list_async, {"payout": p.id, "limit": 100}, account
            )
            out.append(
                Payout(
                    account,
                    p.id,
                    int(p.amount),
                    str(p.currency).upper(),
                    str(p.status),
                    str(getattr(p, "failure_code", "") or ""),
                    tuple(
                        (str(b.source), int(b.amount))
                        for b in pieces
                        if getattr(b, "type", "") != "payout" and getattr(b, "source", None)
                    ),
                )
            )
    return out


async def _store(actor: Actor, sql: Sql, fresh: list[Found], listed: int) -> tuple[str, list[BookingIn]]:
    statement_id = new_ids("stm", 1)[0]
    digest = hashlib.sha256(json.dumps(sorted(f.identity for f in fresh)).encode()).hexdigest()
    await sql.insert_many(
        "recon_statement",
        ("public_id", "kind", "account", "statement_id", "currency", "entries", "new_bookings", "digest",
         "imported_by", "imported_at"),
        [(statement_id, "stripe", ACCOUNT, statement_id, fresh[0].booking.currency, listed, len(fresh),
          digest, actor.public_id, utcnow())],
    )  # fmt: skip
    ids = new_ids("bkg", len(fresh))
    bookings = [f.booking._replace(booking=i) for i, f in zip(ids, fresh, strict=True)]
    await sql.insert_many(
        "recon_booking",
        statements.BOOKING_COLUMNS,
        [(b.booking, f.identity, statement_id, f.account, f.reference, 0, None, b.currency, b.amount_minor,
          b.kind, b.txs[0].return_reason if b.txs else "", "", json.dumps([list(t) for t in b.txs]),
          b.counterparty, "", "unmatched")
         for f, b in zip(fresh, bookings, strict=True)],
    )  # fmt: skip
    return statement_id, bookings


async def _match_payouts(
    actor: Actor, sql: Sql, groups: list[tuple[BookingIn, Payout]]
) -> tuple[dict[str, str], list[Finding]]:
    matches, findings, state = [], [], {}
    named = sorted({t.end_to_end_id for b, _ in groups for t in b.txs if t.end_to_end_id})
    rows = await sql.fetch(
        f"SELECT instruction, booking FROM recon_match WHERE rule = 'stripe_payout' AND status = 'confirmed' "
        f"AND instruction {sql.any_(1, 'text')}",
        named,
    )
    carried = {r["instruction"]: r["booking"] for r in rows}
    for booking, payout in groups:
        decided = payout_group(booking, payout, carried)
        if isinstance(decided, MatchOut):
            carried.update({lk.instruction: booking.booking for lk in decided.links})
            matches.append(decided)
            state[booking.booking] = "matched"
        else:
            findings.append(decided)
            state[booking.booking] = "exception"
    await service.store_matches(actor, sql, matches)
    await sql.executemany(
        "UPDATE recon_booking SET state = $1 WHERE public_id = $2", [(s, b) for b, s in state.items()]
    )
    return state, findings


async def import_transfers(actor: Actor) -> dict[str, Any]:
    """List every Stripe run's transfers and their connected accounts' payouts; match what is new."""
    service.require(actor, service.RUNNERS, "importing Stripe transfers and payouts")
    async with write_transaction():
        runs = await payments.stripe_runs(Sql())
    sc = stripe_rail.client()
    transfers = [t for run in runs for t in await stripe_rail.transfers_of_run(sc, run)]
    payouts = await payouts_of(sc, sorted({str(t.destination) for t in transfers if t.destination}))
    found = _transfer_bookings(transfers) + _payout_bookings(payouts, transfers)
    async with write_transaction():
        sql = Sql()
        known = await statements.known_identities(sql, [f.identity for f in found])
        fresh = [f for f in found if f.identity not in known]
        counts = {"runs": len(runs), "transfers": len(transfers), "payouts": len(payouts)}
        if not fresh:
            return counts | {"new_bookings": 0}
        statement_id, bookings = await _store(actor, sql, fresh, len(found))
        groups = [(b, f.payout) for f, b in zip(fresh, bookings, strict=True) if f.payout is not None]
        outcome = await service.match_pending(actor, sql, [b for b in bookings if b.kind != "payout"])
        payout_state, payout_findings = await _match_payouts(actor, sql, groups)
        opened = await queue.record(actor, sql, [*outcome.findings, *payout_findings])
        await audit.record(actor, "reconciliation.stripe_imported", "recon_statement", statement_id,
                           after=counts | {"new_bookings": len(fresh)})  # fmt: skip
    states = [*outcome.booking_state.values(), *payout_state.values()]
    return counts | {
        "new_bookings": len(fresh),
        "matched_bookings": states.count("matched"),
        "exception_bookings": states.count("exception"),
        "matched_payouts": list(payout_state.values()).count("matched"),
        "exceptions_opened": opened["opened"],
    }
