"""Pages of childcare providers and transport operators: a start page with counts, claims by form (with
lines) and by CSV upload, each line's outcome in words, the claims list, a claim, the statement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict, UploadFile
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
from app.vouchers import claim_csv, claims
from app.web import forms, outcomes
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page

PROVIDERS = frozenset({Role.PROVIDER})
LINE_FIELDS = (
    claim_csv.COLUMNS
)  # voucher_code, child_birth_date, service_start, service_end, days_attended, amount
NEW_FORM_LINES = 3
MAX_FORM_LINES = 200
PAGE_SIZE = 25
PERIOD = ("period_start", "period_end")


class ProviderPages(Controller):
    path = "/provider"
    opt = allow(*PROVIDERS)
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        actor = current_actor(request)
        recent, _more = await claims.list_claims(actor, None, 5, None)
        return page(request, "provider/index.html", figures=await _figures(actor), recent=recent)

    @get("/claims")
    async def list_claims(
        self,
        request: Request,
        status: Annotated[str | None, Parameter(max_length=20)] = None,
        after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        chosen = status if status in CLAIM_STATUSES else None
        rows, more = await claims.list_claims(current_actor(request), chosen, PAGE_SIZE, after)
        return page(
            request,
            "provider/claims.html",
            rows=rows,
            more=more,
            status=chosen,
            statuses=CLAIM_STATUSES,
        )

    @get("/claims/new")
    async def new_claim(self, request: Request) -> Template:
        return _claim_form(request, [forms.blank_row(LINE_FIELDS) for _ in range(NEW_FORM_LINES)], {})

    @post("/claims/new", status_code=200)
    async def submit_claim(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        lines = _form_lines(form)
        period = {
            "period_start": field_text(form, "period_start"),
            "period_end": field_text(form, "period_end"),
        }
        if "add_line" in form:  # "Add a line" without JavaScript: the same form, one row longer
            lines = [*lines, forms.blank_row(LINE_FIELDS)][:MAX_FORM_LINES]
            return _claim_form(request, lines, period)
        filled = [line for line in lines if any(line.values())]
        problems = Problems()
        start, end = _period(period, problems)
        items = [claim_csv.line_from_cells(n, cells, problems) for n, cells in enumerate(filled, start=1)]
        if not filled:
            problems.append(ErrorDetail("no_lines", "fill in at least one line", "line 1"))
        if problems:
            return _claim_form(request, lines or [forms.blank_row(LINE_FIELDS)], period, problems, 400)
        return await _submit(request, start, end, [i for i in items if i], "api", lines=lines, period=period)

    @get("/claims/upload")
    async def upload_form(self, request: Request) -> Template:
        return page(request, "provider/upload.html", period={}, problems=[])

    @post("/claims/upload", status_code=200)
    async def upload(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        period = {
            "period_start": field_text(form, "period_start"),
            "period_end": field_text(form, "period_end"),
        }
        problems = Problems()
        start, end = _period(period, problems)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problems.append(ErrorDetail("no_file", "choose the CSV file to upload", "file"))
        if problems:
            return _upload_form(request, period, problems)
        try:
            items = claim_csv.parse(await upload.read())
        except GrantsError as exc:
            return _upload_form(
                request, period, exc.details or [ErrorDetail(exc.code, exc.message, exc.param)]
            )
        return await _submit(request, start, end, items, "csv", period=period)

    @get("/claims/{claim_id:str}")
    async def claim(self, request: Request, claim_id: Annotated[str, Parameter(max_length=40)]) -> Template:
        found = await claims.get(current_actor(request), claim_id)
        return page(request, "provider/claim.html", claim=found, just_sent="sent" in request.query_params)

    @get("/statement")
    async def statement_form(self, request: Request) -> Template:
        first = today().replace(day=1)
        return page(
            request, "provider/statement.html", date_from=first.isoformat(), date_to=today().isoformat()
        )

    @get("/statement.csv", media_type="text/csv")
    async def statement(
        self,
        request: Request,
        date_from: Annotated[str, QueryParameter(name="from", max_length=10)] = "",
        date_to: Annotated[str, QueryParameter(name="to", max_length=10)] = "",
    ) -> Stream | Template:
        problems = Problems()
        start, end = _period({"period_start": date_from, "period_end": date_to}, problems)
        if problems:
            return page(
                request,
                "provider/statement.html",
                400,
                date_from=date_from,
                date_to=date_to,
                problems=outcomes.problems_in_words(problems),
            )
        rows = await claims.statement_rows(current_actor(request), start, end)
        return csv_stream(claims.STATEMENT_COLUMNS, rows, f"claims-statement-{start}-{end}.csv")


def _period_fields(form: FormMultiDict) -> dict[str, str]:
    return {name: field_text(form, name) for name in PERIOD}


def _form_lines(form: FormMultiDict) -> list[dict[str, str]]:
    return forms.rows_of(form, LINE_FIELDS, MAX_FORM_LINES)


def _period(period: dict[str, str], problems: Problems) -> tuple[dt.date, dt.date]:
    """The service period's two dates, each problem recorded with the field it is in."""
    return forms.period_fields(period.get(PERIOD[0], ""), period.get(PERIOD[1], ""), problems, PERIOD)


def _claim_form(
    request: Request,
    lines: list[dict[str, str]],
    period: dict[str, str],
    problems: list[ErrorDetail] | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "provider/claim_form.html",
        status_code,
        lines=lines,
        period=period,
        problems=outcomes.problems_in_words(problems or []),
    )


def _upload_form(request: Request, period: dict[str, str], problems: list[ErrorDetail]) -> Template:
    return page(
        request, "provider/upload.html", 400, period=period, problems=outcomes.problems_in_words(problems)
    )


async def _submit(
    request: Request, start: dt.date, end: dt.date, items: list, source: str, **form_state: Any
) -> Template | Redirect:
    """Submit through the same service as the API; a refusal of the whole claim is shown on the form."""
    try:
        claim = await claims.submit(current_actor(request), start, end, items, today(), source=source)
    except GrantsError as exc:
        problems = forms.details_of(exc)
        if source == "csv":
            return _upload_form(request, form_state["period"], problems)
        return _claim_form(request, form_state["lines"], form_state["period"], problems, 400)
    return Redirect(path=f"/provider/claims/{claim['id']}?sent=1", status_code=303)


async def _figures(actor: Actor) -> list[tuple[str, str]]:
    counts = await claims.status_counts(actor)
    paid_count, paid = await outcomes.paid_this_month(actor, "voucher_claim")
    return [
        *outcomes.claim_counts(counts),
        (_("Claims rejected"), str(counts.get("rejected", 0))),
        (_("Paid this month"), _("%(count)s claims, %(amount)s", count=paid_count, amount=paid)),
    ]


AREA = Area(
    name="provider",
    controllers=[ProviderPages],
    cards=[
        Card(
            N_("Your claims"),
            "/provider",
            N_("Claim for vouchers, follow approval and payment"),
            PROVIDERS,
            10,
            _figures,
        ),
        Card(
            N_("Submit a claim"),
            "/provider/claims/new",
            N_("Type the lines, or upload a CSV file"),
            PROVIDERS,
            11,
        ),
    ],
)
