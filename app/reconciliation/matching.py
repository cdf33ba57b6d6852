"""Matching bank bookings to payment instructions. Pure: records in, decisions out; no database.

Order of the rules (the first that applies decides):
1. the keys we put on the wire: each TxDtls/EndToEndId is an instruction id; a batch booking without
   details names our pain.001 MsgId (Btch/MsgId) and pays every instruction of that message;
2. tolerance rules (amount within N minor units, booked within D days of submission, creditor name
   similar to the payee's) only *propose* a match: a person confirms it from the exception.

Strategies: one booking to one instruction; one booking to many (a batch booking); many bookings to one
instruction (the bank split it; their sum must equal the instruction). Everything that does not tie
exactly becomes a finding: a difference for the exception queue. Each match says which rule made it and
why; each finding carries its evidence.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from app.reconciliation.config import Tolerances

ONE_TO_ONE, ONE_TO_MANY, MANY_TO_ONE = "one_to_one", "one_to_many", "many_to_one"
PAYABLE_STATES = frozenset({"submitted", "accepted", "settled"})  # what a bank debit can pay


class Tx(NamedTuple):
    end_to_end_id: str
    amount_minor: int
    name: str
    return_reason: str


class BookingIn(NamedTuple):
    booking: str  # bkg_…
    amount_minor: int  # credit positive, debit negative
    currency: str
    booked: dt.date | None
    kind: str  # payment | return | other
    txs: tuple[Tx, ...]
    batch_message_id: str
    counterparty: str


class InstructionIn(NamedTuple):
    instruction: str  # pin_…
    amount_minor: int
    currency: str
    payee_name: str
    submitted: dt.date | None
    state: str
    message_id: str


class Link(NamedTuple):
    booking: str
    instruction: str
    amount_minor: int


class MatchOut(NamedTuple):
    strategy: str
    rule: str
    why: str
    links: tuple[Link, ...]
    proposed: bool = False  # a tolerance rule's proposal: a person confirms it


class Finding(NamedTuple):
    kind: str  # one of queue.KINDS: unmatched_booking, amount_mismatch, duplicate, return …
    fingerprint: str
    amount_minor: int  # what is at stake (absolute)
    currency: str
    summary: str
    booking: str = ""
    instruction: str = ""
    evidence: Mapping[str, Any] = {}


class Outcome(NamedTuple):
    matches: list[MatchOut]
    findings: list[Finding]
    booking_state: dict[str, str]  # booking -> matched | exception


def money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


class _Book:
    """Which instructions are already paid by a confirmed match (from earlier runs or this one)."""

    def __init__(self, claimed: Mapping[str, str]) -> None:
        self.claimed = dict(claimed)  # instruction -> booking that paid it

    def take(self, instruction: str, booking: str) -> None:
        self.claimed[instruction] = booking


def match(
    bookings: Sequence[BookingIn],
    instructions: Mapping[str, InstructionIn],
    claimed: Mapping[str, str],
    tolerances: Tolerances,
    by_message: Mapping[str, Sequence[str]] | None = None,
) -> Outcome:
    """Decide every booking. `instructions` holds at least every instruction a booking names and the
    candidates for tolerance rules; `claimed` the instructions already paid by earlier matches."""
    book = _Book(claimed)
    out = Outcome([], [], {})
    keyed, unkeyed = _split(bookings, instructions)
    _match_keyed(keyed, instructions, book, out)
    for b in bookings:
        if b.kind == "payment" and not b.txs and b.batch_message_id and b.booking not in out.booking_state:
            _match_batch(
                b, [instructions[i] for i in (by_message or {}).get(b.batch_message_id, ())], book, out
            )
    _propose([b for b in unkeyed if b.booking not in out.booking_state], instructions, book, tolerances, out)
    return out


def _split(
    bookings: Sequence[BookingIn], instructions: Mapping[str, InstructionIn]
) -> tuple[list[BookingIn], list[BookingIn]]:
    keyed, unkeyed = [], []
    for b in bookings:
        known = [t for t in b.txs if t.end_to_end_id in instructions]
        if known and b.kind in ("payment", "return"):
            keyed.append(b)
        elif not (b.kind == "payment" and not b.txs and b.batch_message_id):
            unkeyed.append(b)
    return keyed, unkeyed


def _tx_amounts(b: BookingIn) -> list[tuple[Tx, int]]:
    """Each transaction's amount; a single transaction without its own amount takes the entry's."""
    if len(b.txs) == 1 and not b.txs[0].amount_minor:
        return [(b.txs[0], abs(b.amount_minor))]
    return [(t, t.amount_minor) for t in b.txs]


def _match_keyed(
    bookings: list[BookingIn], instructions: Mapping[str, InstructionIn], book: _Book, out: Outcome
) -> None:
    # Every reference to an instruction, across all new bookings: many bookings may pay one instruction.
    refs: dict[str, list[tuple[BookingIn, int]]] = defaultdict(list)
    for b in bookings:
        if b.kind == "return":
            _returns(b, instructions, out)
            continue
        parts = _tx_amounts(b)
        if len(b.txs) > 1 and sum(a for _, a in parts) != abs(b.amount_minor):
            out.findings.append(_batch_total(b, parts))
            out.booking_state[b.booking] = "exception"
            continue
        unknown = [t for t, _ in parts if t.end_to_end_id not in instructions]
        if unknown:
            out.findings.append(_unmatched(b, f"names {len(unknown)} payment(s) we never sent"))
            out.booking_state[b.booking] = "exception"
            continue
        for t, amount in parts:
            refs[t.end_to_end_id].append((b, amount))
    decided: dict[str, list[tuple[Link, str]]] = defaultdict(list)  # booking -> links and their strategy
    troubled: set[str] = set()
    for instruction_id, paid in refs.items():
        ins = instructions[instruction_id]
        problem = _problem(ins, paid, book)
        if problem is not None:
            out.findings.append(problem)
            troubled.update(b.booking for b, _ in paid)
            continue
        strategy = MANY_TO_ONE if len(paid) > 1 else ""
        for b, amount in paid:
            decided[b.booking].append((Link(b.booking, instruction_id, amount), strategy))
        book.take(instruction_id, paid[0][0].booking)
    _group(bookings, decided, troubled, out)


def _problem(ins: InstructionIn, paid: list[tuple[BookingIn, int]], book: _Book) -> Finding | None:
    total = sum(a for _, a in paid)
    first = paid[0][0]
    evidence = {
        "instruction_amount": money(ins.amount_minor),
        "booked_amounts": [money(a) for _, a in paid],
        "bookings": [b.booking for b, _ in paid],
        "instruction_state": ins.state,
    }
    if ins.instruction in book.claimed or ins.state not in PAYABLE_STATES:
        why = (
            f"already paid by booking {book.claimed[ins.instruction]}"
            if ins.instruction in book.claimed
            else f"the instruction is {ins.state}"
        )
        return Finding(
            "duplicate",
            f"duplicate:{first.booking}:{ins.instruction}",
            total,
            ins.currency,
            f"The bank paid {ins.instruction} ({money(total)}) but {why}.",
            first.booking,
            ins.instruction,
            evidence | {"already_paid_by": book.claimed.get(ins.instruction, "")},
        )
    if len(paid) > 1 and all(a == ins.amount_minor for _, a in paid):
        return Finding(
            "duplicate",
            f"duplicate:{paid[1][0].booking}:{ins.instruction}",
            ins.amount_minor * (len(paid) - 1),
            ins.currency,
            f"{ins.instruction} was paid {len(paid)} times by the bank.",
            paid[1][0].booking,
            ins.instruction,
            evidence,
        )
    if total != ins.amount_minor or first.currency != ins.currency:
        return Finding(
            "amount_mismatch",
            f"amount_mismatch:{ins.instruction}",
            abs(total - ins.amount_minor),
            ins.currency,
            f"The bank paid {money(total)} {first.currency} for {ins.instruction}, which is for "
            f"{money(ins.amount_minor)} {ins.currency} (difference {money(total - ins.amount_minor)}).",
            first.booking,
            ins.instruction,
            evidence
            | {"difference": money(total - ins.amount_minor), "difference_minor": total - ins.amount_minor},
        )
    return None


def _group(
    bookings: list[BookingIn],
    decided: dict[str, list[tuple[Link, str]]],
    troubled: set[str],
    out: Outcome,
) -> None:
    """One match per booking (one-to-one or a batch), or per instruction paid by several bookings."""
    many: dict[str, list[Link]] = defaultdict(list)
    for b in bookings:
        if b.booking in out.booking_state or b.kind != "payment":
            continue
        links = decided.get(b.booking, [])
        single = [link for link, strategy in links if strategy != MANY_TO_ONE]
        for link, strategy in links:
            if strategy == MANY_TO_ONE:
                many[link.instruction].append(link)
        if single:
            strategy = ONE_TO_MANY if len(single) > 1 else ONE_TO_ONE
            why = (
                f"EndToEndId {single[0].instruction} = instruction id, amount equal"
                if len(single) == 1
                else f"batch booking of {len(single)} payments, each EndToEndId an instruction id, "
                "amounts equal, sum = the booking"
            )
            out.matches.append(MatchOut(strategy, "end_to_end_id", why, tuple(single)))
        # A batch booking with one troubled payment: the others match, the booking stays in the queue.
        out.booking_state[b.booking] = "exception" if b.booking in troubled else "matched"
    for instruction, links in many.items():
        why = f"{len(links)} bookings name {instruction}; their sum equals the instruction"
        out.matches.append(MatchOut(MANY_TO_ONE, "end_to_end_id", why, tuple(links)))


def _returns(b: BookingIn, instructions: Mapping[str, InstructionIn], out: Outcome) -> None:
    for t, amount in _tx_amounts(b):
        ins = instructions.get(t.end_to_end_id)
        if ins is None:
            continue
        reason = t.return_reason or "no reason code"
        out.findings.append(
            Finding(
                "return",
                f"return:{b.booking}:{ins.instruction}",
                amount,
                b.currency,
                f"The payment {ins.instruction} to {ins.payee_name or 'the payee'} ({money(amount)}) "
                "came back "
                f"({reason}).",
                b.booking,
                ins.instruction,
                {"return_reason": t.return_reason, "amount": money(amount), "instruction_state": ins.state},
            )
        )
    out.booking_state[b.booking] = "exception"


def _batch_total(b: BookingIn, parts: list[tuple[Tx, int]]) -> Finding:
    total = sum(a for _, a in parts)
    return Finding(
        "amount_mismatch",
        f"batch_total:{b.booking}",
        abs(abs(b.amount_minor) - total),
        b.currency,
        f"The batch booking is {money(abs(b.amount_minor))} but its payments add up to {money(total)}.",
        b.booking,
        "",
        {
            "booking_amount": money(b.amount_minor),
            "payments": [[t.end_to_end_id, money(a)] for t, a in parts],
        },
    )


def _unmatched(b: BookingIn, why: str, evidence: Mapping[str, Any] | None = None) -> Finding:
    direction = "credit" if b.amount_minor > 0 else "debit"
    return Finding(
        "unmatched_booking",
        f"unmatched_booking:{b.booking}",
        abs(b.amount_minor),
        b.currency,
        f"A {direction} of {money(abs(b.amount_minor))} on {b.booked or 'an unknown date'} "
        f"({b.counterparty or 'no counterparty'}) {why}.",
        b.booking,
        "",
        {"amount": money(b.amount_minor), "counterparty": b.counterparty, **(evidence or {})},
    )


def _match_batch(b: BookingIn, members: list[InstructionIn], book: _Book, out: Outcome) -> None:
    total = sum(i.amount_minor for i in members)
    taken = [i.instruction for i in members if i.instruction in book.claimed or i.state not in PAYABLE_STATES]
    if not members or total != -b.amount_minor or taken:
        why = (
            "names a payment file we never sent"
            if not members
            else f"is a batch booking for file {b.batch_message_id} but "
            + (
                f"{len(taken)} of its payments are already paid or ended"
                if taken
                else f"the file's payments add up to {money(total)}"
            )
        )
        out.findings.append(
            _unmatched(b, why, {"message_id": b.batch_message_id, "file_total": money(total)})
        )
        out.booking_state[b.booking] = "exception"
        return
    for i in members:
        book.take(i.instruction, b.booking)
    links = tuple(Link(b.booking, i.instruction, i.amount_minor) for i in members)
    why = f"batch booking names our file {b.batch_message_id}; its {len(members)} payments sum to the booking"
    out.matches.append(MatchOut(ONE_TO_MANY, "batch_message_id", why, links))
    out.booking_state[b.booking] = "matched"


def similarity(a: str, b: str) -> float:
    a, b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _propose(
    bookings: Iterable[BookingIn],
    instructions: Mapping[str, InstructionIn],
    book: _Book,
    tolerances: Tolerances,
    out: Outcome,
) -> None:
    """Bookings without our keys: a tolerance rule may propose one instruction; the booking waits in the
    queue either way."""
    open_ = sorted(
        (i.amount_minor, i.instruction)
        for i in instructions.values()
        if i.instruction not in book.claimed and i.state in PAYABLE_STATES
    )
    amounts = [a for a, _ in open_]
    proposed: set[str] = set()
    for b in bookings:
        if b.kind != "payment" or b.amount_minor >= 0:
            what = (
                "is not a payment we sent" if b.kind != "return" else "returns a payment we cannot identify"
            )
            out.findings.append(_unmatched(b, what))
            out.booking_state[b.booking] = "exception"
            continue
        best = _best(b, open_, amounts, instructions, proposed, tolerances)
        if best is None:
            out.findings.append(_unmatched(b, "matches no instruction"))
        else:
            ins, why = best
            proposed.add(ins.instruction)
            out.matches.append(
                MatchOut(
                    ONE_TO_ONE, "tolerance", why, (Link(b.booking, ins.instruction, -b.amount_minor),), True
                )
            )
            out.findings.append(
                _unmatched(b, f"has no EndToEndId; proposed: {ins.instruction} ({why})",
                           {"proposed_instruction": ins.instruction, "rule": why})
            )  # fmt: skip
        out.booking_state[b.booking] = "exception"


def _best(
    b: BookingIn,
    open_: list[tuple[int, str]],
    amounts: list[int],
    instructions: Mapping[str, InstructionIn],
    proposed: set[str],
    t: Tolerances,
) -> tuple[InstructionIn, str] | None:
    paid = -b.amount_minor
    lo, hi = (
        bisect.bisect_left(amounts, paid - t.amount_minor),
        bisect.bisect_right(amounts, paid + t.amount_minor),
    )
    scored = []
    for _, instruction in open_[lo:hi]:
        ins = instructions[instruction]
        if instruction in proposed or ins.currency != b.currency:
            continue
        if b.booked and ins.submitted and not 0 <= (b.booked - ins.submitted).days <= t.days:
            continue
        name = similarity(b.counterparty, ins.payee_name) if b.counterparty else None
        if name is not None and name < t.name_similarity:
            continue
        scored.append((abs(ins.amount_minor - paid), -(name or 0), instruction, name))
    if not scored:
        return None
    scored.sort()
    diff, _, instruction, name = scored[0]
    why = f"amount within {t.amount_minor} minor units (off by {diff}), booked within {t.days} days"
    if name is not None:
        why += f", name similarity {name:.2f}"
    return instructions[instruction], why
