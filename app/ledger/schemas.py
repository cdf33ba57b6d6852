"""Request and response shapes of the ledger API. Amounts are decimal strings ("1234.50") with a currency."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec

from app.core.money import format_minor
from app.core.schemas import Input, Output, stored_in
from app.ledger.dimensions import CODE_PATTERN
from app.ledger.entries import PostedEntry
from app.ledger.queries import AccountBalance, BudgetPosition, HistoryLine, TrialBalance
from app.ledger.tables import Fund, Programme

Amount = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{1,13}(\.[0-9]{1,3})?$",
        examples=["1250.00"],
        description="a positive decimal amount in the fund's currency",
    ),
]
Code = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN, examples=["ESF-2026"])]
AccountCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$", examples=["1010"])]
Party = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^([a-z]+_[0-9a-z]+)?$")]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Description = Annotated[str, msgspec.Meta(max_length=500)]
Reference = Annotated[str, msgspec.Meta(max_length=64)]

# A fund's or a programme's code and name (the two tables have the same lengths).
DimensionCode = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN, extra=stored_in(Fund.code, Programme.code))]
DimensionName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=Fund.name.length, extra=stored_in(Fund.name, Programme.name))
]


class DimensionIn(Input):
    """A fund or a programme."""

    example: ClassVar[dict[str, Any]] = {
        "code": "ESF-2026",
        "name": "European Social Fund 2026",
        "currency": "EUR",
    }
    code: DimensionCode
    name: DimensionName
    currency: Currency


class BudgetIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "fund": "ESF-2026",
        "programme": "CHILDCARE",
        "amount": "250000.00",
        "effective_date": "2026-01-01",
        "description": "2026 childcare allocation",
    }
    fund: Code
    programme: Code
    amount: Amount
    effective_date: dt.date
    description: Description = ""
    reference_id: Reference = ""


class PaymentIn(Input):
    """A payment that left the bank (or a payout that settled), recorded against the party's payable."""

    example: ClassVar[dict[str, Any]] = {
        "fund": "ESF-2026",
        "programme": "CHILDCARE",
        "party": "prv_2c4e6g8j0k2m4p6r",
        "amount": "1250.00",
        "effective_date": "2026-03-02",
        "description": "March childcare payment",
    }

    fund: Code
    programme: Code
    party: Annotated[str, msgspec.Meta(min_length=5, max_length=40, pattern=r"^[a-z]+_[0-9a-z]+$")]
    amount: Amount
    effective_date: dt.date
    description: Description = ""
    reference_id: Reference = ""


class PostingIn(Input):
    account: AccountCode
    fund: Code
    programme: Code
    party: Party = ""
    debit: Amount | None = None
    credit: Amount | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.debit is None) == (self.credit is None):
            raise ValueError("field `debit` or `credit`: give exactly one of them")


class JournalIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "effective_date": "2026-03-02",
        "description": "Bank charges for March",
        "postings": [
            {"account": "5100", "fund": "ESF-2026", "programme": "CHILDCARE", "debit": "12.50"},
            {"account": "1010", "fund": "ESF-2026", "programme": "CHILDCARE", "credit": "12.50"},
        ],
        "reference_type": "manual",
        "reference_id": "ticket-118",
    }
    effective_date: dt.date
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    postings: Annotated[list[PostingIn], msgspec.Meta(min_length=2, max_length=50)]
    reference_type: Annotated[str, msgspec.Meta(max_length=30)] = ""
    reference_id: Reference = ""


class ReversalIn(Input):
    example: ClassVar[dict[str, Any]] = {"reason": "booked twice", "effective_date": "2026-03-03"}
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    effective_date: dt.date | None = None


class PostingOut(Output):
    account: str
    account_code: str
    fund: str
    programme: str
    party: str
    debit: str
    credit: str
    currency: str


class EntryOut(Output):
    id: str
    kind: str
    effective_date: dt.date
    description: str
    reference_type: str
    reference_id: str
    reverses: str | None
    created_at: dt.datetime
    created_by: str
    postings: list[PostingOut]


