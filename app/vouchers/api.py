"""HTTP API of vouchers: issue (one or a batch) from eligible decisions, list, read, revoke."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from app.core.db import today
from app.core.roles import Role
from app.core.schemas import ListOf
from app.http.csv_output import csv_stream
from app.http.guards import allow, current_actor
from app.http.openapi import file_body
from app.http.params import Cursor, Limit
from app.vouchers import claim_csv, claims, service
from app.vouchers.schemas import (
    BatchIssueIn,
    ClaimApproveIn,
    ClaimIn,
    ClaimOut,
    ClaimRejectIn,
    ClaimSummaryOut,
    IssueIn,
    RevokeIn,
    VoucherOut,
)

ISSUERS = allow(Role.CASEWORKER)
READERS = allow(Role.CASEWORKER, Role.FINANCE_OFFICER, Role.BUDGET_HOLDER, Role.AUDITOR, Role.ADMIN)
CLAIM_READERS = allow(Role.PROVIDER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
DECIDERS = allow(Role.FINANCE_OFFICER, Role.APPROVER)
CLAIM_CSV_EXAMPLE = (
    "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"
    "K7QM-3XHD-9PTA-WB,2024-05-10,2026-03-02,2026-03-27,20,1040.00\n"
)
ClaimId = Annotated[str, Parameter(max_length=32, description="a claim, clm_…")]
VoucherId = Annotated[str, Parameter(max_length=32, description="a voucher, vch_…")]


def _request(data: IssueIn) -> service.IssueRequest:
    return service.IssueRequest(
        data.decision, data.fund, data.valid_from, data.valid_until, data.child, data.provider, data.stipend
    )


class VoucherController(Controller):
    path = "/api/v1/vouchers"
    tags = ["vouchers"]

    @post("/", opt=ISSUERS)
    async def issue(self, request: Request, data: JSONBody[IssueIn]) -> VoucherOut:
        """Issue a voucher from an eligible decision; its full value is committed in the ledger."""
        issued = await service.issue_many(current_actor(request), [_request(data)])
        return VoucherOut(**issued[0])

    @post("/batch", opt=ISSUERS)
    async def issue_batch(self, request: Request, data: JSONBody[BatchIssueIn]) -> list[VoucherOut]:
        """Issue up to 10,000 vouchers, all or none (one refusal names its index and writes nothing)."""
        issued = await service.issue_many(
            current_actor(request), [_request(v) for v in data.vouchers], batch=True
        )
        return [VoucherOut(**v) for v in issued]

    @get("/", opt=READERS)
    async def list_vouchers(
        self,
        limit: Limit = 20,
        starting_after: Cursor = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        participant: Annotated[str | None, QueryParameter(max_length=32)] = None,
    ) -> ListOf[VoucherOut]:
        """Vouchers, newest first; filter by status (active, partly_claimed, expired, revoked …) or person."""
        rows, has_more = await service.list_vouchers(status, participant, limit, starting_after)
        return ListOf(data=[VoucherOut(**v) for v in rows], has_more=has_more)

    @get("/{voucher_id:str}", opt=READERS)
    async def voucher(self, request: Request, voucher_id: VoucherId) -> VoucherOut:
        """One voucher with its amounts and status (its code only for a caseworker)."""
        with_code = current_actor(request).has_any(Role.CASEWORKER)
        return VoucherOut(**await service.get(voucher_id, with_code))

    @post("/{voucher_id:str}/revoke", opt=ISSUERS, status_code=200)
    async def revoke(self, request: Request, voucher_id: VoucherId, data: JSONBody[RevokeIn]) -> VoucherOut:
        """Revoke with a reason; what was not claimed goes back to the available budget."""
        when = data.effective_date or today()
        return VoucherOut(**await service.revoke(current_actor(request), voucher_id, data.reason, when))


class ClaimController(Controller):
    path = "/api/v1/claims"
    tags = ["claims"]

    @post("/", opt=allow(Role.PROVIDER))
    async def submit(self, request: Request, data: JSONBody[ClaimIn]) -> ClaimOut:
        """Submit a claim: every line is judged at once — accepted, reduced (with the cap) or rejected (with
        the reason) — and the claim waits for a finance officer's approval."""
        items = [
            claims.LineIn(
                i.code, i.child_birth_date, i.service_start, i.service_end, i.days_attended, i.amount
            )
            for i in data.lines
        ]
        claim = await claims.submit(
            current_actor(request), data.period_start, data.period_end, items, today()
        )
        return msgspec.convert(claim, ClaimOut)

    @get(
        "/{claim_id:str}",
        opt=allow(Role.PROVIDER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN),
    )
    async def claim(self, request: Request, claim_id: Annotated[str, Parameter(max_length=32)]) -> ClaimOut:
        """A claim with each line's outcome and reason. Providers see only their own claims."""
        return msgspec.convert(await claims.get(current_actor(request), claim_id), ClaimOut)

    @post("/csv", opt={**allow(Role.PROVIDER), **file_body("text/csv", CLAIM_CSV_EXAMPLE)})
    async def submit_csv(
        self,
        request: Request,
        period_start: Annotated[dt.date, QueryParameter(description="first day of the service period")],
        period_end: Annotated[dt.date, QueryParameter(description="last day of the service period")],
    ) -> ClaimOut:
        """Submit a claim as a CSV file (the request body, text/csv; format in docs/vouchers.md). A malformed
        file is refused whole with every bad line and column named; nothing is recorded."""
        items = claim_csv.parse(await request.body())
        actor = current_actor(request)
        claim = await claims.submit(actor, period_start, period_end, items, today(), source="csv")
        return msgspec.convert(claim, ClaimOut)

    @get("/", opt=CLAIM_READERS)
    async def list_claims(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> ListOf[ClaimSummaryOut]:
        """Claims, newest first. Providers see only their own."""
        rows, has_more = await claims.list_claims(current_actor(request), status, limit, starting_after)
        return ListOf(data=[ClaimSummaryOut(**r) for r in rows], has_more=has_more)

    @get("/statement.csv", opt=allow(Role.PROVIDER), media_type="text/csv")
    async def statement(
        self,
        request: Request,
        date_from: Annotated[dt.date, QueryParameter(name="from")],
        date_to: Annotated[dt.date, QueryParameter(name="to")],
    ) -> Stream:
        """The provider's statement: every claim line with service period, amounts, outcome and reason."""
        rows = await claims.statement_rows(current_actor(request), date_from, date_to)
        return csv_stream(claims.STATEMENT_COLUMNS, rows, "claims-statement.csv")

    @post("/{claim_id:str}/approve", opt=DECIDERS, status_code=200)
    async def approve(self, request: Request, claim_id: ClaimId, data: JSONBody[ClaimApproveIn]) -> ClaimOut:
        """Approve the claim, or only some payable lines. Four eyes: the submitter cannot approve; above the
        limit a second, different approver is needed. The final approval posts the expenditure."""
        actor, when = current_actor(request), data.effective_date or today()
        return msgspec.convert(await claims.approve(actor, claim_id, data.lines, when), ClaimOut)

    @post("/{claim_id:str}/reject", opt=DECIDERS, status_code=200)
    async def reject(self, request: Request, claim_id: ClaimId, data: JSONBody[ClaimRejectIn]) -> ClaimOut:
        """Reject the whole claim with a reason; the vouchers get their value back."""
        return msgspec.convert(await claims.reject(current_actor(request), claim_id, data.reason), ClaimOut)


CONTROLLERS = [VoucherController, ClaimController]
