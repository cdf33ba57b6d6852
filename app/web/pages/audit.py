"""The audit log, for auditors and admins: filtered by record, by user (id or e-mail) and by the days the
changes were made."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from app.core import audit
from app.core.errors import GrantsError
from app.core.roles import Role
from app.core.users import actor_for_email
from app.http.guards import allow
from app.web.i18n import N_
from app.web.i18n import gettext as _
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
        user: Annotated[str | None, Parameter(max_length=254)] = None,
        since: Annotated[str | None, Parameter(max_length=10)] = None,
        until: Annotated[str | None, Parameter(max_length=10)] = None,
        starting_after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        filters = {
            "entity_id": entity_id or "",
            "user": user or "",
            "since": since or "",
            "until": until or "",
        }
        problems = []
        first, last = _day(since), _day(until)
        if (since and first is None) or (until and last is None):
            problems.append(_("Write the dates as 2026-03-31."))
        actor = await _user_id(user) if user else None
        if user and actor is None:
            problems.append(_("No user has this id or e-mail."))
        events, has_more = [], False
        if not problems:
            found = await audit.list_events(
                50, starting_after, entity_id=entity_id or None, actor=actor, since=first, until=last
            )
            events, has_more = found.rows, found.has_more
        more = None
        if has_more and events:
            query = urlencode({k: v for k, v in filters.items() if v} | {"starting_after": events[-1].id})
            more = f"/audit?{query}"
        return page(request, "audit/index.html", events=events, more=more, filters=filters, problems=problems)


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _user_id(text: str) -> str | None:
    """A user's id from their id or e-mail (None when no user has it)."""
    if "@" not in text:
        return text.strip()
    try:
        return (await actor_for_email(text.strip())).public_id
    except GrantsError:
        return None


AREA = Area(
    name="audit",
    controllers=[AuditPages],
    cards=[Card(N_("Audit log"), "/audit", N_("Every change: who, what, when"), READERS, order=60)],
)
