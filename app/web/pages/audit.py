"""The audit log, for auditors and admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from app.core import audit
from app.core.roles import Role
from app.http.guards import allow
from app.web.i18n import N_
from app.web.kit import Area, Card, page

READERS = frozenset({Role.AUDITOR, Role.ADMIN})


class AuditPages(Controller):
    path = "/audit"
    opt = allow(*READERS)
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request,
        entity_id: Annotated[str | None, Parameter(max_length=64)] = None,
        starting_after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        found = await audit.list_events(50, starting_after, entity_id=entity_id or None)
        return page(
            request, "audit/index.html", events=found.rows, has_more=found.has_more, entity_id=entity_id or ""
        )


AREA = Area(
    name="audit",
    controllers=[AuditPages],
    cards=[Card(N_("Audit log"), "/audit", N_("Every change: who, what, when"), READERS, order=60)],
)
