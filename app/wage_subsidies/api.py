"""HTTP API of wage subsidies: placements and agreements, separations, employers' monthly claims (JSON or a
payroll CSV), four-eyes approval, overpayments and the employer's balance. Thin: parse, guard, call."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from app.core.dates import check_date
from app.core.db import today
from app.core.roles import Role
from app.core.schemas import ApproveIn, ListOf, RejectIn
from app.http.csv_output import csv_stream
from app.http.guards import allow, current_actor
from app.http.openapi import file_body
from app.http.params import Cursor, Limit
from app.wage_subsidies import payroll_csv, placements, separation, wage_claims
from app.wage_subsidies.schemas import (
    AgreementIn,
    BalanceOut,
    OverpaymentOut,
    PlacementIn,
    PlacementOut,
    RepaymentIn,
    SeparationIn,
    WageClaimIn,
    WageClaimOut,
    WageClaimSummaryOut,
)

STAFF = (Role.CASEWORKER, Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
READERS = allow(*STAFF, Role.EMPLOYER)
DECIDERS = allow(Role.FINANCE_OFFICER, Role.APPROVER)
PAYROLL_CSV_EXAMPLE = (
    "placement,kind,gross_wage_paid,hours_worked,still_employed,end_date\n"
    "plc_2k8f3q9x7m4t1v6b,wage,1800.00,160,yes,\n"
)
PlacementId = Annotated[str, Parameter(max_length=32, description="a placement, plc_…")]
ClaimId = Annotated[str, Parameter(max_length=32, description="a wage subsidy claim, wcl_…")]
OverpaymentId = Annotated[str, Parameter(max_length=32, description="an overpayment, ovp_…")]
EmployerId = Annotated[str, Parameter(max_length=32, description="an employer, emp_…")]
MonthParam = Annotated[str, QueryParameter(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="2026-03")]


def _hundredths(hours: float) -> int:
    return round(hours * 100)


def _month(text: str) -> dt.date:
    return check_date(dt.date.fromisoformat(f"{text}-01"), "period")


class PlacementController(Controller):
    path = "/api/v1/placements"
    tags = ["wage subsidies"]

    @post("/", opt=allow(Role.CASEWORKER))
    async def create(self, request: Request, data: JSONBody[PlacementIn]) -> PlacementOut:
        """Record that an employer hired a participant (role, start, contracted hours, monthly wage)."""
        placement = placements.PlacementIn(
            data.employer,
            data.participant,
            data.role,
            data.start_date,
            _hundredths(data.contracted_weekly_hours),
            data.gross_wage,
        )
        return msgspec.convert(
            await placements.create_placement(current_actor(request), placement), PlacementOut
        )

    @get("/", opt=READERS)
    async def index(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> ListOf[PlacementOut]:
        """Placements, newest first; employers see only their own."""
        rows, has_more = await placements.list_placements(
            current_actor(request), status, limit, starting_after
        )
        return ListOf(data=[msgspec.convert(r, PlacementOut) for r in rows], has_more=has_more)

    @get("/{placement_id:str}", opt=READERS)
    async def retrieve(self, request: Request, placement_id: PlacementId) -> PlacementOut:
        """One placement of a participant with an employer."""
        return msgspec.convert(
            await placements.get_placement(current_actor(request), placement_id), PlacementOut
        )

    @post("/{placement_id:str}/agreement", opt=allow(Role.CASEWORKER))
    async def sign(
        self, request: Request, placement_id: PlacementId, data: JSONBody[AgreementIn]
    ) -> PlacementOut:
        """Sign the subsidy agreement: the wage_subsidy rule decides, and the maximum total is committed in
        the ledger (refused with `insufficient_available_budget` when the budget cannot afford it)."""
        facts = placements.AgreementIn(
            data.fund,
            data.agreement_date,
            data.labour_law_declaration_signed,
            data.layoffs_same_role_last_90_days,
            data.employed_by_employer_last_12_months,
        )
        signed = await placements.sign_agreement(current_actor(request), placement_id, facts)
        return msgspec.convert(signed, PlacementOut)

    @post("/{placement_id:str}/separation", opt=allow(Role.CASEWORKER, Role.EMPLOYER), status_code=200)
    async def separate(
        self, request: Request, placement_id: PlacementId, data: JSONBody[SeparationIn]
    ) -> PlacementOut:
        """Report the last day of employment: unused commitment is released; subsidy approved for later
        time becomes an overpayment (disallowed if unpaid, a receivable if paid)."""
        ended = await separation.end_employment(
            current_actor(request), placement_id, data.end_date, data.reason, today()
        )
        return msgspec.convert(ended, PlacementOut)


class WageClaimController(Controller):
    path = "/api/v1/wage-claims"
    tags = ["wage subsidies"]

    @post("/", opt=allow(Role.EMPLOYER))
    async def submit(self, request: Request, data: JSONBody[WageClaimIn]) -> WageClaimOut:
        """A month's claim with payroll evidence per employee; each line is accepted, reduced or rejected
        with a named reason, and the claim waits for approval."""
        items = [
            wage_claims.PayrollIn(
                i.placement, i.gross_wage, _hundredths(i.hours_worked), i.still_employed, i.end_date, i.kind
            )
            for i in data.lines
        ]
        claim = await wage_claims.submit(current_actor(request), _month(data.period), items, today())
        return msgspec.convert(claim, WageClaimOut)

    @post("/csv", opt={**allow(Role.EMPLOYER), **file_body("text/csv", PAYROLL_CSV_EXAMPLE)})
    async def submit_csv(self, request: Request, period: MonthParam) -> WageClaimOut:
        """The same claim as a payroll CSV (the request body, text/csv; format in docs/wage_subsidies.md).
        A malformed file is refused whole, naming each bad line and column."""
        items = payroll_csv.parse(await request.body())
        claim = await wage_claims.submit(current_actor(request), _month(period), items, today(), source="csv")
        return msgspec.convert(claim, WageClaimOut)

    @get("/", opt=READERS)
    async def index(
        self,
        request: Request,
        limit: Limit = 20,
        starting_after: Cursor = None,
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> ListOf[WageClaimSummaryOut]:
        """Wage-subsidy claims, a page at a time; `status` keeps only those in that status."""
        rows, has_more = await wage_claims.list_claims(current_actor(request), status, limit, starting_after)
        return ListOf(data=[msgspec.convert(r, WageClaimSummaryOut) for r in rows], has_more=has_more)

    @get("/statement.csv", opt=allow(Role.EMPLOYER), media_type="text/csv")
    async def statement(
        self,
        request: Request,
        date_from: Annotated[dt.date, QueryParameter(name="from")],
        date_to: Annotated[dt.date, QueryParameter(name="to")],
    ) -> Stream:
        """The employer's statement: every claim line of the months in the range, with outcome and reason."""
        rows = await wage_claims.statement_rows(current_actor(request), date_from, date_to)
        return csv_stream(wage_claims.STATEMENT_COLUMNS, rows, "wage-claims-statement.csv")

    @get("/{claim_id:str}", opt=READERS)
    async def retrieve(self, request: Request, claim_id: ClaimId) -> WageClaimOut:
        """One wage-subsidy claim with its lines."""
        return msgspec.convert(await wage_claims.get(current_actor(request), claim_id), WageClaimOut)

    @post("/{claim_id:str}/approve", opt=DECIDERS, status_code=200)
    async def approve(self, request: Request, claim_id: ClaimId, data: JSONBody[ApproveIn]) -> WageClaimOut:
        """Approve whole or some lines (four eyes). The final approval posts the expenditure and a payable to
        the employer, and keeps back what the employer owes from overpayments."""
        actor, when = current_actor(request), data.effective_date or today()
        return msgspec.convert(await wage_claims.approve(actor, claim_id, data.lines, when), WageClaimOut)

    @post("/{claim_id:str}/reject", opt=DECIDERS, status_code=200)
    async def reject(self, request: Request, claim_id: ClaimId, data: JSONBody[RejectIn]) -> WageClaimOut:
        """Reject a wage-subsidy claim, giving the reason."""
        claim = await wage_claims.reject(current_actor(request), claim_id, data.reason, today())
        return msgspec.convert(claim, WageClaimOut)


