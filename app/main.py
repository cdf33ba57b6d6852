"""create_app(): the Litestar application with every domain's API, the pages and the docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, Router
from litestar.config.response_cache import ResponseCacheConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from app.core.db import close_pool, is_postgres, start_pool
from app.core.settings import get_settings
from app.disbursements import api as disbursements_api
from app.eligibility import api as eligibility_api
from app.http import api as core_api
from app.http import openapi
from app.http.auth_middleware import AuthenticationMiddleware
from app.http.error_handlers import EXCEPTION_HANDLERS
from app.http.guards import PUBLIC, role_guard
from app.http.idempotency import IdempotencyMiddleware
from app.http.input_guard import InputGuardMiddleware
from app.http.security_headers import add_security_headers
from app.integrity import api as integrity_api
from app.ledger import api as ledger_api
from app.reconciliation import api as reconciliation_api
from app.registry import api as registry_api
from app.reports import api as reports_api
from app.vouchers import api as vouchers_api
from app.wage_subsidies import api as wage_subsidies_api
from app.web import pages, site

WEB_DIR = Path(__file__).parent / "web"
VENDOR = "/static/vendor/swagger-ui"


@asynccontextmanager
async def _database_pool(app: Litestar) -> AsyncIterator[None]:
    """A connection pool on PostgreSQL for the served app. Tests run without one: Litestar's test
    client runs the app in another event loop, and a pool belongs to the loop that made it."""
    pooled = is_postgres() and get_settings().db_pool
    if pooled:
        await start_pool()
    try:
        yield
    finally:
        if pooled:
            await close_pool()


@asynccontextmanager
async def _keys_match(app: Litestar) -> AsyncIterator[None]:
    """Refuse to start with keys other than the database's (app/core/key_check.py)."""
    from app.core.key_check import ensure_keys_match

    await ensure_keys_match(record=False)
    yield


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Grants API",
        version="1",
        description=(
            "Grant, voucher and subsidy administration. Authenticate with `Authorization: Bearer <token>`"
            " (create one with `grants tokens create` or POST /api/v1/me/tokens) or a session cookie."
        ),
        openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{VENDOR}/swagger-ui-bundle.js",
                css_url=f"{VENDOR}/swagger-ui.css",
                standalone_preset_js_url=f"{VENDOR}/swagger-ui-standalone-preset.js",
                path="/",
                favicon="<link rel='icon' type='image/png' href='/static/favicon.png'>",
            )
        ],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        security=[{"bearer": []}],
    )


def create_app() -> Litestar:
    static = create_static_files_router(path="/static", directories=[WEB_DIR / "static"], opt=PUBLIC)
    app = Litestar(
        route_handlers=[
            *core_api.CONTROLLERS,
            *registry_api.CONTROLLERS,
            *ledger_api.CONTROLLERS,
            *eligibility_api.CONTROLLERS,
            *vouchers_api.CONTROLLERS,
            *wage_subsidies_api.CONTROLLERS,
            *disbursements_api.CONTROLLERS,
            *reconciliation_api.CONTROLLERS,
            *reports_api.CONTROLLERS,
            *integrity_api.CONTROLLERS,
            *pages.controllers(),
            static,
        ],
        guards=[role_guard],
        middleware=[  # outermost first
            InputGuardMiddleware(),
            AuthenticationMiddleware(),
            IdempotencyMiddleware(),
            site.LanguageMiddleware(),
            site.form_token_middleware(),
        ],
        before_send=[add_security_headers],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=site.template_config(),
        plugins=[HTMXPlugin()],
        openapi_config=_openapi(),
        lifespan=[_database_pool, _keys_match],
        response_cache_config=ResponseCacheConfig(),
        request_max_body_size=20 * 1024 * 1024,
    )
    openapi.document(app)
    return app
