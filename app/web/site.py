"""How the pages plug into the app: the template engine (gettext and the money and date filters),
the language of each request, and the CSRF settings for forms."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from jinja2 import Environment
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.actor import Actor
from app.core.crypto import SecretKeyMissing, load_master_key
from app.core.settings import get_settings
from app.web import i18n

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
    env.globals.update(current_language=i18n.current_language, LANGUAGES=i18n.LANGUAGES)
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


class LanguageMiddleware(ASGIMiddleware):
    """Sets the language of the request: the user's setting, else the browser's, else English."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        actor: Actor | None = scope.get("user")
        chosen = i18n.choose_language(
            actor.language if actor else None, Headers.from_scope(scope).get("accept-language")
        )
        with i18n.language(chosen):
            await next_app(scope, receive, send)
