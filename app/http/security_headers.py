"""Security headers on every response, pages and API alike.

The pages load scripts and styles only from our own /static (no inline script or style), so the
Content-Security-Policy can forbid inline code. The OpenAPI browser (/schema) is the exception: its
HTML, made by Litestar, starts Swagger UI with an inline script, so that one path allows inline scripts.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import Message, Scope

from app.core.settings import get_settings

_BASE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SCHEMA_POLICY = _BASE_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
HSTS = "max-age=31536000; includeSubDomains"


def headers_for(path: str, secure_cookies: bool) -> dict[str, str]:
    headers = {
        "content-security-policy": _SCHEMA_POLICY if path.startswith("/schema") else _BASE_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
    }
    if secure_cookies:  # served over HTTPS: tell browsers never to use plain HTTP for this site
        headers["strict-transport-security"] = HSTS
    return headers


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook, so it also reaches answers made before any route matched (404, 405)."""
    if message["type"] != "http.response.start" or scope.get("type") != ScopeType.HTTP:
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in headers_for(scope.get("path", ""), get_settings().secure_cookies).items():
        if name not in headers:
            headers[name] = value
