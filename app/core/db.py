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
    return utcnow().date()
