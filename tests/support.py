"""Helpers for tests: emptying the database, making users of each role, calling the API as them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar.testing import TestClient

from app.bootstrap import seed_reference_data
from app.core import append_only as core_append_only
from app.core import audit_chain
from app.core.actor import Actor
from app.core.db import engine, is_postgres, raw, run_sync, write_transaction
from app.core.roles import Role
from app.ledger import append_only

T = TypeVar("T")
SYSTEM = Actor.system("tests")


def run(awaitable: Awaitable[T]) -> T:
    """Run a coroutine to completion from a test. Inside a running event loop (the browser tests' sync
    Playwright keeps one in the main thread) it runs in a worker thread with a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        if threading.current_thread() is threading.main_thread():
            return _run_in_test_loop(awaitable)
        return run_sync(awaitable)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run_sync, awaitable).result()


_test_loop: list[asyncio.AbstractEventLoop] = []


def _run_in_test_loop(awaitable: Awaitable[T]) -> T:
    """The main thread's calls share one event loop and, on PostgreSQL, its connection pool: a fresh loop
    per call meant a new connection per query. Connections are opened as needed (a test that fires 30
    sign-ins at once still gets 30) and idle ones close after a few seconds. As asyncio.run does, tasks the
    call leaves behind are cancelled."""
    if not _test_loop:
        loop = asyncio.new_event_loop()
        if is_postgres():
            loop.run_until_complete(
                engine().start_connection_pool(min_size=0, max_size=50, max_inactive_connection_lifetime=5)
            )
        _test_loop.append(loop)
    loop = _test_loop[0]

    async def wait() -> T:
        return await awaitable

    try:
        return loop.run_until_complete(wait())
    finally:
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))


def close_test_loop() -> None:
    """At the end of the run: the pool's connections and the loop."""
    if _test_loop:
        loop = _test_loop.pop()
        if is_postgres():
            loop.run_until_complete(engine().close_connection_pool())
        loop.close()


def csrf_token(client: TestClient) -> str:
    """The form token of this client's browser: its CSRF cookie, set by the first page it opens."""
    from app.web.site import CSRF_COOKIE

    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return client.cookies[CSRF_COOKIE]


def post_form(client: TestClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any):
    """POST a page form as a browser does: with the CSRF token and our own Origin."""
    headers = {"Origin": str(client.base_url).rstrip("/"), **kwargs.pop("headers", {})}
    fields = {**(data or {}), "_csrf_token": csrf_token(client)}
    return client.post(path, data=fields, headers=headers, **kwargs)


def all_tables() -> list:
    from piccolo.apps.migrations.auto.migration_manager import sort_table_classes

    from app.piccolo_conf import APP_REGISTRY

    tables = [t for config in APP_REGISTRY.app_configs.values() for t in config.table_classes]
    return sort_table_classes(tables)


async def empty_all_tables() -> None:
    """Back to a just-initialised database, in one transaction: empty every table that has rows (and reset
    the id sequences that moved), reinstall the append-only triggers if a test dropped or changed them,
    seed the reference data again. Emptying only what a test touched, with DELETE rather than a TRUNCATE
    of all 52 tables (which makes new files for every table and index), takes a few milliseconds instead
    of several hundred."""
    from app.eligibility.service import forget_known_versions
    from app.ledger.dimensions import forget_currencies

    tables = [t._meta.tablename for t in all_tables()]
    postgres = is_postgres()
    async with write_transaction():
        filled, sequences = await _touched(tables, postgres)
        triggers_changed = await _trigger_fingerprint(postgres) != _state.get("triggers")
        # The append-only tables refuse DELETE: on PostgreSQL a superuser may switch all triggers (and
        # foreign-key checks) off for this transaction; SQLite has no such switch, so its triggers go.
        if postgres and filled:
            await engine().run_ddl("SET LOCAL session_replication_role = replica")
        if triggers_changed or (filled and not postgres):
            await _uninstall_append_only()
        for table in reversed(tables):  # children before parents, for SQLite's foreign keys
            if table in filled:
                await engine().run_ddl(f'DELETE FROM "{table}"')
        for sequence in sequences:
            await engine().run_ddl(f'ALTER SEQUENCE "{sequence}" RESTART')
        if postgres and filled:
            await engine().run_ddl("SET LOCAL session_replication_role = origin")
        if triggers_changed or (filled and not postgres):
            await _install_append_only()  # a test may have dropped them to play an attacker
        await seed_reference_data()
    _state.setdefault("triggers", await _trigger_fingerprint(postgres))
    forget_known_versions()
    forget_currencies()


