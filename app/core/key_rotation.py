"""`grants keys rotate`: every sealed value and keyed hash of personal data moved to a new key at once.

Each domain that seals or hashes with the personal-data key provides a step (app/bootstrap.py lists them
in order): a sealed column is opened under the old key and sealed under the new one; keyed hashes (the
national-id duplicate check, dates of birth, voucher codes and holder checks, the name-search index) are
recomputed from the opened values. All steps and the new key check value run in one write transaction,
so the database is under the old key or under the new one, never partly both: an error or a kill -9
midway rolls everything back. Only the personal-data key rotates; docs/security.md says why the ledger
key does not.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core import crashpoints, key_check
from app.core.crypto import SecretKeyMissing, Vault
from app.core.db import raw, write_transaction
from app.core.sealed_fields import SealedField
from app.core.sql import Sql

CHUNK = 1000  # rows read, re-sealed and written back at a time


class RotationRefused(SecretKeyMissing):
    """The rotation cannot run (wrong current key, same key, a row that does not open): nothing changed."""


@dataclass(frozen=True)
class Rekey:
    """The old key's vault, the new one's, and the transaction's connection, for the steps."""

    sql: Sql
    old: Vault
    new: Vault

    def open(self, token: str, context: str, where: str) -> dict[str, Any]:
        """The value sealed in `token`, opened with the old key (seal it anew with `new.seal_many`)."""
        try:
            return self.old.open(token, context)
        except (ValueError, TypeError) as exc:
            raise RotationRefused(
                f"{where} does not open with the current key ({exc}); nothing was changed. Repair or "
                "remove that row (or restore it from a backup), then rotate again."
            ) from exc


@dataclass(frozen=True)
class Step:
    """One part of a rotation: re-seals and re-hashes what one domain keeps; returns the rows changed.
    `covers`: the sealed columns ("table.column") it re-seals, checked complete by the tests."""

    name: str
    run: Callable[[Rekey], Awaitable[int]]
    covers: tuple[str, ...] = ()


async def chunks(sql: Sql, select: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The rows of `select` (which has `WHERE id > $1 … ORDER BY id LIMIT {limit}`) chunk by chunk."""
    after = 0
    while True:
        rows = await sql.fetch(select.format(limit=CHUNK), after)
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


async def write_back(sql: Sql, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Set text `columns` of rows by id: each row is (value per column…, id). One statement per chunk on
    PostgreSQL (an UPDATE from unnest()), not one per row: the rotation holds its tables that much less."""
    if not rows:
        return
    if sql.postgres:
        names = ", ".join(columns)
        arrays = ", ".join(f"${i + 1}::text[]" for i in range(len(columns)))
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        await sql.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}, ${len(columns) + 1}::bigint[]) "
            f"AS v({names}, row_id) WHERE {table}.id = v.row_id",
            *(list(values) for values in zip(*rows, strict=True)),
        )
        return
    sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(columns))
    await sql.executemany(f"UPDATE {table} SET {sets} WHERE id = ${len(columns) + 1}", rows)


def reseal_step(field: SealedField) -> Step:
    """The step of a sealed column no keyed hash depends on."""

    async def run(rekey: Rekey) -> int:
        t, c = field.table, field.column
        select = (
            f"SELECT id, {field.id_column} AS row_id, {c} AS sealed FROM {t} "
            f"WHERE id > $1 AND ({field.where}) ORDER BY id LIMIT {{limit}}"
        )
        count = 0
        async for rows in chunks(rekey.sql, select):
            contexts = [field.context_of(row["row_id"]) for row in rows]
            values = [
                rekey.open(row["sealed"], context, f"{t} {row['row_id']}")
                for row, context in zip(rows, contexts, strict=True)
            ]
            sealed = rekey.new.seal_many(values, contexts)
            await write_back(
                rekey.sql, t, (c,), [(s, row["id"]) for s, row in zip(sealed, rows, strict=True)]
            )
            count += len(rows)
        return count

    return Step(f"{field.table}.{field.column}", run, (f"{field.table}.{field.column}",))


async def _require_current(old_master: bytes, new_master: bytes) -> None:
    if hmac.compare_digest(old_master, new_master):
        raise RotationRefused("the new key is the current key: nothing to rotate")
    current = (await key_check.stored()).get("personal")
    if current is not None and not hmac.compare_digest(current, key_check.check_value(old_master)):
        raise RotationRefused(
            "GRANTS_SECRET_KEY (or GRANTS_SECRET_KEY_FILE) is not this database's current key, so it "
            "cannot open what is sealed: set the current key there and give the new one with --new-key-file"
        )


async def rotate(old_master: bytes, new_master: bytes, steps: Sequence[Step]) -> dict[str, int]:
    """Move everything sealed or hashed under `old_master` to `new_master`, in one transaction; the rows
    changed per step. Refuses (RotationRefused) before changing anything if `old_master` is not current."""
    await _require_current(old_master, new_master)
    rekey_old, rekey_new = Vault.from_master(old_master), Vault.from_master(new_master)
    done: dict[str, int] = {}
    async with write_transaction():
        rekey = Rekey(Sql(), rekey_old, rekey_new)
        await _hold_writers(rekey.sql, steps)
        for step in steps:
            done[step.name] = await step.run(rekey)
            crashpoints.reached(f"keys.rotate.after.{step.name}")
        await key_check.replace("personal", new_master)
        await _record_check_if_missing(new_master)
    return done


async def _hold_writers(sql: Sql, steps: Sequence[Step]) -> None:
    """Writers of the tables rotated wait for the rotation to end (on SQLite, the transaction's write
    lock does it). Servers must still be stopped first: one started with the old key keeps sealing
    under it after the rotation commits."""
    tables = sorted({column.split(".")[0] for step in steps for column in step.covers})
    if sql.postgres and tables:
        await sql.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")


async def _record_check_if_missing(new_master: bytes) -> None:
    """A database set up before key checks existed has no row to replace: it gets one."""
    if "personal" not in await key_check.stored():
        await raw(
            "INSERT INTO key_check (purpose, check_value, created_at) VALUES ({}, {}, CURRENT_TIMESTAMP)",
            "personal",
            key_check.check_value(new_master),
        )
