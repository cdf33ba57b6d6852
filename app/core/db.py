"""Database helpers shared by every domain: the engine, write transactions, migrations, time."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import Any, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

T = TypeVar("T")


def engine() -> Engine:
    found = engine_finder()
    if found is None:
        raise RuntimeError("no Piccolo engine configured (PICCOLO_CONF)")
    return found


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def _keep_session(connection: Any) -> None:
    """Connections go back to the pool without asyncpg's reset query (advisory unlocks, UNLISTEN, RESET
    ALL): the app uses none of those, and the extra round trip costs a fifth of a single posting.
    asyncpg still rolls back any transaction left open."""


async def start_pool(min_size: int = 2, max_size: int = 20) -> None:
    """A connection pool on PostgreSQL (no-op on SQLite), for a process that serves or benchmarks."""
    eng = engine()
    if isinstance(eng, PostgresEngine):
        await eng.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)


async def close_pool() -> None:
    eng = engine()
    if isinstance(eng, PostgresEngine) and eng.pool is not None:
        await eng.close_connection_pool()


def write_transaction():
    """A transaction meant to write. On SQLite it takes the write lock up front (BEGIN IMMEDIATE):
    a deferred transaction that reads and then writes fails with "database is locked" under concurrency.
    Nested calls join the outer transaction."""
    eng = engine()
    if isinstance(eng, SQLiteEngine):
        return eng.transaction(transaction_type=TransactionType.immediate)
    return eng.transaction()


async def raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run SQL with `{}` placeholders (Piccolo's style) on the configured engine, inside the current
    transaction if there is one. For the few queries the ORM cannot express efficiently."""
    rows = await engine().run_querystring(QueryString(sql, *args))
    return [dict(row) for row in rows or []]


def run_sync(awaitable: Awaitable[T]) -> T:
    """Run a coroutine or a Piccolo query to completion from synchronous code (CLI, tests)."""

    async def wait() -> T:
        return await awaitable

    return asyncio.run(wait())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The date now in GRANTS_TIME_ZONE (default UTC): the "today" of deadlines and "not in the future"."""
    from zoneinfo import ZoneInfo

    from app.core.settings import get_settings

    return dt.datetime.now(ZoneInfo(get_settings().time_zone)).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` in GRANTS_TIME_ZONE (in UTC): "by the end of `day`" is before it."""
    from zoneinfo import ZoneInfo

    from app.core.settings import get_settings

    zone = ZoneInfo(get_settings().time_zone)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)


def day_of(moment: dt.datetime) -> dt.date:
    """The date of `moment` in GRANTS_TIME_ZONE."""
    from zoneinfo import ZoneInfo

    from app.core.settings import get_settings

    return moment.astimezone(ZoneInfo(get_settings().time_zone)).date()


def as_date(value: dt.date | str) -> dt.date:
    """A DATE column read back in raw SQL: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
