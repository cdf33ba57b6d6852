"""HTTP API of the core: sign-in, the current user and their tokens, user administration, audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from app.core import admin_requests, audit, credentials, users
from app.core.actor import Actor
from app.core.admin_requests import AdminRequestView
from app.core.credentials import TokenView
from app.core.db import raw
from app.core.errors import ValidationFailed
from app.core.roles import Role
from app.core.schemas import Email, Input, ListOf, Output, Password, ShortText, text_for
from app.core.settings import get_settings
from app.core.tables import ApiToken
from app.core.users import UserView
from app.http.auth_middleware import SESSION_COOKIE
from app.http.guards import PUBLIC, allow, allow_everyone_signed_in, client_address, current_actor
from app.http.openapi import answers
from app.http.params import Cursor, Limit

UserId = Annotated[str, Parameter(max_length=40, description="a user id, usr_…")]


class LoginIn(Input):
    example: ClassVar[dict[str, Any]] = {"email": "ana@example.org", "password": "correct horse battery"}
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class MeOut(Output):
    id: str
    display_name: str
    roles: list[str]
    organisation: str | None
    organisation_kind: str | None


TokenName = text_for(ApiToken.name)


class TokenIn(Input):
    example: ClassVar[dict[str, Any]] = {"name": "nightly export", "expires_in_days": 90}
    name: TokenName
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None


class TokenCreatedOut(Output):
    token: TokenView
    secret: str
    note: str = "Store the secret now: it is shown once and cannot be recovered."


class PasswordChangeIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "current_password": "correct horse battery",
        "new_password": "staple battery horse",
    }
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    new_password: Password


class PasswordResetIn(Input):
    example: ClassVar[dict[str, Any]] = {"new_password": "staple battery horse"}
    new_password: Password


class UserCreateIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "email": "ana@example.org",
        "display_name": "Ana Moreau",
        "roles": ["caseworker"],
        "password": "correct horse battery",
    }
    email: Email
    display_name: ShortText
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=8)]
    organisation: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    password: Password | None = None


class UserUpdateIn(Input):
    example: ClassVar[dict[str, Any]] = {
        "display_name": "Ana Moreau-Lind",
        "roles": ["caseworker", "auditor"],
        "active": True,
    }
    display_name: ShortText | None = None
    roles: Annotated[list[Role], msgspec.Meta(min_length=1, max_length=8)] | None = None
    active: bool | None = None


class HealthOut(Output):
    status: str
    database: str


def _me(actor: Actor) -> MeOut:
    return MeOut(
        id=actor.public_id,
        display_name=actor.label,
        roles=sorted(r.value for r in actor.roles),
        organisation=actor.organisation_public_id,
        organisation_kind=actor.organisation_kind,
    )


def session_cookie_header(secret: str | None) -> dict[str, str]:
    """The Set-Cookie header for a new session, or one that clears it."""
    settings = get_settings()
    max_age = settings.session_max_age_s if secret else 0
    parts = [
        f"{SESSION_COOKIE}={secret or ''}",
        "Path=/",
        "HttpOnly",
        "SameSite=Lax",
        f"Max-Age={max_age}",
    ]
    if settings.secure_cookies:
        parts.append("Secure")
    return {"Set-Cookie": "; ".join(parts)}


class HealthController(Controller):
    path = "/health"
    opt = PUBLIC
    tags = ["system"]

    @get("/")
    async def health(self) -> HealthOut:
        """Liveness and readiness: answers once the database answers a query."""
        await raw("SELECT 1 AS ok")
        return HealthOut(status="ok", database="postgres" if get_settings().is_postgres else "sqlite")


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", opt={**PUBLIC, **answers(401, 429)}, status_code=200)
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> Response[MeOut]:
        """Sign in with e-mail and password; sets the session cookie used by the pages."""
        actor, secret = await credentials.login(
            data.email, data.password, get_settings().session_max_age_s, client_address(request)
        )
        return Response(_me(actor), headers=session_cookie_header(secret))

    @post("/logout", opt=allow_everyone_signed_in(), status_code=200)
    async def logout(self, request: Request) -> Response[dict]:
        """Sign out: ends the session of the session cookie sent, and clears the cookie."""
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            await credentials.logout(secret)
        return Response({"signed_out": True}, headers=session_cookie_header(None))


class MeController(Controller):
    path = "/api/v1/me"
    opt = allow_everyone_signed_in()
    tags = ["auth"]

    @get("/")
    async def me(self, request: Request) -> MeOut:
        """Who you are: your user, roles and organisation."""
        return _me(current_actor(request))

    @get("/tokens")
    async def my_tokens(self, request: Request) -> ListOf[TokenView]:
        """Your API tokens (never their secrets)."""
        tokens = await credentials.list_tokens(current_actor(request).public_id)
        return ListOf(data=tokens, has_more=False)

    @post("/tokens")
    async def create_my_token(self, request: Request, data: JSONBody[TokenIn]) -> TokenCreatedOut:
        """A new API token for yourself; its secret is in this answer only, never again."""
        actor = current_actor(request)
        token, secret = await credentials.create_token(
            actor, actor.public_id, data.name, data.expires_in_days
        )
        return TokenCreatedOut(token=token, secret=secret)

    @delete("/tokens/{token_id:str}", status_code=200)
    async def revoke_my_token(
        self, request: Request, token_id: Annotated[str, Parameter(max_length=40)]
    ) -> TokenView:
        """Revoke one of your API tokens; it stops working at once."""
        actor = current_actor(request)
        return await credentials.revoke_token(actor, actor.public_id, token_id)

    @put("/password", status_code=200)
    async def change_password(self, request: Request, data: JSONBody[PasswordChangeIn]) -> dict:
        """Change your own password. Every other session of yours ends and all your API tokens are
        revoked (the browser that asks stays signed in)."""
        keep = request.cookies.get(SESSION_COOKIE) if request.scope.get("auth") == "session" else None
        await users.change_own_password(
            current_actor(request), data.current_password, data.new_password, keep
        )
        return {"changed": True}


PENDING = {
    202: ResponseSpec(
        data_container=AdminRequestView,
        description="waits for a second admin: confirm at POST /api/v1/admin-requests/{id}/confirm",
        generate_examples=False,
    )
}


class UsersController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", opt=allow(Role.ADMIN, Role.AUDITOR))
    async def list_users(
        self,
        limit: Limit = 20,
        starting_after: Cursor = None,
        role: Annotated[Role | None, Parameter(description="only users with this role")] = None,
    ) -> ListOf[UserView]:
        """Users, newest first, a page at a time; `role` keeps only those with that role."""
        page = await users.list_users(limit, starting_after, role)
        return ListOf(data=page.rows, has_more=page.has_more)

    @post("/", opt=allow(Role.ADMIN), responses=PENDING)
    async def create_user(
        self, request: Request, data: JSONBody[UserCreateIn]
    ) -> Response[UserView | AdminRequestView]:
        """Create a user. A role that sees personal data is not given at once: the user is made without
        it and a request opened (202) that another admin confirms at /api/v1/admin-requests."""
        actor = current_actor(request)
        roles = frozenset(data.roles)
        held_back = admin_requests.personal_roles_added(frozenset(), roles)
        if not admin_requests.needs_second_admin(actor):
            held_back = frozenset()
        view = await users.create_user(
            actor,
            email=data.email,
            display_name=data.display_name,
            roles=roles - held_back,
            organisation=data.organisation,
            password=data.password,
            held_back=held_back,
        )
        if not held_back:
            return Response(view, status_code=201)
        pending = await admin_requests.open_request(
            actor, "grant_roles", view.id, {"roles": sorted(r.value for r in held_back)}
        )
        return Response(pending, status_code=202)

    @get("/{user_id:str}", opt=allow(Role.ADMIN, Role.AUDITOR))
    async def get_user(self, user_id: UserId) -> UserView:
        """One user."""
        return await users.get_user(user_id)

    @patch("/{user_id:str}", opt=allow(Role.ADMIN), responses=PENDING)
    async def update_user(
        self, request: Request, user_id: UserId, data: JSONBody[UserUpdateIn]
    ) -> Response[UserView | AdminRequestView]:
        """Change a user. Adding a role that sees personal data opens a request (202) for a second admin."""
        if data.display_name is None and data.roles is None and data.active is None:
            raise ValidationFailed("empty_update", "send at least one field to change", None)
        actor = current_actor(request)
        roles = frozenset(data.roles) if data.roles is not None else None
        held_back: frozenset[Role] = frozenset()
        if roles is not None and admin_requests.needs_second_admin(actor):
            current = frozenset(Role(r) for r in (await users.get_user(user_id)).roles)
            held_back = admin_requests.personal_roles_added(current, roles)
        view = await users.update_user(
            actor,
            user_id,
            display_name=data.display_name,
            roles=roles - held_back if roles is not None else None,
            active=data.active,
        )
        if not held_back:
            return Response(view, status_code=200)
        pending = await admin_requests.open_request(
            actor, "grant_roles", user_id, {"roles": sorted(r.value for r in held_back)}
        )
        return Response(pending, status_code=202)

    @put("/{user_id:str}/password", opt=allow(Role.ADMIN), status_code=200)
    async def reset_password(
        self, request: Request, user_id: UserId, data: JSONBody[PasswordResetIn]
    ) -> dict:
        """Set a new password for a user (for one who lost theirs)."""
        await users.set_password(current_actor(request), user_id, data.new_password)
        return {"changed": True}

    @get("/{user_id:str}/tokens", opt=allow(Role.ADMIN, Role.AUDITOR))
    async def list_tokens(self, user_id: UserId) -> ListOf[TokenView]:
        """A user's API tokens (never their secrets)."""
        await users.get_user(user_id)
        return ListOf(data=await credentials.list_tokens(user_id), has_more=False)

    @post("/{user_id:str}/tokens", opt=allow(Role.ADMIN), responses=PENDING)
    async def create_token(
        self, request: Request, user_id: UserId, data: JSONBody[TokenIn]
    ) -> Response[TokenCreatedOut | AdminRequestView]:
        """A token for another user: opens a request (202) that a second admin confirms; the confirming
        admin receives the secret. Your own tokens: POST /api/v1/me/tokens."""
        actor = current_actor(request)
        if admin_requests.needs_second_admin(actor) and user_id != actor.public_id:
            await users.get_user(user_id)
            details = {"name": data.name, "expires_in_days": data.expires_in_days}
            return Response(
                await admin_requests.open_request(actor, "create_token", user_id, details), status_code=202
            )
        token, secret = await credentials.create_token(actor, user_id, data.name, data.expires_in_days)
        return Response(TokenCreatedOut(token=token, secret=secret), status_code=201)

    @delete("/{user_id:str}/tokens/{token_id:str}", opt=allow(Role.ADMIN), status_code=200)
    async def revoke_token(
        self, request: Request, user_id: UserId, token_id: Annotated[str, Parameter(max_length=40)]
    ) -> TokenView:
        """Revoke one of a user's API tokens; it stops working at once."""
        return await credentials.revoke_token(current_actor(request), user_id, token_id)


