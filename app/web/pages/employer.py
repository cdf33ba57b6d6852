"""Employers' pages: a start page with counts and balances, placements and agreements with their payment
schedule, the monthly payroll claim by form (with lines) and by CSV upload with each line's outcome in
words, the claims list, a claim, the balance with overpayments and their reasons, the statement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect, Stream, Template

from app.core.actor import Actor
from app.core.approvals import CLAIM_STATUSES
from app.core.csv_input import Problems
from app.core.db import today
from app.core.errors import ErrorDetail, GrantsError
from app.core.roles import Role
from app.http.csv_output import csv_stream
from app.http.guards import allow, current_actor
from app.wage_subsidies import payroll_csv, placements, separation, wage_claims
from app.web import forms, outcomes
from app.web.i18n import N_, money
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page

EMPLOYERS = frozenset({Role.EMPLOYER})
LINE_FIELDS = payroll_csv.COLUMNS  # placement, kind, gross_wage_paid, hours_worked, still_employed, end_date
MAX_FORM_LINES = 200
PAGE_SIZE = 25


class EmployerPages(Controller):
    path = "/employer"
    opt = allow(*EMPLOYERS)
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        actor = current_actor(request)
        recent, _more = await wage_claims.list_claims(actor, None, 5, None)
        return page(request, "employer/index.html", figures=await _figures(actor), rows=recent)

    @get("/placements")
    async def placements(
        self, request: Request, after: Annotated[str | None, Parameter(max_length=40)] = None
    ) -> Template:
        rows, more = await placements.list_placements(current_actor(request), None, PAGE_SIZE, after)
        return page(request, "employer/placements.html", placements=rows, more=more)

    @get("/placements/{placement_id:str}")
    async def placement(
        self, request: Request, placement_id: Annotated[str, Parameter(max_length=40)]
    ) -> Template:
        found = await placements.get_placement(current_actor(request), placement_id)
        return page(request, "employer/placement.html", p=found)

    @get("/claims")
    async def list_claims(
        self,
        request: Request,
        status: Annotated[str | None, Parameter(max_length=20)] = None,
        after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        chosen = status if status in CLAIM_STATUSES else None
        rows, more = await wage_claims.list_claims(current_actor(request), chosen, PAGE_SIZE, after)
        return page(
            request, "employer/claims.html", rows=rows, more=more, status=chosen, statuses=CLAIM_STATUSES
        )

    @get("/claims/new")
    async def new_claim(self, request: Request) -> Template:
        actor = current_actor(request)
        lines = [forms.blank_row(LINE_FIELDS) | {"placement": p} for p in await _agreed_placements(actor)]
        return await _claim_form(request, lines or [forms.blank_row(LINE_FIELDS)], "")

    @post("/claims/new", status_code=200)
    async def submit_claim(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        lines, month_text = forms.rows_of(form, LINE_FIELDS, MAX_FORM_LINES), field_text(form, "month", 7)
        if "add_line" in form:  # "Add a line" without JavaScript: the same form, one row longer
            return await _claim_form(
                request, [*lines, forms.blank_row(LINE_FIELDS)][:MAX_FORM_LINES], month_text
            )
        filled = [line for line in lines if line["placement"]]
        problems = Problems()
        month = forms.month_field(month_text, "month", problems)
        items = [_payroll_line(n, cells, problems) for n, cells in enumerate(filled, start=1)]
        if not filled:
            problems.append(ErrorDetail("no_lines", "fill in at least one line", "line 1"))
        if problems:
            return await _claim_form(request, lines, month_text, problems, 400)
        return await _submit(
            request, month, [i for i in items if i], "api", lines=lines, month_text=month_text
        )

    @get("/claims/upload")
    async def upload_form(self, request: Request) -> Template:
        return page(request, "employer/upload.html", month="", problems=[])

    @post("/claims/upload", status_code=200)
    async def upload(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        month_text = field_text(form, "month", 7)
        problems = Problems()
        month = forms.month_field(month_text, "month", problems)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problems.append(ErrorDetail("no_file", "choose the CSV file to upload", "file"))
        if problems:
            return _upload_form(request, month_text, problems)
        try:
            items = payroll_csv.parse(await upload.read())
        except GrantsError as exc:
            return _upload_form(request, month_text, forms.details_of(exc))
        return await _submit(request, month, items, "csv", month_text=month_text)

    @get("/claims/{claim_id:str}")
    async def claim(self, request: Request, claim_id: Annotated[str, Parameter(max_length=40)]) -> Template:
        found = await wage_claims.get(current_actor(request), claim_id)
        return page(request, "employer/claim.html", claim=found, just_sent="sent" in request.query_params)

    @get("/balance")
    async def balance(self, request: Request) -> Template:
        actor = current_actor(request)
        found = await separation.balance(actor, _employer(actor))
        return page(request, "employer/balance.html", balance=found)

    @get("/statement")
    async def statement_form(self, request: Request) -> Template:
        first = today().replace(month=1, day=1).isoformat()
        return page(request, "employer/statement.html", date_from=first, date_to=today().isoformat())

    @get("/statement.csv", media_type="text/csv")
    async def statement(
        self,
        request: Request,
        date_from: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
        date_to: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    ) -> Stream | Template:
        problems = Problems()
        start, end = forms.period_fields(date_from, date_to, problems, ("from", "to"))
        if problems:
            context = {"date_from": date_from, "date_to": date_to}
            words = outcomes.problems_in_words(problems)
            return page(request, "employer/statement.html", 400, problems=words, **context)
        rows = await wage_claims.statement_rows(current_actor(request), start, end)
        return csv_stream(wage_claims.STATEMENT_COLUMNS, rows, f"wage-claims-statement-{start}-{end}.csv")


def _employer(actor: Actor) -> str:
    assert actor.organisation_public_id is not None  # every employer user belongs to its employer
    return actor.organisation_public_id


def _payroll_line(number: int, cells: dict[str, str], problems: Problems) -> Any:
    cells = {**cells, "kind": cells["kind"] or "wage", "still_employed": cells["still_employed"] or "yes"}
    return payroll_csv.line_from_cells(number, cells, problems)


async def _agreed_placements(actor: Actor) -> list[str]:
    """The employer's placements with a live agreement: one line each on a new claim form."""
    rows, _more = await placements.list_placements(actor, "agreed", 100, None)
    return [r["id"] for r in rows if r["agreement"] and r["agreement"]["status"] == "active"]


