"""The OpenAPI document describes the API as it answers: every operation's error answers with the one
error envelope, the roles it admits, a description, and an example of its request body.

Litestar documents only the success answer and its own validation error; this adds, to each operation of
/api, the refusals it can really give, each with `ErrorEnvelope` as its schema, the roles to the
description, and to each JSON request body the `example` of its type (a class attribute of every request
struct, tests/http/test_openapi.py).

Which refusals an operation gives is worked out here, in one place, from facts about its route
(`error_statuses`): the shared layers' refusals follow from its guard, path, method, body and query; what
its handler raises beyond them (a 404 for a record named in the body, a 429, a 502) the handler declares
with `opt={**allow(...), **answers(404)}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema

from app.core.schemas import ErrorEnvelope
from app.http.guards import declared_roles
from app.http.idempotency import MUTATING
from app.http.input_guard import known_query

ERRORS = {
    400: "bad input: the field is named in `param`",
    401: "not signed in, or the credentials are wrong",
    403: "your role does not allow this",
    404: "no such record (or not yours to see)",
    409: "conflicts with the current state (a reused idempotency key, a duplicate)",
    413: "the request body is too large",
    415: "send the body as application/json",
    422: "refused by a rule (e.g. not enough budget); `code` says which",
    429: "too many requests; retry after the seconds in Retry-After",
    502: "the payment provider did not answer; retry later",
}
FILE_BODY = "file_body"
ANSWERS = "answers"
EXAMPLE = {
    "error": {"type": "invalid_request_error", "code": "invalid_value", "message": "…", "param": "amount"}
}


def file_body(media_type: str, example: Any = None) -> dict[str, Any]:
    """Handler opt of a route that reads its body itself, as a file (CSV, XML, a workbook): the document
    shows that body, with an example when the file is text. Merge it with the roles: `{**FINANCE, **…}`."""
    return {FILE_BODY: (media_type, example)}


def answers(*statuses: int) -> dict[str, Any]:
    """Handler opt of a route whose handler refuses with statuses its route's facts do not imply (see
    `error_statuses`). Merge it with the roles: `{**allow(Role.X), **answers(404)}`."""
    return {ANSWERS: frozenset(statuses)}


def error_statuses(route: Any, handler: Any) -> set[int]:
    """The refusals an /api operation can give, from what its route is:
    - 400 always: the input guard refuses an unknown query parameter or a bad query string on every one;
    - 401 and 403 when a role guard stands before it (every route but the public ones);
    - 404 when its path names a record;
    - 409 when a signed-in caller changes something (a reused idempotency key, a state that moved on;
      the public sign-in and webhook keep no keys);
    - 413 and 415 when it takes a body (415 only for JSON: a file body is read as it comes);
    - 422 (refused by a rule) when it takes a body or query parameters;
    - and whatever its handler declares with `answers(...)`."""
    statuses = {400} | set(handler.opt.get(ANSWERS, ()))
    json_body = "data" in handler.parsed_fn_signature.parameters
    body = json_body or FILE_BODY in handler.opt
    guarded = declared_roles(handler) is not None
    if guarded:
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    if guarded and handler.http_methods & MUTATING:
        statuses.add(409)
    if body:
        statuses.add(413)
    if json_body:
        statuses.add(415)
    if body or known_query(handler):
        statuses.add(422)
    return statuses


def _error_responses(statuses: set[int]) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(ErrorEnvelope, description=ERRORS[status], generate_examples=False)
        for status in sorted(statuses)
    }


def _roles_text(handler: Any) -> str:
    roles = declared_roles(handler)
    if roles is None:
        return "Open to everyone, signed in or not."
    if not roles:
        return "Closed to every role."
    return "Roles allowed: " + ", ".join(sorted(r.value for r in roles)) + "."


def _handlers(app: Litestar) -> Iterator[tuple[Any, Any]]:
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            yield route, handler


def _api_handlers(app: Litestar) -> Iterator[tuple[Any, Any]]:
    return ((route, handler) for route, handler in _handlers(app) if route.path.startswith("/api/"))


def _file_body(media_type: str, example: Any) -> RequestBody:
    if media_type == "application/json":  # a JSON document the handler verifies before decoding it
        schema = Schema(type=OpenAPIType.OBJECT)
    else:
        schema = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    return RequestBody(content={media_type: OpenAPIMediaType(schema=schema, example=example)}, required=True)


def _add_request_bodies(app: Litestar) -> None:
    """Litestar takes a body's examples only from each handler's `Body(...)`, and knows nothing of a body
    a handler reads itself: set both on the built document, the examples from the body type, so that each
    type has its example once, beside its fields."""
    paths = app.openapi_schema.paths or {}
    for route, handler in _api_handlers(app):
        data = handler.parsed_fn_signature.parameters.get("data")
        example = getattr(data.annotation, "example", None) if data is not None else None
        file = handler.opt.get(FILE_BODY)
        for method in handler.http_methods:
            operation = getattr(paths[route.path_format], method.lower())
            if file is not None:
                operation.request_body = _file_body(*file)
            elif example is not None:
                for media in (operation.request_body.content or {}).values():
                    media.example = example


def document(app: Litestar) -> None:
    """Add the error answers and the request examples to every /api operation, and the docstring and the
    roles to every operation's description (call once, before the schema is first served: it builds the
    document)."""
    for route, handler in _handlers(app):
        if route.path.startswith("/api/"):
            errors = _error_responses(error_statuses(route, handler))
            handler.responses = {**errors, **(handler.responses or {})}
        summary = (handler.description or (handler.fn.__doc__ or "").strip() or handler.name or "").strip()
        handler.description = f"{summary}\n\n{_roles_text(handler)}".strip()
    _add_request_bodies(app)
