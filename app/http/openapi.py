"""The OpenAPI document describes the API as it answers: every operation's error answers with the one
error envelope, the roles it admits, and a description.

Litestar documents only the success answer and its own validation error; this adds, to each operation of
/api, the refusals the shared layers give (400 bad input, 401 not signed in, 403 wrong role, 404 no such
record, 409 conflict, 413 too large, 415 not JSON, 422 refused by a rule, 429 rate-limited), each with
`ErrorEnvelope` as its schema, and the roles to the description.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec

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
EXAMPLE = {
    "error": {"type": "invalid_request_error", "code": "invalid_value", "message": "…", "param": "amount"}
}


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


def document(app: Litestar, extra: dict[str, dict[int, ResponseSpec]] | None = None) -> None:
    """Add the error answers and the roles to every /api operation (call once, before the schema is
    first served)."""
    for route in app.routes:
        if not route.path.startswith("/api/"):
            continue
        for handler in getattr(route, "route_handlers", ()):
            responses = {**_error_responses(), **(handler.responses or {})}
            handler.responses = responses
            summary = (
                handler.description or (handler.fn.__doc__ or "").strip() or handler.name or ""
            ).strip()
            handler.description = f"{summary}\n\n{_roles_text(handler)}".strip()
