"""Errors the system raises on purpose. Each carries a stable code, a message and the parameter at fault.

HTTP handlers turn them into one JSON envelope; the CLI prints them. Domain code raises these and never
an HTTP exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One problem at one place: a field, a CSV row and column, a line of a rule file."""

    code: str
    message: str
    param: str | None = None


class GrantsError(Exception):
    status_code = 400
    error_type = "invalid_request_error"

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        details: list[ErrorDetail] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.details = details or []
        self.extra = extra or {}


class ValidationFailed(GrantsError):
    status_code = 400


class NotFound(GrantsError):
    status_code = 404

    def __init__(self, what: str, param: str | None = "id") -> None:
        super().__init__("resource_missing", f"No such {what}.", param)


class Conflict(GrantsError):
    status_code = 409


class Forbidden(GrantsError):
    status_code = 403
    error_type = "permission_error"


class Unauthenticated(GrantsError):
    status_code = 401
    error_type = "authentication_error"
