"""Administrators' pages: users (create, change roles, disable or enable, set a new password) and their API
tokens; organisations (childcare providers and transport operators with their licences, employers and
their verification). The services (app/core/users.py, app/core/credentials.py, app/registry/organisations.py)
validate and audit every change; these pages collect the form and show the refusal in words."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from app.core import credentials, users
from app.core.errors import GrantsError, ValidationFailed
from app.core.roles import Role
from app.http.guards import allow, current_actor
from app.registry import organisations
from app.registry.organisations import LicenceView
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, field_text, form_of, page

Id = Annotated[str, Parameter(max_length=40)]
PAGE_SIZE = 50
NOTICES = {
    "created": N_("The user is created."),
    "roles": N_("The roles are changed."),
    "disabled": N_("The user is disabled: they can no longer sign in."),
    "enabled": N_("The user is enabled again."),
    "password": N_("The password is set; the user's other sessions are ended."),
    "revoked": N_("The token is revoked."),
    "provider": N_("The provider is added."),
    "licence": N_("The licence is added."),
    "employer": N_("The employer is added."),
    "verified": N_("The employer is verified: it may sign wage-subsidy agreements."),
}


def _notice(request: Request) -> str | None:
    done = request.query_params.get("done") or ""
    return _(NOTICES[done]) if done in NOTICES else None


def _roles(values: list) -> frozenset[Role]:
    chosen = set()
    for value in values:
        try:
            chosen.add(Role(value))
        except ValueError:
            raise ValidationFailed("invalid_role", _("Choose roles from the list."), "roles") from None
    if not chosen:
        raise ValidationFailed("no_role", _("Choose at least one role."), "roles")
    return frozenset(chosen)


def _date(text: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            "invalid_date", _("%(field)s: write the date as 2026-03-31", field=label)
        ) from None


async def _organisation_choices(request: Request) -> list[tuple[str, str]]:
    actor = current_actor(request)
    providers = (await organisations.list_providers(actor, 100, None)).rows
    employers = (await organisations.list_employers(actor, 100, None)).rows
    return [(p.id, p.name) for p in providers] + [(e.id, e.name) for e in employers]


class UserPages(Controller):
    path = "/admin/users"
    opt = allow(Role.ADMIN)
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, starting_after: Annotated[str | None, Parameter(max_length=40)] = None
    ) -> Template:
        return await self._index(request, starting_after, {}, None)

    async def _index(
        self, request: Request, starting_after: str | None, form: dict, problem: str | None, status: int = 200
    ) -> Template:
        found = await users.list_users(PAGE_SIZE, starting_after or None)
        more = f"/admin/users?starting_after={found.rows[-1].id}" if found.has_more else None
        return page(
            request,
            "admin/users.html",
            status,
            rows=found.rows,
            more=more,
            roles=list(Role),
            organisations=await _organisation_choices(request),
            form=form,
            problem=problem,
            notice=_notice(request),
        )

    @post("/", status_code=200)
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        try:
            made = await users.create_user(
                current_actor(request),
                email=field_text(form, "email", 254),
                display_name=field_text(form, "display_name", 100),
                roles=_roles(form.getall("roles", [])),
                organisation=field_text(form, "organisation", 40) or None,
                password=field_text(form, "password", 200) or None,
            )
        except GrantsError as exc:
            return await self._index(request, None, dict(form.items()), exc.message, exc.status_code)
        return Redirect(path=f"/admin/users/{made.id}?done=created", status_code=303)

    @get("/{user_id:str}")
    async def show(self, request: Request, user_id: Id) -> Template:
        return await _user_page(request, user_id, None)

    @post("/{user_id:str}/roles", status_code=200)
    async def change_roles(self, request: Request, user_id: Id) -> Template | Redirect:
        form = await form_of(request)
        try:
            await users.update_user(current_actor(request), user_id, roles=_roles(form.getall("roles", [])))
        except GrantsError as exc:
            return await _user_page(request, user_id, exc.message, exc.status_code)
        return Redirect(path=f"/admin/users/{user_id}?done=roles", status_code=303)

    @post("/{user_id:str}/active", status_code=200)
    async def set_active(self, request: Request, user_id: Id) -> Template | Redirect:
        active = field_text(await form_of(request), "active") == "yes"
        try:
            await users.update_user(current_actor(request), user_id, active=active)
        except GrantsError as exc:
            return await _user_page(request, user_id, exc.message, exc.status_code)
        return Redirect(
            path=f"/admin/users/{user_id}?done={'enabled' if active else 'disabled'}", status_code=303
        )

    @post("/{user_id:str}/password", status_code=200)
    async def reset_password(self, request: Request, user_id: Id) -> Template | Redirect:
        password = field_text(await form_of(request), "password", 200)
        try:
            await users.set_password(current_actor(request), user_id, password)
        except GrantsError as exc:
            return await _user_page(request, user_id, exc.message, exc.status_code)
        return Redirect(path=f"/admin/users/{user_id}?done=password", status_code=303)

    @post("/{user_id:str}/tokens", status_code=200)
    async def create_token(self, request: Request, user_id: Id) -> Template:
        name = field_text(await form_of(request), "name", 100) or _("made by an administrator")
        try:
            _token, secret = await credentials.create_token(current_actor(request), user_id, name)
        except GrantsError as exc:
            return await _user_page(request, user_id, exc.message, exc.status_code)
        return await _user_page(request, user_id, None, secret=secret)

    @post("/{user_id:str}/tokens/{token_id:str}/revoke", status_code=200)
    async def revoke_token(self, request: Request, user_id: Id, token_id: Id) -> Template | Redirect:
        try:
            await credentials.revoke_token(current_actor(request), user_id, token_id)
        except GrantsError as exc:
            return await _user_page(request, user_id, exc.message, exc.status_code)
        return Redirect(path=f"/admin/users/{user_id}?done=revoked", status_code=303)


async def _user_page(
    request: Request, user_id: str, problem: str | None, status: int = 200, secret: str | None = None
) -> Template:
    user = await users.get_user(user_id)
    return page(
        request,
        "admin/user.html",
        status,
        user=user,
        roles=list(Role),
        tokens=await credentials.list_tokens(user_id),
        problem=problem,
        notice=_notice(request),
        secret=secret,
    )


class OrganisationPages(Controller):
    path = "/admin/organisations"
    opt = allow(Role.ADMIN)
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return await self._index(request, {}, None)

    async def _index(self, request: Request, form: dict, problem: str | None, status: int = 200) -> Template:
        actor = current_actor(request)
        return page(
            request,
            "admin/organisations.html",
            status,
            providers=(await organisations.list_providers(actor, 100, None)).rows,
            employers=(await organisations.list_employers(actor, 100, None)).rows,
            services=organisations.SERVICES,
            form=form,
            problem=problem,
            notice=_notice(request),
        )

    @post("/providers", status_code=200)
    async def add_provider(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        try:
            licence = None
            if field_text(form, "licence_number"):
                licence = LicenceView(
                    field_text(form, "licence_number", 60),
                    _date(field_text(form, "valid_from", 10), _("Licence valid from")),
                    _date(field_text(form, "valid_until", 10), _("Licence valid until")),
                )
            await organisations.create_provider(
                current_actor(request),
                name=field_text(form, "name", 200),
                service=field_text(form, "service", 20) or "childcare",
                address=field_text(form, "address", 300),
                contact_email=field_text(form, "contact_email", 254),
                contact_phone=field_text(form, "contact_phone", 40),
                licence=licence,
            )
        except GrantsError as exc:
            return await self._index(request, dict(form.items()), exc.message, exc.status_code)
        return Redirect(path="/admin/organisations?done=provider", status_code=303)

    @post("/providers/{provider_id:str}/licences", status_code=200)
    async def add_licence(self, request: Request, provider_id: Id) -> Template | Redirect:
        form = await form_of(request)
        try:
            licence = LicenceView(
                field_text(form, "licence_number", 60),
                _date(field_text(form, "valid_from", 10), _("Licence valid from")),
                _date(field_text(form, "valid_until", 10), _("Licence valid until")),
            )
            await organisations.add_licence(current_actor(request), provider_id, licence)
        except GrantsError as exc:
            return await self._index(request, {}, exc.message, exc.status_code)
        return Redirect(path="/admin/organisations?done=licence", status_code=303)

    @post("/employers", status_code=200)
    async def add_employer(self, request: Request) -> Template | Redirect:
        form = await form_of(request)
        try:
            await organisations.create_employer(
                current_actor(request),
                name=field_text(form, "name", 200),
                registration_number=field_text(form, "registration_number", 60),
                address=field_text(form, "address", 300),
                contact_email=field_text(form, "contact_email", 254),
                contact_phone=field_text(form, "contact_phone", 40),
            )
        except GrantsError as exc:
            return await self._index(request, dict(form.items()), exc.message, exc.status_code)
        return Redirect(path="/admin/organisations?done=employer", status_code=303)

    @post("/employers/{employer_id:str}/verify", status_code=200)
    async def verify(self, request: Request, employer_id: Id) -> Template | Redirect:
        try:
            await organisations.verify_employer(current_actor(request), employer_id)
        except GrantsError as exc:
            return await self._index(request, {}, exc.message, exc.status_code)
        return Redirect(path="/admin/organisations?done=verified", status_code=303)


AREA = Area(
    name="admin",
    controllers=[UserPages, OrganisationPages],
    cards=[
        Card(
            N_("Users"),
            "/admin/users",
            N_("Create users, change roles, disable, reset passwords, tokens"),
            frozenset({Role.ADMIN}),
            order=40,
        ),
        Card(
            N_("Organisations"),
            "/admin/organisations",
            N_("Providers with licences, employers and verification"),
            frozenset({Role.ADMIN}),
            order=41,
        ),
    ],
)