class OverpaymentController(Controller):
    path = "/api/v1/overpayments"
    tags = ["wage subsidies"]

    @get("/{overpayment_id:str}", opt=READERS)
    async def retrieve(self, request: Request, overpayment_id: OverpaymentId) -> OverpaymentOut:
        """One overpayment with what is repaid and what is still owed."""
        view = await separation.get_overpayment(current_actor(request), overpayment_id)
        return msgspec.convert(view, OverpaymentOut)

    @post("/{overpayment_id:str}/repayment", opt=allow(Role.FINANCE_OFFICER), status_code=200)
    async def repayment(
        self,
        request: Request,
        overpayment_id: OverpaymentId,
        data: JSONBody[RepaymentIn],
    ) -> OverpaymentOut:
        """Record the employer's repayment (a bank receipt) of an overpayment."""
        when = data.effective_date or today()
        view = await separation.record_repayment(
            current_actor(request), overpayment_id, data.amount, when, data.reference
        )
        return msgspec.convert(view, OverpaymentOut)


class EmployerBalanceController(Controller):
    path = "/api/v1/employers/{employer_id:str}/balance"
    tags = ["wage subsidies"]

    @get("/", opt=READERS)
    async def balance(self, request: Request, employer_id: EmployerId) -> BalanceOut:
        """What the programme owes the employer, what the employer owes back, and why."""
        return msgspec.convert(await separation.balance(current_actor(request), employer_id), BalanceOut)


CONTROLLERS = [PlacementController, WageClaimController, OverpaymentController, EmployerBalanceController]
