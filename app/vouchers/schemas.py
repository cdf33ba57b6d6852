"""Request and response shapes of the voucher API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec

from app.core.schemas import ApproveIn, Input, Money, RejectIn, stored_in
from app.vouchers.tables import Voucher

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class IssueIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "decision": "dec_7k2m4p6q8r0s2t4v",
        "fund": "ESF-2026",
        "valid_from": "2026-03-01",
        "valid_until": "2026-08-31",
        "child": "chd_3b5d7f9h1j3l5n7p",
        "provider": "prv_2c4e6g8j0k2m4p6r",
    }
    decision: Id  # an eligible stored decision, dec_…
    fund: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    valid_from: dt.date
    valid_until: dt.date
    child: Id | None = None  # chd_…, for childcare
    provider: Id | None = None  # the chosen provider's organisation, if any
    stipend: bool = False  # transport: paid monthly to the participant instead of claimed by an operator


class BatchIssueIn(Input):
    example: ClassVar[dict[str, Any]] = {"vouchers": [IssueIn.example]}
    vouchers: Annotated[list[IssueIn], msgspec.Meta(min_length=1, max_length=10_000)]


class RevokeIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "reason": "the family moved out of the region",
        "effective_date": "2026-04-01",
    }
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500, extra=stored_in(Voucher.status_reason))]
    effective_date: dt.date | None = None


class VoucherOut(msgspec.Struct):
    id: str
    kind: str
    status: str
    status_reason: str
    decision: str
    participant: str
    child: str | None
    provider: str | None
    mode: str
    fund: str
    programme: str
    currency: str
    period: str
    value: str
    authorised_hours: float
    valid_from: dt.date
    valid_until: dt.date
    total: str
    claimed: str
    released: str
    remaining: str
    batch: str | None = None
    code: str | None = None  # caseworkers only; give it to the participant


class ClaimLineIn(Input):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    child_birth_date: dt.date
    service_start: dt.date
    service_end: dt.date
    days_attended: Annotated[int, msgspec.Meta(ge=0, le=31)]
    amount: Money


class ClaimIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "lines": [
            {
                "code": "CV-7K2M-4P6Q",
                "child_birth_date": "2023-05-10",
                "service_start": "2026-03-01",
                "service_end": "2026-03-31",
                "days_attended": 20,
                "amount": "260.00",
            }
        ],
    }
    period_start: dt.date
    period_end: dt.date
    lines: Annotated[list[ClaimLineIn], msgspec.Meta(min_length=1, max_length=10_000)]


class ClaimLineOut(msgspec.Struct):
    line: int
    voucher: str | None
    service_start: dt.date
    service_end: dt.date
    days_attended: int
    claimed: str
    accepted: str
    approved: str
    outcome: str
    reason: str | None
    reasons: list[str]
    message: str


class ClaimOut(msgspec.Struct):
    id: str
    provider: str
    period_start: dt.date
    period_end: dt.date
    status: str
    source: str
    currency: str
    claimed: str
    accepted: str
    approved: str
    decided_reason: str
    lines: list[ClaimLineOut]


class ClaimSummaryOut(msgspec.Struct):
    id: str
    provider: str
    period_start: dt.date
    period_end: dt.date
    status: str
    claimed: str
    accepted: str
    approved: str


ClaimApproveIn = ApproveIn  # built once in core, shared by every kind of claim
ClaimRejectIn = RejectIn
