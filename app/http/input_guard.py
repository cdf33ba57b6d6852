"""Refuses, before any handler runs, input that the layers below would turn into a server error.

- a NUL character (`\\0`, `%00`, `\\u0000`) in a query parameter or a JSON body: PostgreSQL text cannot
  hold one (asyncpg raises, the request became a 500); refused with 400 `nul_character` naming the field;
- invalid UTF-8 in a query string or a JSON body: 400 `invalid_utf8`;
- on /api, a JSON body sent with another content type: 415 `unsupported_media_type`;
- on /api, a query parameter the operation does not take: 400 `unknown_parameter`, as unknown body fields
  are refused (a misspelt filter must not silently return everything).

JSON nested too deeply for the decoder (RecursionError) is answered 400 by app/http/error_handlers.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any, get_args
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import RequestEncodingType, ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core.dates import out_of_range

MAX_BODY = 20 * 1024 * 1024  # as the app's request_max_body_size: larger bodies go on to be refused 413
_RESERVED = {"data", "request", "state", "scope", "headers", "cookies", "socket", "body"}
_JSON_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PATH_PARAM = re.compile(r"\{(\w+)")

Refusal = tuple[int, str, str, str | None]  # status, code, message, param


class InputGuardMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        refusal = _query_refusal(scope)
        api = scope["path"].startswith("/api/")
        if refusal is None and api:
            refusal = _unknown_parameter(scope) or _media_type_refusal(scope)
        if refusal is None and _is_json(scope):
            body, receive = await _buffered(receive)
            if body is not None:
                refusal = body_refusal(body)
        if refusal is not None:
            await _refuse(send, refusal)
            return
        await next_app(scope, receive, send)


# --- query strings ----------------------------------------------------------------------------


def _query_refusal(scope: Scope) -> Refusal | None:
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return 400, "invalid_utf8", "the query string is not valid UTF-8", None
    for name, value in pairs:
        if "\0" in name or "\0" in value:
            param = name.replace("\0", "")
            return 400, "nul_character", f"text may not contain NUL characters (at {param})", param
    return None


def _query_names(scope: Scope) -> list[str]:
    raw = scope.get("query_string", b"")
    return [name for name, _ in parse_qsl(raw.decode("latin-1"), keep_blank_values=True)] if raw else []


def _unknown_parameter(scope: Scope) -> Refusal | None:
    handler = scope.get("route_handler")
    names = _query_names(scope)
    if handler is None or not names:
        return None
    known = known_query(handler)
    dates = handler.opt["_date_query"]
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name in dates:
            refusal = _date_refusal(name, value)
            if refusal:
                return refusal
    for name in names:
        if name not in known:
            accepted = ", ".join(sorted(known)) or "none"
            return (
                400,
                "unknown_parameter",
                f"unknown query parameter {name!r} (this operation takes: {accepted})",
                name,
            )
    return None


def known_query(handler: Any) -> set[str]:
    """The query parameters a handler takes: its signature minus path parameters, headers, cookies,
    dependencies and the framework's own names. Worked out once per handler."""
    known = handler.opt.get("_known_query")
    if known is None:
        skip = _RESERVED | set(handler.resolve_dependencies())
        skip |= {name for path in handler.paths for name in _PATH_PARAM.findall(path)}
        known, dates = set(), set()
        for name, parameter in handler.parsed_fn_signature.parameters.items():
            kwarg = parameter.kwarg_definition
            if name in skip or getattr(kwarg, "header", None) or getattr(kwarg, "cookie", None):
                continue
            # Parameter(query="from") or QueryParameter(name="from") rename it
            query = getattr(kwarg, "query", None) or getattr(kwarg, "name", None) or name
            known.add(query)
            if dt.date in (parameter.annotation, *get_args(parameter.annotation)):
                dates.add(query)
        handler.opt["_known_query"], handler.opt["_date_query"] = known, dates
    return known


def _date_refusal(name: str, value: str) -> Refusal | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None  # not a date at all: the handler's parser names it
    why = out_of_range(day)
    if why:
        return 400, "date_out_of_range", f"{value} is not a plausible date: it {why} (at {name})", name
    return None


# --- bodies -----------------------------------------------------------------------------------


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _is_json(scope: Scope) -> bool:
    kind = _content_type(scope)
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def _has_body(scope: Scope) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            return value.strip() not in (b"0", b"")
        if key == b"transfer-encoding":
            return True
    return False


def _takes_json(handler: Any) -> bool:
    parameter = handler.parsed_fn_signature.parameters.get("data")
    if parameter is None:
        return False
    media = getattr(parameter.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return media == RequestEncodingType.JSON and parameter.annotation not in (bytes, str)


def _media_type_refusal(scope: Scope) -> Refusal | None:
    handler = scope.get("route_handler")
    if handler is None or scope["method"] not in _JSON_BODY_METHODS or not _has_body(scope):
        return None
    if _takes_json(handler) and not _is_json(scope):
        got = _content_type(scope) or "no content type"
        return 415, "unsupported_media_type", f"send the body as application/json (got {got})", None
    return None


async def _buffered(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body, and a receive that replays it. None (and the stream as it is) beyond MAX_BODY."""
    messages: list[Message] = []
    size, more = 0, True
    while more:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
        if size > MAX_BODY:
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return (None if more or size > MAX_BODY else body), replay


def body_refusal(body: bytes) -> Refusal | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return 400, "invalid_utf8", f"the body is not valid UTF-8 (byte {exc.start})", None
    if b"\\u0000" not in body:
        return None
    try:
        document = msgspec.json.decode(body)
    except RecursionError:
        return 400, "too_deeply_nested", "the JSON body is nested too deeply", None
    except msgspec.DecodeError:
        return None  # not JSON: the handler's decoder says so
    for path in _nul_paths(document, ()):
        param = ".".join(str(p) for p in path) or None
        where = f" (at {param})" if param else ""
        return 400, "nul_character", f"text may not contain NUL characters{where}", param
    return None


def _nul_paths(value: Any, path: tuple) -> Iterator[tuple]:
    if isinstance(value, str):
        if "\0" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\0" in key:
                yield (*path, key.replace("\0", ""))
            yield from _nul_paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_paths(item, (*path, i))


async def _refuse(send: Send, refusal: Refusal) -> None:
    status, code, message, param = refusal
    envelope = {"error": {"type": "invalid_request_error", "code": code, "message": message, "param": param}}
    body = json.dumps(envelope).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
