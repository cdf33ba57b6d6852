"""Request and response shapes of the voucher API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from app.core.schemas import Input

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class IssueIn(Input):
    decision: Id  # an eligible stored decision, dec_…
    fund: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    valid_from: dt.date
    valid_until: dt.date
    child: Id | None = None  # chd_…, for childcare
    provider: Id | None = None  # the chosen provider's organisation, if any


class BatchIssueIn(Input):
    vouchers: Annotated[list[IssueIn], msgspec.Meta(min_length=1, max_length=10_000)]


class RevokeIn(Input):
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]
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
