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
import shutil
import sys
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


def _is_xdist_controller(config: pytest.Config) -> bool:
    """With `-n N` (pytest-xdist) the controlling process runs no test: only its workers need a database."""
    workers = getattr(config.option, "numprocesses", None)
    return not hasattr(config, "workerinput") and bool(workers) and config.getoption("dist") != "no"


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        return
    # Each process (each xdist worker too) makes a database of its own, so workers never share rows.
    if DB_KIND == "postgres":
        name = f"grants_test_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        # A throwaway database need not wait for each commit to reach the disk (visibility is unchanged;
        # only a crash of the server itself could lose the last commits, and no test crashes it).
        asyncio.run(_pg_admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        _state["pg_database"] = name
        os.environ["GRANTS_DATABASE_URL"] = _pg_url(name)
    elif DB_KIND == "sqlite":
        # In memory-backed /dev/shm where there is one: the same SQLite, without waiting for the disk at
        # each commit (a killed process still leaves its writes in the file, as on disk).
        shm = Path("/dev/shm")
        directory = tempfile.mkdtemp(prefix="grants-test-", dir=shm if shm.is_dir() else None)
        _state["sqlite_dir"] = directory
        _state["sqlite_path"] = str(Path(directory) / "test.sqlite")
        os.environ["GRANTS_DATABASE_URL"] = f"sqlite:///{_state['sqlite_path']}"
    else:
        raise pytest.UsageError("GRANTS_TEST_DB must be sqlite or postgres")
    os.environ["GRANTS_SECRET_KEY"] = TEST_KEY
    os.environ["GRANTS_LEDGER_KEY"] = TEST_LEDGER_KEY
    # PostgreSQL: the app served in a test (test client, live server) pools its connections, one pool per
    # event loop (below); every query the tests run themselves outside those loops connects anew.
    os.environ["GRANTS_DB_POOL"] = "1" if DB_KIND == "postgres" else "0"
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    logging.getLogger("httpx").setLevel(logging.WARNING)

    _hash_each_password_once()
    if DB_KIND == "postgres":
        _pool_per_event_loop()
    from app.bootstrap import init_database

    asyncio.run(init_database())


def _pool_per_event_loop() -> None:
    """A connection pool belongs to the event loop that made it, and Litestar's test client runs the app
    in an event loop of its own, one per client, beside the loops of the tests' own `run()` calls.
    Without a pool every query opened a connection (38 per test on average; ~4 ms each on a quiet
    machine, 35 ms on a busy one). Here the engine keeps one pool per event loop: the app's lifespan
    starts and closes the pool of its loop as in production, and other loops have none."""
    import weakref

    from asyncpg.pool import Pool
    from piccolo.engine.postgres import PostgresEngine

    from app.piccolo_conf import DB

    pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def loop() -> asyncio.AbstractEventLoop | None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def get_pool(engine: PostgresEngine) -> Pool | None:
        running = loop()
        return None if running is None else pools.get(running)

    def set_pool(engine: PostgresEngine, pool: Pool | None) -> None:
        running = loop()
        if running is None:
            raise RuntimeError("a pool is started or closed inside an event loop")
        if pool is None:
            pools.pop(running, None)
        else:
            pools[running] = pool

    class PoolPerLoop(PostgresEngine):
        __slots__ = ()
        pool = property(get_pool, set_pool)

    DB.__class__ = PoolPerLoop


def _hash_each_password_once() -> None:
    """The tests make about a thousand users per engine, nearly all with the password `correct horse battery`, and each
    argon2id hash takes ~160 ms of CPU (two thirds of some test modules' time). In the test process each
    distinct password is hashed once, for real, with the production parameters, and that hash is reused:
    only the salt is shared between test users. Verifying (every sign-in) is untouched."""
    from argon2 import PasswordHasher

    from app.core import passwords

    class HashOnce(PasswordHasher):
        def __init__(self) -> None:
            super().__init__()
            self._hashes: dict[str | bytes, str] = {}

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            if salt is not None:
                return super().hash(password, salt=salt)
            if password not in self._hashes:
                self._hashes[password] = super().hash(password)
            return self._hashes[password]

    hasher = HashOnce()
    passwords._hasher = lambda: hasher


def pytest_unconfigure(config: pytest.Config) -> None:
    if "tests.support" in sys.modules:
        sys.modules["tests.support"].close_test_loop()
    if "pg_database" in _state:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_state.pop("pg_database")}" WITH (FORCE)'))
    if "sqlite_dir" in _state:
        shutil.rmtree(_state.pop("sqlite_dir"), ignore_errors=True)


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
