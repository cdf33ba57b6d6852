"""Piccolo configuration: the database engine comes from GRANTS_DATABASE_URL.

`sqlite:///path` (the default, `grants.sqlite` in the working directory) or `postgres://user@host/db`.
The root `piccolo_conf.py` re-exports this module so the `piccolo` tool finds it too.
"""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.core.settings import get_settings

APPS = [
    "app.core.piccolo_app",
    "app.registry.piccolo_app",
    "app.ledger.piccolo_app",
    "app.eligibility.piccolo_app",
    "app.vouchers.piccolo_app",
    "app.wage_subsidies.piccolo_app",
    "app.disbursements.piccolo_app",
    "app.reconciliation.piccolo_app",
]


def engine_for(url: str) -> PostgresEngine | SQLiteEngine:
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": url})
    if url.startswith("sqlite:///"):
        # A long busy timeout: writers queue behind each other instead of failing at once.
        return SQLiteEngine(path=url.removeprefix("sqlite:///"), timeout=30)
    raise ValueError(
        f"GRANTS_DATABASE_URL must start with sqlite:/// or postgres://, got {url.split(':')[0]!r}"
    )


DB = engine_for(get_settings().database_url)
APP_REGISTRY = AppRegistry(apps=APPS)