def entry_out(entry: PostedEntry) -> EntryOut:
    return EntryOut(
        id=entry.id,
        kind=entry.kind,
        effective_date=entry.effective_date,
        description=entry.description,
        reference_type=entry.reference_type,
        reference_id=entry.reference_id,
        reverses=entry.reverses,
        created_at=entry.created_at,
        created_by=entry.created_by,
        postings=[
            PostingOut(
                account=f"acc_{leg.account_id}",
                account_code=leg.code,
                fund=leg.fund,
                programme=leg.programme,
                party=leg.party,
                debit=format_minor(max(leg.amount, 0), leg.currency),
                credit=format_minor(max(-leg.amount, 0), leg.currency),
                currency=leg.currency,
            )
            for leg in entry.legs
        ],
    )


class AccountOut(Output):
    id: str
    code: str
    name: str
    account_type: str
    track: str
    fund: str
    programme: str
    party: str
    currency: str
    debit: str
    credit: str


def account_out(b: AccountBalance) -> AccountOut:
    return AccountOut(
        id=b.id,
        code=b.code,
        name=b.name,
        account_type=b.account_type,
        track=b.track,
        fund=b.fund,
        programme=b.programme,
        party=b.party,
        currency=b.currency,
        debit=format_minor(b.debit, b.currency),
        credit=format_minor(b.credit, b.currency),
    )


class HistoryOut(Output):
    posting: str
    entry: str
    effective_date: dt.date
    kind: str
    description: str
    reference_id: str
    debit: str
    credit: str
    balance: str


def history_out(line: HistoryLine, currency: str) -> HistoryOut:
    return HistoryOut(
        posting=line.posting,
        entry=line.entry,
        effective_date=line.effective_date,
        kind=line.kind,
        description=line.description,
        reference_id=line.reference_id,
        debit=format_minor(max(line.amount, 0), currency),
        credit=format_minor(max(-line.amount, 0), currency),
        balance=format_minor(line.running_balance, currency),
    )


class TrialBalanceLineOut(Output):
    code: str
    name: str
    track: str
    fund: str | None
    programme: str | None
    currency: str
    debit: str
    credit: str


class TotalsOut(Output):
    currency: str
    debit: str
    credit: str


class TrialBalanceOut(Output):
    as_of: dt.date | None
    balanced: bool
    lines: list[TrialBalanceLineOut]
    totals: list[TotalsOut]


def trial_balance_out(tb: TrialBalance) -> TrialBalanceOut:
    return TrialBalanceOut(
        as_of=tb.as_of,
        balanced=tb.balanced,
        lines=[
            TrialBalanceLineOut(
                code=x.code,
                name=x.name,
                track=x.track,
                fund=x.fund,
                programme=x.programme,
                currency=x.currency,
                debit=format_minor(x.debit, x.currency),
                credit=format_minor(x.credit, x.currency),
            )
            for x in tb.lines
        ],
        totals=[
            TotalsOut(
                currency=cur, debit=format_minor(t["debit"], cur), credit=format_minor(t["credit"], cur)
            )
            for cur, t in sorted(tb.totals.items())
        ],
    )


class BudgetPositionOut(Output):
    fund: str
    programme: str
    currency: str
    budget: str
    committed: str
    expended: str
    paid: str
    recoveries_pending: str
    available: str


def position_out(p: BudgetPosition) -> BudgetPositionOut:
    money = {
        name: format_minor(getattr(p, name), p.currency)
        for name in ("budget", "committed", "expended", "paid", "recoveries_pending", "available")
    }
    return BudgetPositionOut(fund=p.fund, programme=p.programme, currency=p.currency, **money)


class ProblemOut(Output):
    kind: str
    where: str
    message: str


class VerifyOut(Output):
    ok: bool
    entries: int
    postings: int
    head_hash: str
    checks: list[str]
    problems: list[ProblemOut]


class CostKeyIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "programme": "CHILDCARE",
        "effective_from": "2026-07-01",
        "method": "shares",
        "shares": {"ESF-2026": 3, "STATE": 1},
        "reason": "donors' addendum of June 2026",
    }
    programme: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    effective_from: dt.date
    method: Annotated[str, msgspec.Meta(max_length=20)]
    shares: dict[Annotated[str, msgspec.Meta(max_length=32)], int] = {}
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


class AllocateIn(Input):
    example: ClassVar[dict[str, Any]] = {"through": "2026-06-30"}
    through: dt.date | None = None
