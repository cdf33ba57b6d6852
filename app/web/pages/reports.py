"""The budget holder's reports page: budget vs committed vs spent vs paid per fund x programme over the
months (a server-rendered chart and the same figures as a table), and the workbook to download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from anyio import to_thread
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Response, Template

from app.core.errors import GrantsError, ValidationFailed
from app.core.roles import Role
from app.http.guards import allow
from app.ledger import dimensions
from app.reports.api import XLSX, workbook_bytes
from app.reports.chart import Series, line_chart
from app.reports.service import build_report
from app.reports.sheets import CHART_STAGES, pair_series
from app.web.i18n import N_, gettext
from app.web.kit import Area, Card, page

AsOf = Annotated[str | None, QueryParameter(max_length=20)]  # parsed here, so a bad one is said in words
Fund = Annotated[str | None, QueryParameter(max_length=32)]
READERS = frozenset({Role.BUDGET_HOLDER, Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN})
STAGE_LABELS = {
    "budget": N_("Budget"),
    "committed": N_("Committed"),
    "expended": N_("Spent"),
    "paid": N_("Paid"),
}


def _as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "invalid_date", gettext("The date must look like 2026-11-30."), "as_of"
        ) from None


def _charts(report) -> list[dict]:
    out = []
    for pair in pair_series(report):
        title = gettext(
            "%(fund)s, %(programme)s: budget, committed, spent and paid at each month's end",
            fund=pair.fund,
            programme=pair.programme,
        )
        series = [Series(s, gettext(STAGE_LABELS[s]), pair.stages[s]) for s in CHART_STAGES]
        rows = [
            {"month": month, **{s: pair.stages[s][i] for s in CHART_STAGES}}
            for i, month in enumerate(pair.months)
        ]
        out.append({"pair": pair, "svg": line_chart(title, pair.months, series, pair.currency), "rows": rows})
    return out


class ReportPages(Controller):
    path = "/reports"
    opt = allow(*READERS)
    include_in_schema = False

    @get("/")
    async def index(self, request: Request, as_of: AsOf = None, fund: Fund = None) -> Template:
        funds = await dimensions.list_all("fund")
        fund = fund or None
        context = {"funds": funds, "as_of": as_of or "", "fund": fund or "", "charts": [], "problem": None}
        try:
            report = await build_report(_as_of(as_of), fund)
        except GrantsError as exc:
            empty = exc.code == "empty_ledger"
            context["problem"] = (
                gettext("Nothing has been posted to the ledger yet.") if empty else exc.message
            )
            return page(request, "reports/index.html", 200 if empty else 400, **context)
        query = urlencode({k: v for k, v in (("as_of", report.as_of.isoformat()), ("fund", fund)) if v})
        return page(
            request,
            "reports/index.html",
            report=report,
            download=f"/reports/budget.xlsx?{query}",
            **{**context, "charts": _charts(report), "as_of": report.as_of.isoformat()},
        )

    @get("/budget.xlsx")
    async def download(self, as_of: AsOf = None, fund: Fund = None) -> Response[bytes]:
        report = await build_report(_as_of(as_of), fund or None)
        content = await to_thread.run_sync(workbook_bytes, report)
        name = f"budget{'-' + report.fund if report.fund else ''}-{report.as_of.isoformat()}.xlsx"
        return Response(
            content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )


AREA = Area(
    name="reports",
    controllers=[ReportPages],
    cards=[
        Card(
            N_("Budget reports"),
            "/reports",
            N_("Budget vs committed vs spent vs paid over the months; the workbook to download"),
            READERS,
            order=55,
        )
    ],
)
