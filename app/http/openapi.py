"""The OpenAPI document describes the API as it answers: every operation's error answers with the one
error envelope, the roles it admits, a description, and an example of its request body.

Litestar documents only the success answer and its own validation error; this adds, to each operation of
/api, the refusals the shared layers give (400 bad input, 401 not signed in, 403 wrong role, 404 no such
record, 409 conflict, 413 too large, 415 not JSON, 422 refused by a rule, 429 rate-limited), each with
`ErrorEnvelope` as its schema, the roles to the description, and to each JSON request body the
`example` of its type (a class attribute of every request struct, tests/http/test_openapi.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, RequestBody, Schema

from app.core.schemas import ErrorEnvelope
from app.http.guards import declared_roles

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
}
FILE_BODY = "file_body"
EXAMPLE = {
    "error": {"type": "invalid_request_error", "code": "invalid_value", "message": "…", "param": "amount"}
}


def file_body(media_type: str, example: Any = None) -> dict[str, Any]:
    """Handler opt of a route that reads its body itself, as a file (CSV, XML, a workbook): the document
    shows that body, with an example when the file is text. Merge it with the roles: `{**FINANCE, **…}`."""
    return {FILE_BODY: (media_type, example)}


def _error_responses() -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(data_container=ErrorEnvelope, description=text, generate_examples=False)
        for status, text in ERRORS.items()
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
            handler.responses = {**_error_responses(), **(handler.responses or {})}
        summary = (handler.description or (handler.fn.__doc__ or "").strip() or handler.name or "").strip()
        handler.description = f"{summary}\n\n{_roles_text(handler)}".strip()
    _add_request_bodies(app)
