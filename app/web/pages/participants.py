"""Caseworkers' participant pages: search (by part of the name, or the start of the id), register, and a
participant's page with her household, children, decisions, vouchers and what to do next."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core import audit
from app.core.actor import Actor
from app.core.errors import GrantsError
from app.core.roles import Role
from app.eligibility import service as eligibility
from app.eligibility.catalogue import catalogue
from app.http.guards import allow, current_actor
from app.registry import households, participants
from app.registry.personal import Gender, ParticipantPersonal
from app.vouchers import service as vouchers
from app.web.i18n import N_
from app.web.kit import Area, Card, field_text, form_of, is_htmx, page


class ParticipantPages(Controller):
    path = "/participants"
    opt = allow(Role.CASEWORKER)
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, q: Annotated[str | None, Parameter(max_length=100)] = None
    ) -> Template:
        rows, error = await _search(current_actor(request), q)
        template = "participants/rows.html" if is_htmx(request) else "participants/index.html"
        return page(request, template, rows=rows, q=q or "", error=error, genders=list(Gender))

    @post("/", status_code=200)
    async def register(self, request: Request) -> Template | Redirect:
        actor = current_actor(request)
        form = await form_of(request)
        try:
            view = await participants.register(actor, _personal_from_form(form))
        except (GrantsError, msgspec.ValidationError) as exc:
            message = exc.message if isinstance(exc, GrantsError) else str(exc)
            rows, _ = await _search(actor, None)
            return page(
                request,
                "participants/index.html",
                400,
                rows=rows,
                q="",
                error=None,
                form_error=message,
                form=dict(form.items()),
                genders=list(Gender),
            )
        return Redirect(path=f"/participants/{view.id}", status_code=303)

    @get("/{participant_id:str}")
    async def detail(
        self, request: Request, participant_id: Annotated[str, Parameter(max_length=40)]
    ) -> Template:
        actor = current_actor(request)
        view = await participants.get(actor, participant_id)
        house, members, children = None, [], []
        if view.household:
            house = await households.get_household(actor, view.household)
            members = [await participants.get(actor, m) for m in house.members if m != view.id]
            children = await households.list_children(actor, view.household)
        events = await audit.list_events(20, None, entity_id=participant_id)
        return page(
            request,
            "participants/detail.html",
            p=view,
            house=house,
            members=members,
            children=children,
            decisions=await eligibility.decisions_of(participant_id),
            vouchers=(await vouchers.list_vouchers(None, participant_id, 50, None))[0],
            programmes=[(p, catalogue().current(p).rule.title) for p in vouchers.KINDS],
            events=events.rows,
        )


def _looks_like_an_id(q: str) -> bool:
    return q.startswith("par_") or (len(q) >= 4 and "_" in q and " " not in q)


async def _search(actor: Actor, q: str | None) -> tuple[list, str | None]:
    """By the start of the id when it looks like one, else by part of the name (the blind index)."""
    q = (q or "").strip()
    try:
        if not q:
            found = await participants.search(actor, limit=50)
        elif _looks_like_an_id(q):
            found = await participants.search(actor, limit=50, id_prefix=q)
        else:
            found = await participants.search(actor, limit=50, name=q)
    except GrantsError as exc:
        return [], exc.message
    return found.rows, None


def _personal_from_form(form: FormMultiDict) -> ParticipantPersonal:
    """The form's flat fields as the same struct the API validates."""
    address = None
    if field_text(form, "address_line1"):
        address = {
            "line1": field_text(form, "address_line1"),
            "city": field_text(form, "address_city"),
            "postcode": field_text(form, "address_postcode"),
            "country": field_text(form, "address_country").upper(),
        }
    raw = {
        "given_name": field_text(form, "given_name"),
        "family_name": field_text(form, "family_name"),
        "date_of_birth": field_text(form, "date_of_birth"),
        "gender": field_text(form, "gender"),
        "national_id": field_text(form, "national_id") or None,
        "address": address,
        "phone": field_text(form, "phone"),
        "email": field_text(form, "email", 254),
    }
    return msgspec.convert(raw, ParticipantPersonal, strict=False)


AREA = Area(
    name="participants",
    controllers=[ParticipantPages],
    cards=[
        Card(
            N_("Participants"),
            "/participants",
            N_("Find, register and update participants"),
            frozenset({Role.CASEWORKER}),
            order=10,
        )
    ],
)
