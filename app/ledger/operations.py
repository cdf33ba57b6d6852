"""The budget stages as pure functions: each returns the legs of one balanced entry.

No database here. Every operation posts its budgetary legs and, where money or an obligation to pay
moves, its financial legs. Committing and releasing touch only the budgetary track: a commitment
limits what may be spent but is not yet a debt.

Legs carry amounts in minor units, debit positive and credit negative. The records are named tuples,
like Beancount's: immutable, and cheap enough to make a hundred thousand of in a batch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from app.ledger import chart as c
from app.ledger.errors import LedgerRefusal, Refusal


class Kind(StrEnum):
    BUDGET_LOAD = "budget_load"
    COMMIT = "commit"
    RELEASE = "release"
    EXPEND = "expend"
    PAY = "pay"
    DISALLOW = "disallow"
    RECEIVABLE = "receivable"
    RECOVERY_REPAYMENT = "recovery_repayment"
    RECOVERY_OFFSET = "recovery_offset"
    PAYMENT_SUBMIT = "payment_submit"
    SETTLE_BANK = "settle_bank"
    SETTLE_STRIPE = "settle_stripe"
    JOURNAL = "journal"
    REVERSAL = "reversal"


class AccountKey(NamedTuple):
    code: str
    fund: str
    programme: str
    party: str = ""


class Leg(NamedTuple):
    account: AccountKey
    amount: int


class Draft(NamedTuple):
    """An entry before it is posted: what was asked for, and the key that makes asking twice harmless."""

    kind: Kind
    idempotency_key: str
    effective_date: dt.date
    legs: tuple[Leg, ...]
    description: str = ""
    reference_type: str = ""
    reference_id: str = ""
    reverses: int | None = None


class Target(NamedTuple):
    """Where an operation lands: the fund and programme whose budget it uses, and the party if any."""

    fund: str
    programme: str
    party: str = ""

    def key(self, code: str) -> AccountKey:
        return _key(self, code)


@lru_cache(maxsize=4096)
def _key(target: Target, code: str) -> AccountKey:
    return AccountKey(code, target.fund, target.programme, target.party if c.BY_CODE[code].has_party else "")


def _move(target: Target, debit: str, credit: str, amount: int) -> tuple[Leg, Leg]:
    return Leg(target.key(debit), amount), Leg(target.key(credit), -amount)


def _positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise LedgerRefusal(
            Refusal.AMOUNT_NOT_POSITIVE, "the amount must be a positive whole number of minor units"
        )
    return amount


def _party(target: Target) -> Target:
    if not target.party:
        raise LedgerRefusal(Refusal.PARTY_REQUIRED, "this operation needs the party paid or owing", "party")
    return target


def load_budget(target: Target, amount: int) -> tuple[Leg, ...]:
    """Budget authority and the funds behind it arrive: available budget rises."""
    amount = _positive(amount)
    return (
        *_move(target, c.APPROPRIATION, c.AVAILABLE, amount),
        *_move(target, c.CASH, c.NET_POSITION, amount),
    )


def commit(target: Target, amount: int) -> tuple[Leg, ...]:
    """A voucher is issued or an agreement signed: available -> committed."""
    return _move(target, c.AVAILABLE, c.COMMITTED, _positive(amount))


def release(target: Target, amount: int) -> tuple[Leg, ...]:
    """Unused commitment (expired or revoked voucher, ended agreement) goes back to available."""
    return _move(target, c.COMMITTED, c.AVAILABLE, _positive(amount))


def expend(target: Target, amount: int) -> tuple[Leg, ...]:
    """A claim is approved: committed -> expended; an expense, and a payable to the party."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.COMMITTED, c.EXPENDED_UNPAID, amount),
        *_move(target, c.EXPENSE, c.PAYABLE, amount),
    )


