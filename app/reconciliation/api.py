"""HTTP API of reconciliation under /api/v1/reconciliation: import bank statements, run reconciliation,
read the dashboard and the exception queue, and work exceptions (assign, resolve, approve or refuse a
resolution that moves money). Thin: parse, guard, call."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter, QueryParameter

from app.core.roles import Role
from app.http.guards import allow, current_actor
from app.http.openapi import answers, file_body
from app.http.params import Cursor, Limit
from app.reconciliation import queries, resolutions, service, stripe_side, workbook
from app.reconciliation.schemas import AssignIn, ReasonIn, ResolveIn, RunIn

FINANCE = allow(Role.FINANCE_OFFICER)
STATEMENT_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG-STMT-2026-03-02</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-2026-03-02</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-03-02T18:00:00</CreDtTm>\
<FrToDt><FrDtTm>2026-03-02T00:00:00</FrDtTm><ToDtTm>2026-03-02T23:59:59</ToDtTm></FrToDt>
<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">50000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
<Dt><Dt>2026-03-02</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">49740.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
<Dt><Dt>2026-03-02</Dt></Dt></Bal>
<Ntry><NtryRef>1</NtryRef><Amt Ccy="EUR">260.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\
<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt><AcctSvcrRef>BANKREF-0001</AcctSvcrRef>\
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\
<NtryDtls><TxDtls><Refs><EndToEndId>pin_2m4p6r8t0v2x4z6b</EndToEndId></Refs><Amt Ccy="EUR">260.00</Amt>\
<RltdPties><Cdtr><Pty><Nm>Little Acorns Nursery</Nm></Pty></Cdtr></RltdPties>\
<RmtInf><Ustrd>pin_2m4p6r8t0v2x4z6b</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt>
</BkToCstmrStmt>
</Document>
"""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNERS = allow(Role.FINANCE_OFFICER, Role.ADMIN)
SECOND = allow(Role.FINANCE_OFFICER, Role.APPROVER)
READERS = allow(Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.BUDGET_HOLDER)
ExceptionId = Annotated[str, Parameter(max_length=32, description="an exception, exc_…")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Filter = Annotated[str | None, QueryParameter(max_length=32)]


class ReconciliationController(Controller):
    path = "/api/v1/reconciliation"
    tags = ["reconciliation"]

    @post("/statements", opt={**FINANCE, **file_body("application/xml", STATEMENT_EXAMPLE)}, status_code=200)
    async def import_statement(self, request: Request) -> dict[str, Any]:
        """Import a camt.053 statement or camt.054 notification (the XML as the body) and match its
        bookings. The same file again changes nothing; a bad file is refused, naming line and element."""
        return await service.import_statement(current_actor(request), await request.body())

    @post("/stripe", opt={**FINANCE, **answers(502)}, status_code=200)
    async def import_stripe(self, request: Request) -> dict[str, Any]:
        """List through the Stripe SDK every run's transfers and the payouts of the connected accounts they
        went to, and match what is new: a transfer by metadata[instruction], a payout as a group of the
        transfers it carried; a reversal or a failed payout is a return exception."""
        return await stripe_side.import_transfers(current_actor(request))

    @post("/runs", opt=RUNNERS, status_code=200)
    async def run(self, request: Request, data: JSONBody[RunIn]) -> dict[str, Any]:
        """Match what is pending, run every named check, turn each difference into an exception."""
        return await service.run(current_actor(request), data.as_of)

    @get("/dashboard", opt=READERS)
    async def dashboard(self, request: Request) -> dict[str, Any]:
        """The latest run's checks (green or red, with drift) and the match rate."""
        return await service.dashboard(current_actor(request))

    @get("/exceptions", opt=READERS)
    async def exceptions(
        self,
        request: Request,
        queue_state: Annotated[str | None, QueryParameter(name="state", max_length=32)] = None,
        kind: Filter = None,
        severity: Filter = None,
        assignee: Filter = None,
        limit: Limit = 50,
        starting_after: Cursor = None,
    ) -> dict[str, Any]:
        """The exception queue, newest first; state `unresolved` lists everything not resolved yet."""
        return await queries.list_exceptions(
            current_actor(request), state=queue_state, kind=kind, severity=severity, assignee=assignee,
            limit=limit, starting_after=starting_after,
        )  # fmt: skip

    @get("/exceptions.xlsx", opt=READERS, media_type=XLSX)
    async def export(self, request: Request) -> Response[bytes]:
        """Every unresolved exception in a workbook, with empty resolution, reason and params columns."""
        data = await workbook.export_open(current_actor(request))
        return Response(
            data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="exceptions.xlsx"'}
        )

    @post("/exceptions/decisions", opt={**FINANCE, **file_body(XLSX_TYPE)}, status_code=200)
    async def decisions(
        self,
        request: Request,
        dry_run: Annotated[bool, QueryParameter(description="show, change nothing")] = True,
    ) -> dict[str, Any]:
        """Import the filled-in workbook (the body): each row's decision, all or nothing. `dry_run=true`
        (the default) shows what each row would do."""
        return await workbook.import_decisions(current_actor(request), await request.body(), dry_run)

    @get("/exceptions/{exception_id:str}", opt=READERS)
    async def exception(self, request: Request, exception_id: ExceptionId) -> dict[str, Any]:
        """One exception with its evidence, its booking and its matches."""
        return await queries.get_exception(current_actor(request), exception_id)

    @post("/exceptions/{exception_id:str}/assign", opt=FINANCE, status_code=200)
    async def assign(
        self, request: Request, exception_id: ExceptionId, data: JSONBody[AssignIn]
    ) -> dict[str, Any]:
        """Assign a reconciliation exception to a user, with a due date."""
        return await resolutions.assign(current_actor(request), exception_id, data.assignee, data.due_date)

    @post("/exceptions/{exception_id:str}/resolve", opt=FINANCE, status_code=200)
    async def resolve(
        self, request: Request, exception_id: ExceptionId, data: JSONBody[ResolveIn]
    ) -> dict[str, Any]:
        """Resolve with a kind and a reason; one that moves money waits for a second person."""
        return await resolutions.resolve(
            current_actor(request), exception_id, data.resolution, data.reason, data.params
        )

    @post("/exceptions/{exception_id:str}/approve", opt=SECOND, status_code=200)
    async def approve(self, request: Request, exception_id: ExceptionId) -> dict[str, Any]:
        """The second person (not the proposer) carries out a resolution that moves money."""
        return await resolutions.approve(current_actor(request), exception_id)

    @post("/exceptions/{exception_id:str}/refuse", opt=SECOND, status_code=200)
    async def refuse(
        self, request: Request, exception_id: ExceptionId, data: JSONBody[ReasonIn]
    ) -> dict[str, Any]:
        """Refuse a proposed resolution: the exception goes back to the queue."""
        return await resolutions.reject_proposal(current_actor(request), exception_id, data.reason)


CONTROLLERS = [ReconciliationController]