_state: dict[str, Any] = {}


async def _touched(tables: list[str], postgres: bool) -> tuple[set[str], list[str]]:
    """The tables that have a row and (PostgreSQL) the sequences used since their last restart, in one
    query. The tables the reference data fills are always among them: they are seeded again."""
    probes = [f"SELECT 't' AS kind, '{t}' AS name WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables]
    if postgres:
        sequences = await raw(
            "SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema()"
        )
        probes += [
            f"SELECT 's' AS kind, '{s['name']}' AS name FROM \"{s['name']}\" WHERE is_called"
            for s in sequences
        ]
    rows = await raw(" UNION ALL ".join(f"SELECT * FROM ({probe}) AS p{i}" for i, probe in enumerate(probes)))
    return {r["name"] for r in rows if r["kind"] == "t"}, [r["name"] for r in rows if r["kind"] == "s"]


async def _trigger_fingerprint(postgres: bool) -> list[dict[str, Any]]:
    """Every trigger with its state and code, to see whether a test dropped, disabled or rewrote one."""
    if postgres:
        return await raw(
            "SELECT c.relname, t.tgname, t.tgenabled, t.tgtype, p.proname, p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal ORDER BY c.relname, t.tgname"
        )
    return await raw("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")


async def _uninstall_append_only() -> None:
    await append_only.uninstall(engine())
    await core_append_only.uninstall(engine(), [audit_chain.SPEC])


async def _install_append_only() -> None:
    await append_only.install(engine())
    await core_append_only.install(engine(), [audit_chain.SPEC])


async def row_counts() -> dict[str, int]:
    tables = [t._meta.tablename for t in all_tables()]
    counts = " UNION ALL ".join(f"SELECT '{t}' AS name, COUNT(*) AS n FROM \"{t}\"" for t in tables)
    return {row["name"]: row["n"] for row in await raw(counts)}


@dataclass
class Person:
    role: Role
    user_id: str
    email: str
    token: str
    organisation: str | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class People:
    """One user per role (plus any extra made on demand), each with an API token."""

    client: TestClient
    _made: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from app.registry import organisations

        self.provider_org = run(organisations.create_provider(SYSTEM, name="Own Provider")).id
        self.employer_org = run(
            organisations.create_employer(SYSTEM, name="Own Employer", registration_number="R-1")
        ).id

    def make(self, role: Role, organisation: str | None = None, key: str | None = None) -> Person:
        from app.core.credentials import create_token
        from app.core.users import create_user

        key = key or role.value
        if key in self._made:
            return self._made[key]
        if organisation is None:
            organisation = {Role.PROVIDER: self.provider_org, Role.EMPLOYER: self.employer_org}.get(role)
        email = f"{key.replace('_', '-')}@example.org"
        user = run(
            create_user(
                SYSTEM,
                email=email,
                display_name=f"Test {key}",
                roles=frozenset({role}),
                organisation=organisation,
                password="correct horse battery",
            )
        )
        _, secret = run(create_token(SYSTEM, user.id, "tests"))
        person = Person(role, user.id, email, secret, organisation)
        self._made[key] = person
        return person

    def __getitem__(self, role: Role) -> Person:
        return self.make(role)

    def call(self, role: Role | None, method: str, path: str, **kwargs: Any):
        headers = dict(kwargs.pop("headers", {}))
        if role is not None:
            headers.update(self.make(role).headers)
        return self.client.request(method, path, headers=headers, **kwargs)


PERSON_EXAMPLE = {
    "given_name": "Zephyrine",
    "family_name": "Quillfeather",
    "date_of_birth": "1990-04-17",
    "gender": "female",
    "national_id": "XQ-99887766",
    "address": {"line1": "17 Juniper Lane", "city": "Marrowby", "postcode": "MB1 7QQ", "country": "GB"},
    "phone": "+44 7700 900123",
    "email": "zephyrine@example.org",
}