def pay(target: Target, amount: int) -> tuple[Leg, ...]:
    """A payment settles: the payable is paid from cash."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.EXPENDED_UNPAID, c.EXPENDED_PAID, amount),
        *_move(target, c.PAYABLE, c.CASH, amount),
    )


def submit_payment(target: Target, amount: int) -> tuple[Leg, ...]:
    """A payment instruction is handed to its rail (bank file, Stripe): the payable becomes money in
    transit. Nothing is paid yet, so the budgetary track does not move."""
    amount, target = _positive(amount), _party(target)
    return _move(target, c.PAYABLE, c.IN_TRANSIT, amount)


def _settle(target: Target, amount: int, cash: str) -> tuple[Leg, ...]:
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.EXPENDED_UNPAID, c.EXPENDED_PAID, amount),
        *_move(target, c.IN_TRANSIT, cash, amount),
    )


def settle_bank(target: Target, amount: int) -> tuple[Leg, ...]:
    """The bank reports a submitted transfer settled: in transit -> cash at bank; expended -> paid."""
    return _settle(target, amount, c.CASH)


def settle_stripe(target: Target, amount: int) -> tuple[Leg, ...]:
    """Stripe reports a transfer landed in the payee's connected account: in transit -> Stripe balance."""
    return _settle(target, amount, c.STRIPE_BALANCE)


def disallow(target: Target, amount: int) -> tuple[Leg, ...]:
    """An approved amount not yet paid turns out not to be due (e.g. a month after the employment ended):
    the expenditure and the payable shrink, and the budget is available again. Once paid, it is a
    receivable instead."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.EXPENDED_UNPAID, c.AVAILABLE, amount),
        *_move(target, c.PAYABLE, c.EXPENSE, amount),
    )


def raise_receivable(target: Target, amount: int) -> tuple[Leg, ...]:
    """An overpayment is found: it was not a valid expense; the party owes it back."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.EXPENDED_PAID, c.RECOVERIES_PENDING, amount),
        *_move(target, c.RECEIVABLE, c.EXPENSE, amount),
    )


def recover_by_repayment(target: Target, amount: int) -> tuple[Leg, ...]:
    """The party pays back: cash in, receivable cleared, the budget is available again."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.RECOVERIES_PENDING, c.AVAILABLE, amount),
        *_move(target, c.CASH, c.RECEIVABLE, amount),
    )


def recover_by_offset(target: Target, amount: int) -> tuple[Leg, ...]:
    """Netted against a new approved claim: that much of the payable is settled by the receivable."""
    amount, target = _positive(amount), _party(target)
    return (
        *_move(target, c.RECOVERIES_PENDING, c.AVAILABLE, amount),
        *_move(target, c.EXPENDED_UNPAID, c.EXPENDED_PAID, amount),
        *_move(target, c.PAYABLE, c.RECEIVABLE, amount),
    )


def reversal_legs(legs: Iterable[Leg]) -> tuple[Leg, ...]:
    return tuple(Leg(leg.account, -leg.amount) for leg in legs)


class Operation(NamedTuple):
    """A budget-stage operation as other domains ask for it: what, where, how much, and its key."""

    kind: Kind
    target: Target
    amount: int
    idempotency_key: str
    effective_date: dt.date
    description: str = ""
    reference_type: str = ""
    reference_id: str = ""


def expenditures(
    party: str,
    amounts: Iterable[tuple[str, str, int]],
    key: str,
    effective_date: dt.date,
    description: str,
    reference_type: str,
    reference_id: str,
) -> list[Operation]:
    """An approved claim's expenditure: its (fund, programme, amount) lines summed into one operation per
    fund x programme, keyed `{key}:expend:{fund}:{programme}`."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for fund, programme, amount in amounts:
        totals[(fund, programme)] += amount
    return [
        Operation(
            Kind.EXPEND,
            Target(fund, programme, party),
            amount,
            f"{key}:expend:{fund}:{programme}",
            effective_date,
            description,
            reference_type,
            reference_id,
        )
        for (fund, programme), amount in sorted(totals.items())
        if amount > 0
    ]


BUILDERS = {
    Kind.BUDGET_LOAD: load_budget,
    Kind.COMMIT: commit,
    Kind.RELEASE: release,
    Kind.EXPEND: expend,
    Kind.PAY: pay,
    Kind.DISALLOW: disallow,
    Kind.PAYMENT_SUBMIT: submit_payment,
    Kind.SETTLE_BANK: settle_bank,
    Kind.SETTLE_STRIPE: settle_stripe,
    Kind.RECEIVABLE: raise_receivable,
    Kind.RECOVERY_REPAYMENT: recover_by_repayment,
    Kind.RECOVERY_OFFSET: recover_by_offset,
}