class AdminRequestController(Controller):
    path = "/api/v1/admin-requests"
    tags = ["users"]

    @get("/", opt=allow(Role.ADMIN, Role.AUDITOR))
    async def list_requests(
        self, status: Annotated[str | None, Parameter(pattern="^(pending|confirmed)$")] = None
    ) -> ListOf[AdminRequestView]:
        """Requests for a second admin: roles that see personal data, tokens for other users."""
        return ListOf(data=await admin_requests.list_requests(status), has_more=False)

    @post("/{request_id:str}/confirm", opt=allow(Role.ADMIN), status_code=200)
    async def confirm(self, request: Request, request_id: Annotated[str, Parameter(max_length=40)]) -> dict:
        """Confirm another admin's request; it is carried out now (a token's secret is shown once here)."""
        done, result = await admin_requests.confirm(current_actor(request), request_id)
        return {"request": done, "result": result}


class AuditController(Controller):
    path = "/api/v1/audit-events"
    opt = allow(Role.AUDITOR, Role.ADMIN)
    tags = ["audit"]

    @get("/")
    async def list_events(
        self,
        limit: Limit = 20,
        starting_after: Cursor = None,
        entity_id: Annotated[str | None, Parameter(max_length=64)] = None,
        entity_type: Annotated[str | None, Parameter(max_length=50)] = None,
        actor: Annotated[str | None, Parameter(max_length=64)] = None,
        action: Annotated[str | None, Parameter(max_length=50)] = None,
        since: Annotated[dt.date | None, Parameter(description="from this day (UTC)")] = None,
        until: Annotated[dt.date | None, Parameter(description="to this day included (UTC)")] = None,
    ) -> ListOf[audit.AuditEventView]:
        """The audit log, newest first, filtered by entity, actor, action or day."""
        page = await audit.list_events(
            limit,
            starting_after,
            entity_id=entity_id,
            entity_type=entity_type,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
        return ListOf(data=page.rows, has_more=page.has_more)


CONTROLLERS = [
    HealthController,
    AuthController,
    MeController,
    UsersController,
    AdminRequestController,
    AuditController,
]

__all__ = ["CONTROLLERS", "dt"]
