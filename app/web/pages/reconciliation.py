"""Reconciliation pages: the dashboard (checks green or red with their drift, the match rate), the
exception queue with filters, and an exception's page with its evidence, assignment and the resolution
form (approve or refuse when a resolution that moves money waits for a second person). Thin: the
services decide; a refused action shows its message on the page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter, QueryParameter
from litestar.response import Redirect, Template

from app.core.errors import GrantsError
from app.core.roles import Role
from app.http.guards import allow, current_actor
from app.reconciliation import queries, queue, resolutions, service
from app.web.i18n import N_
from app.web.kit import Area, Card

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
READERS = allow(Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN, Role.BUDGET_HOLDER)
FINANCE = allow(Role.FINANCE_OFFICER)
SECOND = allow(Role.FINANCE_OFFICER, Role.APPROVER)
RUNNERS = allow(Role.FINANCE_OFFICER, Role.ADMIN)
ExceptionId = Annotated[str, Parameter(max_length=32)]
Filter = Annotated[str | None, QueryParameter(max_length=32)]


def _page(name: str, request: Request, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=f"reconciliation/{name}",
        context={"actor": request.scope.get("user"), **context},
        status_code=status,
    )


def _params(form: dict[str, str]) -> dict[str, Any]:
    """The resolution form's optional fields, as the service takes them."""
    out: dict[str, Any] = {}
    for name in ("instruction", "booking", "fund", "programme"):
        if form.get(name, "").strip():
            out[name] = form[name].strip()
    cash = form.get("cash_minor", "").strip()
    if cash:
        out["cash_minor"] = int(cash) if cash.lstrip("-").isdigit() else cash
    return out


class ReconciliationPages(Controller):
    path = "/reconciliation"
    include_in_schema = False

    @get("/", opt=READERS)
    async def dashboard(self, request: Request) -> Template:
        board = await service.dashboard(current_actor(request))
        return _page("dashboard.html", request, board=board, can_run=current_actor(request).has_any(
            Role.FINANCE_OFFICER, Role.ADMIN))  # fmt: skip

    @post("/run", opt=RUNNERS)
    async def run(self, request: Request) -> Redirect:
        await service.run(current_actor(request))
        return Redirect("/reconciliation/", status_code=303)

    @get("/exceptions", opt=READERS)
    async def queue_page(
        self,
        request: Request,
        queue_state: Annotated[str | None, QueryParameter(name="state", max_length=32)] = "unresolved",
        kind: Filter = None,
        severity: Filter = None,
        starting_after: Filter = None,
    ) -> Template:
        filters = {"state": queue_state or None, "kind": kind or None, "severity": severity or None}
        try:
            page = await queries.list_exceptions(current_actor(request), **filters, limit=50,
                                                 starting_after=starting_after or None)  # fmt: skip
            error = None
        except GrantsError as exc:
            page, error = {"data": [], "has_more": False}, exc.message
        return _page("queue.html", request, status=400 if error else 200, page=page, error=error,
                     filters={k: v or "" for k, v in filters.items()}, kinds=queue.KINDS)  # fmt: skip

    async def _exception_page(
        self, request: Request, exception_id: str, error: str | None, status: int
    ) -> Template:
        actor = current_actor(request)
        view = await queries.get_exception(actor, exception_id)
        return _page(
            "exception.html", request, status=status, e=view, error=error,
            allowed=resolutions.ALLOWED.get(view["kind"], ()),
            evidence=json.dumps(view["evidence"], indent=2, default=str),
            can_resolve=actor.has_any(Role.FINANCE_OFFICER),
            can_approve=actor.has_any(*SECOND["roles"]) and view["proposed_by"] != actor.public_id,
        )  # fmt: skip

    @get("/exceptions/{exception_id:str}", opt=READERS)
    async def exception_page(self, request: Request, exception_id: ExceptionId) -> Template:
        return await self._exception_page(request, exception_id, None, 200)

    async def _act(self, request: Request, exception_id: str, action) -> Template | Redirect:
        try:
            await action()
        except GrantsError as exc:
            return await self._exception_page(request, exception_id, exc.message, exc.status_code)
        return Redirect(f"/reconciliation/exceptions/{exception_id}", status_code=303)

    @post("/exceptions/{exception_id:str}/resolve", opt=FINANCE)
    async def resolve(self, request: Request, exception_id: ExceptionId, data: Form) -> Template | Redirect:
        actor = current_actor(request)
        kind, reason = data.get("resolution", ""), data.get("reason", "")
        return await self._act(
            request,
            exception_id,
            lambda: resolutions.resolve(actor, exception_id, kind, reason, _params(data)),
        )

    @post("/exceptions/{exception_id:str}/assign", opt=FINANCE)
    async def assign(self, request: Request, exception_id: ExceptionId, data: Form) -> Template | Redirect:
        actor = current_actor(request)
        due = data.get("due_date", "").strip()

        async def action() -> None:
            try:
                day = dt.date.fromisoformat(due) if due else None
            except ValueError:
                from app.core.errors import ValidationFailed

                raise ValidationFailed(
                    "invalid_date", f"{due!r} is not a date like 2030-01-31", "due_date"
                ) from None
            await resolutions.assign(
                actor, exception_id, data.get("assignee", "").strip() or actor.public_id, day
            )

        return await self._act(request, exception_id, action)

    @post("/exceptions/{exception_id:str}/approve", opt=SECOND)
    async def approve(self, request: Request, exception_id: ExceptionId) -> Template | Redirect:
        actor = current_actor(request)
        return await self._act(request, exception_id, lambda: resolutions.approve(actor, exception_id))

    @post("/exceptions/{exception_id:str}/refuse", opt=SECOND)
    async def refuse(self, request: Request, exception_id: ExceptionId, data: Form) -> Template | Redirect:
        actor = current_actor(request)
        return await self._act(request, exception_id, lambda: resolutions.reject_proposal(
            actor, exception_id, data.get("reason", "")))  # fmt: skip


AREA = Area(
    name="reconciliation",
    controllers=[ReconciliationPages],
    cards=[
        Card(
            N_("Reconciliation"),
            "/reconciliation/",
            N_("Checks of the ledger against the bank, and the exception queue"),
            READERS["roles"],
            order=40,
        )
    ],
)
