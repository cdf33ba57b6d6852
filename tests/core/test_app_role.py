"""The production set-up on PostgreSQL: the app runs as a role that owns no table (docs/operations.md)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest
from click.testing import CliRunner

from app.cli import main

pytestmark = pytest.mark.postgres_only

# What the application does, run in a process connected as the application's role.
APP_WORK = """
import asyncio, datetime as dt
from app.core import audit_chain
from app.core.actor import Actor
from app.ledger import dimensions, service
from app.ledger.operations import Kind, Operation, Target
from app.ledger.verify import verify

async def work():
    me = Actor.system("app-role")
    await dimensions.create(me, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(me, "programme", "CHILDCARE", "Childcare", "EUR")
    load = Operation(Kind.BUDGET_LOAD, Target("ESF", "CHILDCARE"), 5000, "load-1", dt.date(2026, 10, 1))
    await service.apply_one(me, load)
    await service.apply_one(me, Operation(Kind.COMMIT, Target("ESF", "CHILDCARE"), 700, "c-1", dt.date(2026, 10, 2)))
    assert await audit_chain.seal() >= 2
    assert (await verify()).ok and (await audit_chain.verify()).ok
    print("app work done")

asyncio.run(work())
"""


def _url_as(role: str) -> str:
    url = os.environ["GRANTS_DATABASE_URL"]
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}:pw@{rest.split('@', 1)[1]}"


@pytest.fixture
def app_role():
    from tests.conftest import PG_ADMIN_URL

    role = f"grants_app_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'"))
    yield role
    database = os.environ["GRANTS_DATABASE_URL"].rsplit("/", 1)[1]

    async def drop() -> None:
        connection = await asyncpg.connect(os.environ["GRANTS_DATABASE_URL"])
        try:
            await connection.execute(f"DROP OWNED BY {role}")
        finally:
            await connection.close()
        await admin(f"DROP ROLE IF EXISTS {role}")

    asyncio.run(drop())
    assert database


def test_the_app_works_as_a_role_that_owns_nothing_and_cannot_rewrite(app_role):
    """Before, the app's only role owned the tables: it could TRUNCATE the ledger or drop its triggers
    (this test failed then: there was no way to grant a lesser role)."""
    granted = CliRunner().invoke(main, ["db", "grant-app-role", app_role], catch_exceptions=False)
    assert granted.exit_code == 0, granted.stderr
    env = {**os.environ, "GRANTS_DATABASE_URL": _url_as(app_role), "GRANTS_DB_POOL": "0"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", APP_WORK], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "app work done" in done.stdout

    async def attack() -> list[str]:
        connection = await asyncpg.connect(_url_as(app_role))
        refused = []
        try:
            for statement in (
                "TRUNCATE ledger_entry CASCADE",
                "TRUNCATE audit_event",
                "UPDATE ledger_posting SET amount = amount + 1",
                "DELETE FROM ledger_entry",
                "UPDATE audit_event SET note = 'x'",
                "DELETE FROM audit_event",
                "ALTER TABLE ledger_entry DISABLE TRIGGER ALL",
                "DROP TRIGGER ledger_entry_no_update ON ledger_entry",
                "SET session_replication_role = replica",
            ):
                try:
                    await connection.execute(statement)
                except asyncpg.PostgresError as exc:
                    refused.append(type(exc).__name__)
                else:
                    refused.append(f"ALLOWED: {statement}")
        finally:
            await connection.close()
        return refused

    outcomes = asyncio.run(attack())
    assert not [o for o in outcomes if o.startswith("ALLOWED")], outcomes
