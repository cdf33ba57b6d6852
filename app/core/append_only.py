"""Database triggers that make tables append-only: UPDATE, DELETE and TRUNCATE are refused, whoever asks.

Used for the ledger's entries and postings and for the audit log. A table may allow one kind of update:
sealing, i.e. filling in its chain columns once, while they are still empty (the audit log is chained
after its events commit). Someone who owns the tables can still drop the triggers; the keyed chains
catch what they then change, and in production the application's role owns no table (docs/operations.md).
SQLite has no TRUNCATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

_PG_REFUSE = """
CREATE OR REPLACE FUNCTION grants_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


@dataclass(frozen=True)
class AppendOnly:
    """A table whose rows are never changed. With `seal_column`, an UPDATE may fill in the chain columns
    of a row whose `seal_column` is still '' and must leave `content_columns` alone."""

    table: str
    seal_column: str = ""
    chain_columns: Sequence[str] = ()
    content_columns: Sequence[str] = ()


def _pg_statements(spec: AppendOnly) -> list[str]:
    t = spec.table
    statements = [
        _PG_REFUSE,
        f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION grants_refuse_change()",
        f"CREATE OR REPLACE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION grants_refuse_change()",
    ]
    if not spec.seal_column:
        return [
            *statements,
            f"CREATE OR REPLACE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION grants_refuse_change()",
        ]
    chain = ", ".join(f"'{c}'" for c in spec.chain_columns)
    seal_only = f"""
CREATE OR REPLACE FUNCTION {t}_seal_only() RETURNS trigger AS $$
BEGIN
    IF OLD.{spec.seal_column} <> ''
       OR (to_jsonb(NEW) - ARRAY[{chain}]) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{chain}]) THEN
        RAISE EXCEPTION '% rows are append-only: UPDATE refused (only sealing is allowed)', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
    return [
        *statements,
        seal_only,
        f"CREATE OR REPLACE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
        f"FOR EACH ROW EXECUTE FUNCTION {t}_seal_only()",
    ]


def _sqlite_refusal(name: str, event: str, table: str, op: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} {when}"
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only: {op} refused'); END"
    )


def _sqlite_statements(spec: AppendOnly) -> list[str]:
    t = spec.table
    statements = [_sqlite_refusal(f"{t}_append_only_delete", "DELETE", t, "DELETE")]
    if not spec.seal_column:
        return [*statements, _sqlite_refusal(f"{t}_append_only_update", "UPDATE", t, "UPDATE")]
    content = ", ".join(spec.content_columns)
    return [
        *statements,
        _sqlite_refusal(f"{t}_append_only_update", f"UPDATE OF {content}", t, "UPDATE"),
        _sqlite_refusal(
            f"{t}_append_only_reseal", "UPDATE", t, "UPDATE", when=f"WHEN OLD.{spec.seal_column} <> '' "
        ),
    ]


def _trigger_names(spec: AppendOnly, postgres: bool) -> list[str]:
    t = spec.table
    if postgres:
        return [f"{t}_append_only", f"{t}_no_truncate", f"{t}_no_update"]
    return [f"{t}_append_only_delete", f"{t}_append_only_update", f"{t}_append_only_reseal"]


async def install(engine: Engine, specs: Sequence[AppendOnly]) -> None:
    postgres = isinstance(engine, PostgresEngine)
    for spec in specs:
        for statement in _pg_statements(spec) if postgres else _sqlite_statements(spec):
            await engine.run_ddl(statement)


async def uninstall(engine: Engine, specs: Sequence[AppendOnly]) -> None:
    """For tests that play an attacker with database rights, and for emptying a test database."""
    postgres = isinstance(engine, PostgresEngine)
    for spec in specs:
        for name in _trigger_names(spec, postgres):
            await engine.run_ddl(
                f"DROP TRIGGER IF EXISTS {name} ON {spec.table}"
                if postgres
                else f"DROP TRIGGER IF EXISTS {name}"
            )