async def _claim_form(
    request: Request,
    lines: list[dict[str, str]],
    month: str,
    problems: list[ErrorDetail] | None = None,
    status_code: int = 200,
) -> Template:
    choices = await _agreed_placements(current_actor(request))
    return page(
        request,
        "employer/claim_form.html",
        status_code,
        lines=lines,
        month=month,
        placements=choices,
        problems=outcomes.problems_in_words(problems or []),
    )


def _upload_form(request: Request, month: str, problems: list[ErrorDetail]) -> Template:
    words = outcomes.problems_in_words(problems)
    return page(request, "employer/upload.html", 400, month=month, problems=words)


async def _submit(
    request: Request, month: dt.date, items: list, source: str, **form_state: Any
) -> Template | Redirect:
    """Submit through the same service as the API; a refusal of the whole claim is shown on the form."""
    try:
        claim = await wage_claims.submit(current_actor(request), month, items, today(), source=source)
    except GrantsError as exc:
        if source == "csv":
            return _upload_form(request, form_state["month"], forms.details_of(exc))
        return await _claim_form(
            request, form_state["lines"], form_state["month"], forms.details_of(exc), 400
        )
    return Redirect(path=f"/employer/claims/{claim['id']}?sent=1", status_code=303)


async def _figures(actor: Actor) -> list[tuple[str, str]]:
    counts = await wage_claims.status_counts(actor)
    owed = await separation.balance(actor, _employer(actor))
    paid_count, paid = await outcomes.paid_this_month(actor, "wage_claim")
    currency = owed["currency"]
    return [
        *outcomes.claim_counts(counts),
        (_("Paid this month"), _("%(count)s claims, %(amount)s", count=paid_count, amount=paid)),
        (_("Owed to you"), money(owed["owed_to_employer"], currency)),
        (_("You owe"), money(owed["owed_by_employer"], currency)),
    ]


AREA = Area(
    name="employer",
    controllers=[EmployerPages],
    cards=[
        Card(
            N_("Wage subsidies"),
            "/employer",
            N_("Your placements, monthly claims, balance and payments"),
            EMPLOYERS,
            order=10,
            figures=_figures,
        ),
        Card(
            N_("Claim for a month"),
            "/employer/claims/new",
            N_("Type the payroll, or upload a CSV file"),
            EMPLOYERS,
            order=11,
        ),
    ],
)
