"""HTTP API of payments: payment runs (prepare, approve, release, files, status reports), payees' payment
details (entered, confirmed by a second person, paused), payees' view of their payments, and the Stripe
webhook. Thin: parse, guard, call."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter, QueryParameter

from app.core.roles import Role
from app.core.schemas import ListOf
from app.disbursements import details, rails, release, runs, sepa, status_import, webhooks
from app.disbursements.schemas import (
    InstructionOut,
    PayeeOut,
    PaymentDetailIn,
    PaymentDetailOut,
    ReasonIn,
    RunIn,
    RunOut,
    StatusImportOut,
    WebhookOut,
)
from app.http.guards import PUBLIC, allow, current_actor
from app.http.openapi import answers, file_body
from app.http.params import Cursor, Limit

FINANCE = allow(Role.FINANCE_OFFICER)
DECIDERS = allow(Role.FINANCE_OFFICER, Role.APPROVER)
PAIN002_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
<CstmrPmtStsRpt>
<GrpHdr><MsgId>STS-2026-03-06-1</MsgId><CreDtTm>2026-03-06T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>prn_4p6r8t0v2x4z6b8d-1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>\
</OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>prn_4p6r8t0v2x4z6b8d-1-1</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>pin_2m4p6r8t0v2x4z6b</OrgnlEndToEndId><TxSts>RJCT</TxSts>\
<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed</AddtlInf></StsRsnInf></TxInfAndSts>
</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt>
</Document>
"""
STRIPE_EVENT_EXAMPLE = {
    "id": "evt_1Q2w3E4r5T6y7U8i",
    "object": "event",
    "type": "transfer.reversed",
    "data": {"object": {"id": "tr_1Q2w3E4r5T6y7U8i", "object": "transfer"}},
}
READERS = allow(Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.BUDGET_HOLDER)
FILE_READERS = allow(Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN)
PAYEE_READERS = allow(
    Role.FINANCE_OFFICER,
    Role.APPROVER,
    Role.AUDITOR,
    Role.ADMIN,
    Role.CASEWORKER,
    Role.PROVIDER,
    Role.EMPLOYER,
)
DETAIL_WRITERS = allow(Role.FINANCE_OFFICER, Role.ADMIN, Role.CASEWORKER, Role.PROVIDER, Role.EMPLOYER)
RunId = Annotated[str, Parameter(max_length=32, description="a payment run, prn_…")]
PayeeId = Annotated[str, Parameter(max_length=32, description="a provider, employer or participant id")]
DetailId = Annotated[str, Parameter(max_length=32, description="payment details, pmd_…")]
FileSeq = Annotated[int, Parameter(ge=1, le=100_000, description="the file's number in the run")]
InstructionId = Annotated[str, Parameter(max_length=32, description="a payment instruction, pin_…")]


def _run(view: dict[str, Any]) -> RunOut:
    return msgspec.convert(view, RunOut)


