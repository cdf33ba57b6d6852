"""The `Idempotency-Key` header on every mutating API route, as one middleware (rules in
app/core/idempotency.py; docs/api.md#idempotency).

It applies to every POST, PUT, PATCH and DELETE handler by default, so a new route has it without doing
anything. A route that must not keep its response declares why with `opt=exempt("…")`; the test
tests/core/test_idempotency.py walks the route table and fails on any exemption not listed in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency
from app.core.idempotency import HEADER, StoredResponse

EXEMPT = "idempotency_exempt"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT_HEADERS = frozenset({"content-type", "content-disposition", "location"})
MAX_BODY = 20 * 1024 * 1024  # the app's request limit: larger bodies pass on to be refused with 413


def exempt(reason: str) -> dict[str, Any]:
    """Handler opt for a route that keeps no idempotent response (say why; list it in docs/api.md)."""
    return {EXEMPT: reason}


def applies(handler: Any, method: str) -> bool:
    """Keys apply to every mutating handler but public ones (no caller to scope a key to: sign-in and
    webhooks have their own idempotency) and those declared exempt."""
    return method in MUTATING and not handler.opt.get("public") and not handler.opt.get(EXEMPT)


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        key = Headers.from_scope(scope).get(HEADER.lower())
        actor = scope.get("user")
        handler = scope.get("route_handler")
        if key is None or actor is None or handler is None or not applies(handler, scope["method"]):
            await next_app(scope, receive, send)
            return
        key = idempotency.check_key(key)
        messages, size = await _read_body(receive)
        if size > MAX_BODY:
            await next_app(scope, _replaying(messages, receive), send)
            return
        body = b"".join(m.get("body", b"") for m in messages)
        print_ = idempotency.fingerprint(scope["method"], scope["path"], scope.get("query_string", b""), body)
        caller = actor.public_id
        stored = await idempotency.begin(caller, key, print_)
        if stored is not None:
            await _replay(stored, send)
            return
        captured = _Captured(send)
        try:
            await next_app(scope, _replaying(messages, receive), captured.send)
        except BaseException:
            await idempotency.abandon(caller, key)
            raise
        await idempotency.finish(caller, key, captured.response())


async def _read_body(receive: Receive) -> tuple[list[Message], int]:
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body") or size > MAX_BODY:
            return messages, size


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class _Captured:
    """Passes the response on while keeping its status, the headers worth keeping and its body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
                if name.decode("latin-1").lower() in KEPT_HEADERS
            ]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
        await self._send(message)

    def response(self) -> StoredResponse:
        return StoredResponse(self.status, self.headers, b"".join(self.chunks))


async def _replay(stored: StoredResponse, send: Send) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored.headers]
    headers += [(b"content-length", str(len(stored.body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})
