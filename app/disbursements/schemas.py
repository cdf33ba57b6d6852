"""Request and response bodies of the payments API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec

from app.core.schemas import Input, Output

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class RunIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "pay_date": "2026-03-06",
        "programme": "CHILDCARE",
        "currency": "EUR",
    }
    pay_date: dt.date
    programme: Annotated[str, msgspec.Meta(min_length=2, max_length=32)] | None = None
    currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")] | None = None


class ReasonIn(Input):
    example: ClassVar[dict[str, Any]] = {"reason": "the bank details are being checked"}
    reason: Reason


class PaymentDetailIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "method": "sepa",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "holder": "Little Acorns Nursery",
    }
    method: Annotated[str, msgspec.Meta(pattern=r"^(stripe|sepa)$", description="stripe or sepa")]
    stripe_account: Annotated[str, msgspec.Meta(max_length=64)] = ""
    iban: Annotated[str, msgspec.Meta(max_length=50)] = ""
    bic: Annotated[str, msgspec.Meta(max_length=11)] = ""
    holder: Annotated[str, msgspec.Meta(max_length=70)] = ""


class LineOut(Output):
    payable: str
    source_type: str
    source_id: str
    fund: str
    programme: str
    amount: str
    retry_of: str | None


class InstructionOut(Output):
    id: str
    run: str
    payee: str
    payee_kind: str
    payee_name: str
    method: str
    account: str
    amount: str
    currency: str
    state: str
    reason_code: str
    reason: str
    transfer: str | None
    message_id: str | None
    follows: list[str]
    submitted_at: dt.datetime | None
    settled_at: dt.datetime | None
    ended_at: dt.datetime | None
    lines: list[LineOut]
    status: str | None = None  # the payee's view: scheduled, in_transit, paid, failed, returned, cancelled


class LeftOutOut(Output):
    payee: str
    reason_code: str
    reason: str
    amount: str
    payables: int


class FileOut(Output):
    seq: int
    message_id: str
    transactions: int
    total: str


class RunOut(Output):
    id: str
    programme: str | None
    currency: str
    pay_date: dt.date
    status: str
    total: str
    instructions: int
    left_out: int
    states: dict[str, int]
    created_by: str
    created_at: dt.datetime
    approvers_required: int
    approved_by: list[str]
    released_by: str | None
    released_at: dt.datetime | None
    reason: str
    left_out_payees: list[LeftOutOut] = []
    files: list[FileOut] = []
    instruction_list: list[InstructionOut] | None = None
    sent_now: int | None = None
    unconfirmed: int | None = None


class PaymentDetailOut(Output):
    id: str
    payee: str
    payee_kind: str
    method: str
    account: str
    status: str
    reason: str
    created_by: str
    created_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None


class PayeeOut(Output):
    payee: str
    current: PaymentDetailOut | None
    pending: PaymentDetailOut | None
    paused: bool
    pause_reason: str
    payable: bool
    reason_code: str
    reason: str


class StatusImportOut(Output):
    report: str
    message_id: str
    original_message_id: str
    accepted: int
    settled: int
    rejected: int
    rejected_instructions: list[dict[str, Any]]
    unchanged: dict[str, int]
    already_imported: bool


class WebhookOut(Output):
    event: str
    duplicate: bool
    outcome: str | None = None
    instruction: str | None = None
    instructions: list[str] | None = None