class PaymentRunController(Controller):
    path = "/api/v1/payment-runs"
    tags = ["payments"]

    @post("/", opt=FINANCE)
    async def create(self, request: Request, data: JSONBody[RunIn]) -> RunOut:
        """Gather every approved, unpaid payable of a programme (or all) into one instruction per payee,
        pending approval. Payees that cannot be paid now are listed in `left_out_payees` with the reason."""
        view = await runs.create_run(current_actor(request), data.programme, data.pay_date, data.currency)
        return _run(view)

    @get("/", opt=READERS)
    async def index(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> ListOf[RunOut]:
        """Payment runs, newest first."""
        views, has_more = await runs.list_runs(current_actor(request), status, limit, starting_after)
        return ListOf(data=[_run(v) for v in views], has_more=has_more)

    @get("/{run_id:str}", opt=READERS)
    async def retrieve(self, request: Request, run_id: RunId) -> RunOut:
        """A run with its instructions (and their lines), left-out payees and bank files."""
        return _run(await runs.get_run(current_actor(request), run_id, with_instructions=True))

    @post("/{run_id:str}/approve", opt=DECIDERS, status_code=200)
    async def approve(self, request: Request, run_id: RunId) -> RunOut:
        """Approve (not the preparer; above the value band, two different approvers)."""
        return _run(await runs.approve_run(current_actor(request), run_id))

    @post("/{run_id:str}/reject", opt=DECIDERS, status_code=200)
    async def reject(self, request: Request, run_id: RunId, data: JSONBody[ReasonIn]) -> RunOut:
        """Refuse the run: it is cancelled; its payables wait for the next run."""
        return _run(await runs.reject_run(current_actor(request), run_id, data.reason))

    @post("/{run_id:str}/cancel", opt=FINANCE, status_code=200)
    async def cancel(self, request: Request, run_id: RunId, data: JSONBody[ReasonIn]) -> RunOut:
        """Withdraw a run before it is released."""
        return _run(await runs.cancel_run(current_actor(request), run_id, data.reason))

    @post("/{run_id:str}/release", opt={**DECIDERS, **answers(502)}, status_code=200)
    async def release(self, request: Request, run_id: RunId) -> RunOut:
        """Release to the rails (neither the preparer nor an approver). Releasing again sends nothing new;
        a release interrupted half-way is finished by the next one."""
        return _run(await release.release_run(current_actor(request), run_id))

    @post("/{run_id:str}/refresh", opt={**FINANCE, **answers(502)}, status_code=200)
    async def refresh(self, request: Request, run_id: RunId) -> dict[str, int]:
        """Re-fetch the run's Stripe transfers and apply what Stripe shows (for missed webhooks)."""
        return await rails.refresh_stripe(current_actor(request), run_id)

    @get("/{run_id:str}/files/{seq:int}", opt=FILE_READERS, media_type="application/xml")
    async def file(self, request: Request, run_id: RunId, seq: FileSeq) -> Response[bytes]:
        """A pain.001.001.09 file of the run; the same bytes every time."""
        runs.check_reader(current_actor(request))
        name, data = await sepa.file_bytes(run_id, seq)
        return Response(
            data,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @post(
        "/status-reports", opt={**FINANCE, **file_body("application/xml", PAIN002_EXAMPLE)}, status_code=200
    )
    async def import_status(self, request: Request) -> StatusImportOut:
        """Import the bank's pain.002 status report (the request body, XML): transactions become accepted,
        settled or rejected (a rejection reopens the payables). The same file twice changes nothing."""
        result = await status_import.import_status(current_actor(request), await request.body())
        return msgspec.convert(result, StatusImportOut)


class PaymentInstructionController(Controller):
    path = "/api/v1/payment-instructions"
    tags = ["payments"]

    @get("/{instruction_id:str}", opt=allow(*READERS["roles"], Role.PROVIDER, Role.EMPLOYER))
    async def retrieve(self, request: Request, instruction_id: InstructionId) -> InstructionOut:
        """One payment: its state, reason, lines, and the instruction it follows up."""
        return msgspec.convert(
            await runs.get_instruction(current_actor(request), instruction_id), InstructionOut
        )


class PayeeController(Controller):
    path = "/api/v1/payees"
    tags = ["payments"]

    @get("/{payee:str}", opt=PAYEE_READERS)
    async def retrieve(self, request: Request, payee: PayeeId) -> PayeeOut:
        """A payee's payment details (masked), any change awaiting confirmation, whether it can be paid."""
        return msgspec.convert(await details.payee_view(current_actor(request), payee), PayeeOut)

    @get("/{payee:str}/payments", opt=PAYEE_READERS)
    async def payments(self, request: Request, payee: PayeeId) -> list[InstructionOut]:
        """A payee's payments, newest first: paid, in transit, failed (with the reason), scheduled."""
        views = await runs.payments_for_payee(current_actor(request), payee)
        return [msgspec.convert(v, InstructionOut) for v in views]

    @post("/{payee:str}/payment-details", opt=DETAIL_WRITERS)
    async def propose(
        self, request: Request, payee: PayeeId, data: JSONBody[PaymentDetailIn]
    ) -> PaymentDetailOut:
        """New payment details: a Stripe Connect account or an IBAN (+ BIC where needed). They wait for a
        second person's confirmation, and the payee is not paid meanwhile."""
        view = await details.propose(
            current_actor(request),
            payee,
            data.method,
            stripe_account=data.stripe_account,
            iban=data.iban,
            bic=data.bic,
            holder=data.holder,
        )
        return msgspec.convert(view, PaymentDetailOut)

    @post("/{payee:str}/pause", opt=FINANCE, status_code=200)
    async def pause(self, request: Request, payee: PayeeId, data: JSONBody[ReasonIn]) -> PayeeOut:
        """Pause payments to a payee (a reason is required); no instruction is sent until resumed."""
        return msgspec.convert(
            await details.set_paused(current_actor(request), payee, True, data.reason), PayeeOut
        )

    @post("/{payee:str}/resume", opt=FINANCE, status_code=200)
    async def resume(self, request: Request, payee: PayeeId) -> PayeeOut:
        """Resume payments to a paused payee."""
        return msgspec.convert(await details.set_paused(current_actor(request), payee, False, ""), PayeeOut)


class PaymentDetailController(Controller):
    path = "/api/v1/payment-details"
    tags = ["payments"]

    @get("/", opt=DECIDERS)
    async def pending(self, request: Request) -> list[PaymentDetailOut]:
        """Changes of payment details awaiting confirmation."""
        return [msgspec.convert(v, PaymentDetailOut) for v in await details.pending_changes()]

    @get("/{detail_id:str}", opt=PAYEE_READERS)
    async def retrieve(self, request: Request, detail_id: DetailId) -> PaymentDetailOut:
        """One set of payment details (the account number masked)."""
        return msgspec.convert(await details.get_detail(current_actor(request), detail_id), PaymentDetailOut)

    @post("/{detail_id:str}/confirm", opt=DECIDERS, status_code=200)
    async def confirm(self, request: Request, detail_id: DetailId) -> PaymentDetailOut:
        """Confirm a change (not whoever entered it), after checking it with the payee."""
        return msgspec.convert(await details.confirm(current_actor(request), detail_id), PaymentDetailOut)

    @post("/{detail_id:str}/reject", opt=DECIDERS, status_code=200)
    async def reject(
        self, request: Request, detail_id: DetailId, data: JSONBody[ReasonIn]
    ) -> PaymentDetailOut:
        """Reject proposed payment details (four eyes), giving the reason."""
        return msgspec.convert(
            await details.reject(current_actor(request), detail_id, data.reason), PaymentDetailOut
        )


class StripeWebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["payments"]

    @post(
        "/stripe",
        opt={**PUBLIC, **file_body("application/json", STRIPE_EVENT_EXAMPLE), **answers(502)},
        status_code=200,
    )
    async def stripe(self, request: Request) -> WebhookOut:
        """Stripe's events, authenticated by the Stripe-Signature header (not a token): each event once,
        the object re-fetched before acting. Bad signatures and unknown objects: 400, nothing changed."""
        result = await webhooks.handle(await request.body(), request.headers.get("stripe-signature", ""))
        return msgspec.convert(result, WebhookOut)


CONTROLLERS = [
    PaymentRunController,
    PaymentInstructionController,
    PayeeController,
    PaymentDetailController,
    StripeWebhookController,
]
