"""Identifies the caller from a bearer token or a session cookie and puts the Actor in scope["user"].

It never refuses anyone: anonymous callers get `None`, and the role guard decides what they may reach.
"""

from __future__ import annotations

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.actor import Actor
from app.core.credentials import actor_for_session, actor_for_token

SESSION_COOKIE = "grants_session"


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        actor, method = await _identify(Headers.from_scope(scope))
        scope["user"] = actor
        scope["auth"] = method
        await next_app(scope, receive, send)


async def _identify(headers: Headers) -> tuple[Actor | None, str | None]:
    authorization = headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer" and credential:
        return await actor_for_token(credential.strip()), "token"
    cookie = _cookie(headers.get("cookie", ""), SESSION_COOKIE)
    if cookie:
        actor = await actor_for_session(cookie)
        return actor, "session" if actor else None
    return None, None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None