def draft_for(op: Operation, legs_made: dict | None = None) -> Draft:
    """The entry an operation posts. `legs_made`, shared across a batch, keeps the legs of each distinct
    (kind, target, amount): the builders are pure, and a batch repeats a few of them many times."""
    key = (op.kind, op.target, op.amount, type(op.amount))  # True == 1 == 1.0, but only 1 is an amount
    legs = legs_made.get(key) if legs_made is not None else None
    if legs is None:
        build = BUILDERS.get(op.kind)
        if build is None:
            raise LedgerRefusal(Refusal.UNKNOWN_ACCOUNT, f"{op.kind} is not a budget operation", "kind")
        legs = build(op.target, op.amount)
        if legs_made is not None:
            legs_made[key] = legs
    return Draft(
        op.kind,
        op.idempotency_key,
        op.effective_date,
        legs,
        op.description,
        op.reference_type,
        op.reference_id,
    )


def reversal_draft(
    original_seq: int,
    legs: Iterable[Leg],
    idempotency_key: str,
    effective_date: dt.date,
    reason: str,
    reference_type: str,
    reference_id: str,
) -> Draft:
    return Draft(
        kind=Kind.REVERSAL,
        idempotency_key=idempotency_key,
        effective_date=effective_date,
        legs=reversal_legs(legs),
        description=f"Reversal of je_{original_seq}: {reason}".strip(),
        reference_type=reference_type,
        reference_id=reference_id,
        reverses=original_seq,
    )


# --- validation -------------------------------------------------------------------------------

MAX_LEGS = 50


def check_draft(draft: Draft) -> None:
    """Refuse an entry that could never be posted: too few legs, zero amounts, unknown codes, or a
    track that does not balance. (Balance per currency is checked once accounts are known.)"""
    legs = draft.legs
    if len(legs) < 2:
        raise LedgerRefusal(Refusal.TOO_FEW_POSTINGS, "an entry needs at least two postings", "postings")
    if len(legs) > MAX_LEGS:
        raise LedgerRefusal(
            Refusal.TOO_MANY_POSTINGS, f"an entry has at most {MAX_LEGS} postings", "postings"
        )
    check_idempotency_key(draft)
    sums = {"budgetary": 0, "financial": 0, "memo": 0}
    for i, (account, amount) in enumerate(legs):
        line = c.BY_CODE.get(account.code)
        if line is None:
            raise LedgerRefusal(Refusal.UNKNOWN_ACCOUNT, f"no account code {account.code}", f"postings.{i}")
        if amount == 0:
            raise LedgerRefusal(Refusal.ZERO_AMOUNT, "a posting cannot be zero", f"postings.{i}")
        if bool(account.party) != line.has_party:
            need = "needs" if line.has_party else "takes no"
            raise LedgerRefusal(Refusal.PARTY_REQUIRED, f"account {line.code} {need} party", f"postings.{i}")
        sums[line.track] += amount
    for track, total in sums.items():
        if total:
            raise LedgerRefusal(Refusal.UNBALANCED, f"the {track} postings do not sum to zero", "postings")


def check_idempotency_key(draft: Draft) -> None:
    if not draft.idempotency_key or len(draft.idempotency_key) > 120:
        raise LedgerRefusal(
            Refusal.INVALID_IDEMPOTENCY_KEY,
            "an idempotency key of 1 to 120 characters is needed",
            "idempotency_key",
        )


def check_currencies(draft: Draft, currency_of: dict[AccountKey, str]) -> None:
    """Each track must balance in each currency, not only in total."""
    if len({leg.account.fund for leg in draft.legs}) == 1:
        return  # one fund, one currency: check_draft has already seen it balance
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for account, amount in draft.legs:
        sums[(c.BY_CODE[account.code].track, currency_of[account])] += amount
    unbalanced = sorted(k for k, v in sums.items() if v)
    if unbalanced:
        track, currency = unbalanced[0]
        raise LedgerRefusal(
            Refusal.UNBALANCED, f"the {track} postings in {currency} do not sum to zero", "postings"
        )
