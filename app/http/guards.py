"""Route authorisation. Every handler declares who may call it: `opt=allow(Role.X, ...)` or `opt=PUBLIC`.

One guard, installed on the whole app, enforces it and refuses by default: a handler that declares
nothing is refused to everyone, so forgetting a guard closes a route rather than opening it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.core.actor import Actor
from app.core.roles import ALL_ROLES, STAFF_ROLES, Role
from app.core.settings import get_settings

PUBLIC: dict[str, Any] = {"public": True}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def allow(*roles: Role) -> dict[str, Any]:
    return {"roles": frozenset(roles)}


def allow_staff() -> dict[str, Any]:
    return {"roles": STAFF_ROLES}


def allow_everyone_signed_in() -> dict[str, Any]:
    return {"roles": ALL_ROLES}


def declared_roles(handler: BaseRouteHandler) -> frozenset[Role] | None:
    """The roles a handler admits; None when it is public or is Litestar's automatic OPTIONS reply."""
    if handler.opt.get("public") or _is_automatic_options(handler):
        return None
    return handler.opt.get("roles", frozenset())


def _is_automatic_options(handler: BaseRouteHandler) -> bool:
    methods = getattr(handler, "http_methods", set())
    return methods == {"OPTIONS"} and "roles" not in handler.opt


def role_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    roles = declared_roles(handler)
    if roles is None:
        return
    actor: Actor | None = connection.scope.get("user")
    if actor is None:
        raise NotAuthorizedException("sign in, or send an API token as `Authorization: Bearer …`")
    if not actor.roles & roles:
        raise PermissionDeniedException("your role does not allow this")
    if connection.scope.get("auth") == "session":
        _check_same_origin(connection)


def _check_same_origin(connection: ASGIConnection) -> None:
    """Cross-site request forgery defence for cookie-authenticated writes: the browser must say the
    request came from our own pages (Origin, or Referer when Origin is absent)."""
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    source = connection.headers.get("origin") or connection.headers.get("referer")
    if not source:
        raise PermissionDeniedException("cross-site request refused: no Origin or Referer header")
    parts = urlsplit(source)
    origin = f"{parts.scheme}://{parts.netloc}"
    host = connection.headers.get("host", "")
    allowed = {f"http://{host}", f"https://{host}", *get_settings().allowed_origins}
    if origin not in allowed:
        raise PermissionDeniedException("cross-site request refused: Origin does not match this site")


def current_actor(connection: ASGIConnection) -> Actor:
    """The signed-in actor, for handlers (the guard has already made sure there is one)."""
    actor = connection.scope.get("user")
    if actor is None:
        raise NotAuthorizedException("sign in first")
    return actor


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, uvicorn's --proxy-headers and
    FORWARDED_ALLOW_IPS make it the client's: docs/operations.md)."""
    return request.client.host if request.client else ""
