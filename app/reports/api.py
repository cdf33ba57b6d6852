"""HTTP API of the budget reports: the workbook and the CSV of each sheet, as of a date.

Readers are the budget holder, the finance officer, the auditor and the admin; the people who handle
cases or claims (caseworkers, approvers, providers, employers) have no reason to see budget reports.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated

from anyio import to_thread
from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Response

from app.core.errors import NotFound
from app.core.roles import Role
from app.http.guards import allow
from app.reports.iati import activities_xml, publisher
from app.reports.service import Report, build_report
from app.reports.sheets import SHEETS, render_csv
from app.reports.suppression import DEFAULT_K
from app.reports.workbook import write_workbook

READERS = allow(Role.BUDGET_HOLDER, Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AsOf = Annotated[
    dt.date | None, QueryParameter(description="figures at the end of this day (default: today)")
]
Fund = Annotated[str | None, QueryParameter(max_length=32, description="only this fund (code)")]
Sheet = Annotated[
    str, PathParameter(max_length=32, description="summary, by_month, pooled_fund, participants, ledger")
]
K = Annotated[int, QueryParameter(description="counts below k are suppressed (at least 2)", le=1000)]


def _name(report: Report, stem: str, suffix: str) -> str:
    scope = f"-{report.fund}" if report.fund else ""
    return f"{stem}{scope}-{report.as_of.isoformat()}.{suffix}"


def workbook_bytes(report: Report) -> bytes:
    buffer = io.BytesIO()
    write_workbook(report, buffer)
    return buffer.getvalue()


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @get("/budget.xlsx", opt=READERS, media_type=XLSX)
    async def budget_workbook(
        self, as_of: AsOf = None, fund: Fund = None, k: K = DEFAULT_K
    ) -> Response[bytes]:
        """The budget workbook (Summary, By month, Pooled fund, Participants, Ledger, Notes)."""
        report = await build_report(as_of, fund, k)
        content = await to_thread.run_sync(workbook_bytes, report)  # CPU-bound: off the event loop
        disposition = f'attachment; filename="{_name(report, "budget", "xlsx")}"'
        return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})

    @get("/csv/{sheet:str}", opt=READERS, media_type="text/csv")
    async def sheet_csv(
        self, sheet: Sheet, as_of: AsOf = None, fund: Fund = None, k: K = DEFAULT_K
    ) -> Response[str]:
        """One sheet as CSV: summary, by_month, pooled_fund, participants or ledger."""
        make = SHEETS.get(sheet)
        if make is None:
            raise NotFound(f"sheet (one of {', '.join(SHEETS)})", "sheet")
        report = await build_report(as_of, fund, k)
        disposition = f'attachment; filename="{_name(report, sheet, "csv")}"'
        return Response(
            render_csv(make(report)), media_type="text/csv", headers={"Content-Disposition": disposition}
        )

    @get("/iati.xml", opt=READERS, media_type="application/xml")
    async def iati(self, as_of: AsOf = None, fund: Fund = None) -> Response[bytes]:
        """IATI 2.03 activity XML: one activity per fund x programme with its budget and transactions."""
        report = await build_report(as_of, fund)
        content = activities_xml(report, *publisher())
        disposition = f'attachment; filename="{_name(report, "iati-activities", "xml")}"'
        return Response(content, media_type="application/xml", headers={"Content-Disposition": disposition})


CONTROLLERS = [ReportController]
