"""One error shape for every refusal, Stripe-style:

    {"error": {"type": "invalid_request_error", "code": "...", "message": "...", "param": "...",
               "details": [{"code": ..., "message": ..., "param": ...}]}}

Pages (anything outside /api) get an HTML page instead, and a sign-in redirect for 401.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.core.errors import ErrorDetail, GrantsError
from app.core.rate_limits import RateLimited
from app.http.wording import in_words

log = logging.getLogger("grants.errors")

_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_PATH_IN_MESSAGE = re.compile(r" - at `\$\.?([^`]*)`")
_MISSING_PARAMETER = re.compile(r"Missing required \w+ parameter '([^']+)'")

_CSRF_FAILED = "CSRF token verification failed"  # Litestar's CSRF middleware says this
_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error"}
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _envelope(
    status: int,
    code: str,
    message: str,
    param: str | None,
    details: list[ErrorDetail] | None = None,
    error_type: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": error_type or _TYPES.get(status, "invalid_request_error"),
        "code": code,
        "message": message,
        "param": param,
    }
    if details:
        body["details"] = [{"code": d.code, "message": d.message, "param": d.param} for d in details]
    if extra:
        body.update(extra)
    return {"error": body}


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/health", "/schema")))


def _respond(request: Request, status: int, envelope: dict[str, Any]) -> Response:
    if _is_page(request):
        if status == 401:
            return Redirect(path=f"/login?next={request.url.path}")
        return Template(
            template_name="error.html",
            context={"status": status, "error": envelope["error"]},
            status_code=status,
        )
    return Response(envelope, status_code=status)


def _param_from_validation(item: dict[str, Any]) -> str | None:
    message = item.get("message", "")
    key = item.get("key")
    nested = _PATH_IN_MESSAGE.search(message)
    named = _FIELD_IN_MESSAGE.search(message)
    path = nested.group(1) if nested else (key if key not in (None, "data") else "")
    if named:
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return path or None


def on_validation(request: Request, exc: ValidationException) -> Response:
    items = exc.extra if isinstance(exc.extra, list) else []
    details = [
        ErrorDetail(
            "invalid_value" if "missing" not in i.get("message", "") else "missing_field",
            in_words(i.get("message", "invalid value")),
            _param_from_validation(i),
        )
        for i in items
        if isinstance(i, dict)
    ]
    if not details:
        missing = _MISSING_PARAMETER.search(exc.detail or "")
        code = "missing_parameter" if missing else "invalid_request"
        details = [ErrorDetail(code, in_words(exc.detail or ""), missing.group(1) if missing else None)]
    first = details[0]
    message = f"{first.message} (at {first.param})" if first.param else first.message
    return _respond(request, 400, _envelope(400, first.code, message, first.param, details))


def on_grants_error(request: Request, exc: GrantsError) -> Response:
    envelope = _envelope(
        exc.status_code, exc.code, exc.message, exc.param, exc.details, exc.error_type, exc.extra
    )
    response = _respond(request, exc.status_code, envelope)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def on_http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = exc.detail or "request refused"
    code = _CODES.get(status, "bad_request")
    if isinstance(exc, NotAuthorizedException):
        message = exc.detail or "sign in first"
    elif isinstance(exc, PermissionDeniedException) and exc.detail == _CSRF_FAILED:
        message = "the form has expired or was not sent from this site: reload the page and send it again"
        code = "form_expired"
    elif isinstance(exc, PermissionDeniedException):
        message = exc.detail or "your role does not allow this"
    if status >= 500:
        return on_unexpected(request, exc)
    return _respond(request, status, _envelope(status, code, message, None))


def on_integrity_error(request: Request, exc: Exception) -> Response:
    """A uniqueness or reference constraint caught a race the service checks did not see."""
    log.info("integrity error on %s: %s", request.url.path, exc)
    return _respond(
        request,
        409,
        _envelope(409, "conflict", "the request conflicts with existing data; reload and retry", None),
    )


def on_too_deep(request: Request, exc: RecursionError) -> Response:
    """JSON nested deeper than the decoder goes (msgspec raises RecursionError, not a decode error)."""
    log.info("request too deeply nested on %s", request.url.path)
    envelope = _envelope(400, "too_deeply_nested", "the JSON body is nested too deeply", None)
    return _respond(request, 400, envelope)


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    envelope = _envelope(
        500,
        "internal_error",
        "something went wrong on our side; it has been logged",
        None,
        error_type="api_error",
    )
    return _respond(request, HTTP_500_INTERNAL_SERVER_ERROR, envelope)


EXCEPTION_HANDLERS = {
    ValidationException: on_validation,
    GrantsError: on_grants_error,
    HTTPException: on_http_error,
    asyncpg.IntegrityConstraintViolationError: on_integrity_error,
    sqlite3.IntegrityError: on_integrity_error,
    RecursionError: on_too_deep,
    Exception: on_unexpected,
}
