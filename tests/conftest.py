"""Test set-up: a fresh database per run (SQLite file or PostgreSQL database), emptied before each test.

Choose the engine with GRANTS_TEST_DB=sqlite (default) or GRANTS_TEST_DB=postgres; PostgreSQL is reached
through GRANTS_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres). The environment is
set in pytest_configure, before any app module (and so Piccolo's engine) is imported.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

DB_KIND = os.environ.get("GRANTS_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("GRANTS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TEST_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_LEDGER_KEY = base64.urlsafe_b64encode(b"L" * 32).decode()
_state: dict[str, str] = {}


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def pytest_configure(config: pytest.Config) -> None:
    if DB_KIND == "postgres":
        name = f"grants_test_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        _state["pg_database"] = name
        os.environ["GRANTS_DATABASE_URL"] = _pg_url(name)
    elif DB_KIND == "sqlite":
        directory = tempfile.mkdtemp(prefix="grants-test-")
        _state["sqlite_path"] = str(Path(directory) / "test.sqlite")
        os.environ["GRANTS_DATABASE_URL"] = f"sqlite:///{_state['sqlite_path']}"
    else:
        raise pytest.UsageError("GRANTS_TEST_DB must be sqlite or postgres")
    os.environ["GRANTS_SECRET_KEY"] = TEST_KEY
    os.environ["GRANTS_LEDGER_KEY"] = TEST_LEDGER_KEY
    os.environ["GRANTS_DB_POOL"] = "0"
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from app.bootstrap import init_database

    asyncio.run(init_database())


def pytest_unconfigure(config: pytest.Config) -> None:
    if "pg_database" in _state:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_state.pop("pg_database")}" WITH (FORCE)'))


def pytest_report_header(config: pytest.Config) -> str:
    return f"grants test database: {DB_KIND}"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every `async def` test with anyio, without marking each one by hand."""
    if inspect.iscoroutinefunction(obj) and name.startswith("test"):
        pytest.mark.anyio(obj)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The browser tests (tests/e2e) run in a pytest run of their own (`make test-browser`): their sync
    Playwright keeps an event loop running that the async tests of a shared run would trip over."""
    if collection_path.name == "e2e" and collection_path.parent == Path(__file__).parent:
        asked = any("e2e" in Path(arg.split("::")[0]).parts for arg in config.args)
        return None if asked else True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("postgres_only") and DB_KIND != "postgres":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL; `make test` runs it there"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def clean_database() -> Iterator[None]:
    from tests.support import empty_all_tables, run

    run(empty_all_tables())
    yield


@pytest.fixture(scope="session")
def app():
    from app.main import create_app

    return create_app()


@pytest.fixture
def client(app):
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def people(client):
    """Users of every role with API tokens; see tests.support.People."""
    from tests.support import People

    return People(client)


@pytest.fixture
def sqlite_path() -> str | None:
    return _state.get("sqlite_path")
