"""How the pages plug into the app: the template engine (gettext and the money and date filters),
the language of each request, and the CSRF settings for forms."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from jinja2 import Environment
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.actor import Actor
from app.core.crypto import SecretKeyMissing, load_master_key
from app.core.settings import get_settings
from app.http.auth_middleware import SESSION_COOKIE
from app.http.guards import SAFE_METHODS
from app.web import i18n, outcomes

WEB_DIR = Path(__file__).parent
CSRF_COOKIE = "grants_csrf"
CSRF_HEADER = "x-csrf-token"
# Bearer-token API calls carry no ambient credential, so they need no form token; the API's
# cookie-authenticated writes are checked by Origin in the role guard.
CSRF_EXEMPT = ["^/api/", "^/schema", "^/health", "^/static/"]


def _configure(engine: JinjaTemplateEngine) -> None:
    env: Environment = engine.engine
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        money=i18n.money, day=i18n.day, month=i18n.month, moment=i18n.moment, number=i18n.number
    )
    env.globals.update(
        current_language=i18n.current_language,
        LANGUAGES=i18n.LANGUAGES,
        claim_status=outcomes.status_in_words,
        line_outcome=outcomes.outcome_in_words,
        line_reason=outcomes.reason_in_words,
        overpayment_reason=outcomes.overpayment_reason_in_words,
        role_word=outcomes.role_in_words,
        end_reason=outcomes.end_reason_in_words,
        error_detail=outcomes.error_in_words,
        status_reason=outcomes.status_reason_in_words,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True


def template_config() -> TemplateConfig:
    return TemplateConfig(
        directory=WEB_DIR / "templates", engine=JinjaTemplateEngine, engine_callback=_configure
    )


def csrf_config() -> CSRFConfig:
    """A signed token in a cookie and in every form (`{{ csrf_input }}`), compared on every write.
    The signing secret is derived from the data key, so every worker and server agrees on it."""
    settings = get_settings()
    try:
        master = load_master_key(settings)
    except SecretKeyMissing:  # no key yet (the app refuses personal data then): this process only
        master = secrets.token_bytes(32)
    secret = hashlib.sha256(b"grants csrf v1:" + master).hexdigest()
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )


_SESSION_IN_COOKIES = re.compile(rf"(?:^|;)\s*{SESSION_COOKIE}=")


def _needs_no_form_token(scope: Scope) -> bool:
    """A write that carries no ambient credential cannot be forged across sites, so it needs no token:
    a bearer-token call, or a browser without a session posting to a guarded page (the guard then
    sends it to sign in). Sign-in itself (a public form) always needs one."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return False
    headers = Headers.from_scope(scope)
    if headers.get("authorization", "").lower().startswith("bearer "):
        return True
    handler = scope.get("route_handler")
    public = handler is not None and handler.opt.get("public", False)
    return not public and not _SESSION_IN_COOKIES.search(headers.get("cookie", ""))


class FormTokenMiddleware(CSRFMiddleware):
    """Litestar's CSRF check (signed double-submit token), skipped where no ambient credential is used."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _needs_no_form_token(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def form_token_middleware() -> DefineMiddleware:
    return DefineMiddleware(FormTokenMiddleware, config=csrf_config())


class LanguageMiddleware(ASGIMiddleware):
    """Sets the language of the request: the user's setting, else the browser's, else English."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        actor: Actor | None = scope.get("user")
        chosen = i18n.choose_language(
            actor.language if actor else None, Headers.from_scope(scope).get("accept-language")
        )
        # Not reset when the request fails: an error raised in a middleware (the form token check) is
        # rendered by the app's handler outside this call, and its page must be in the same language.
        # Each request runs in its own task, so the setting does not outlive it.
        token = i18n.set_language(chosen)
        await next_app(scope, receive, send)
        i18n.reset_language(token)
