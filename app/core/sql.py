"""Raw SQL on the current transaction's connection, for the few hot paths the ORM makes slow.

Write statements with PostgreSQL placeholders ($1, $2 …); on SQLite they run as ?1, ?2 …. A list
argument used with `any_(n, type)` becomes `IN (SELECT unnest($n::type[]))` on PostgreSQL and a json_each()
lookup on SQLite. (Not `= ANY($n)`: once PostgreSQL switches a prepared statement to its generic plan, it
tests `= ANY` by scanning the whole array for every row — minutes for a 200,000-key batch.)
`join_any(n, type, alias)` joins with the items instead, for big batches of distinct keys.
Bulk inserts use COPY on PostgreSQL and executemany on SQLite.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from app.core.db import engine, is_postgres

_PLACEHOLDER = re.compile(r"\$(\d+)")
_COPY_THRESHOLD = 200


class Sql:
    """Bound to the transaction in progress; create one inside `async with write_transaction()`."""

    def __init__(self) -> None:
        transaction = engine().current_transaction.get()
        if transaction is None:
            raise RuntimeError("Sql needs an open transaction")
        self.connection = transaction.connection
        self.postgres = is_postgres()

    def any_(self, n: int, pg_type: str) -> str:
        """Membership in list argument n whose items have the PostgreSQL type `pg_type`."""
        if self.postgres:
            return f"IN (SELECT unnest(${n}::{pg_type}[]))"
        return f"IN (SELECT value FROM json_each(?{n}))"

    def join_any(self, n: int, pg_type: str, alias: str) -> str:
        """A join with the items of list argument n, each as `alias.value`; the items must be distinct.
        For big batches it beats any_(): the planner knows how many items there are (a hash join when they
        are most of the table, index lookups otherwise, best in key order), and no hash table is built to
        remove duplicates (at 100,000 keys it spills to disk)."""
        if self.postgres:
            return f"JOIN unnest(${n}::{pg_type}[]) AS {alias}(value)"
        return f"JOIN json_each(?{n}) AS {alias}"

    def before(self, expression: str, n: int) -> str:
        """`expression` (a timestamp) is earlier than the timestamp argument n (give it through `stamp`).
        SQLite keeps timestamps as text in more than one layout; datetime() reads them all."""
        if self.postgres:
            return f"{expression} < ${n}"
        return f"datetime({expression}) < datetime(${n})"

    def stamp(self, value: dt.datetime) -> Any:
        """A timestamp argument for `before`."""
        return value if self.postgres else value.astimezone(dt.UTC).isoformat()

    def _sqlite(self, sql: str, args: Sequence[Any]) -> tuple[str, list[Any]]:
        converted = [json.dumps(a) if isinstance(a, list | tuple) else a for a in args]
        return _PLACEHOLDER.sub(r"?\1", sql), converted

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        if self.postgres:
            return [dict(r) for r in await self.connection.fetch(sql, *args)]
        query, params = self._sqlite(sql, args)
        async with self.connection.execute(query, params) as cursor:
            rows = await cursor.fetchall()
        return [dict(r) for r in rows]

    async def execute(self, sql: str, *args: Any) -> None:
        if self.postgres:
            await self.connection.execute(sql, *args)
        else:
            query, params = self._sqlite(sql, args)
            await self.connection.execute(query, params)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.postgres:
            await self.connection.executemany(sql, rows)
        else:
            await self.connection.executemany(_PLACEHOLDER.sub(r"?\1", sql), rows)

    async def insert_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        count: int | None = None,
    ) -> None:
        """Insert rows fast: COPY on PostgreSQL for big batches, executemany otherwise.

        `rows` may be a generator (then give its `count`): COPY sends each block of rows as soon as it is
        made, so the server stores one block while the generator makes the next."""
        size = len(rows) if count is None else count  # type: ignore[arg-type]
        if not size:
            return
        if self.postgres and size >= _COPY_THRESHOLD:
            await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        rows = rows if isinstance(rows, Sequence) else list(rows)
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
        await self.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
