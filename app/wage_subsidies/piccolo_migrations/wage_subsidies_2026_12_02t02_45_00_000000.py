"""Overpayment statuses that say what happened: `open` becomes `recovering` (a receivable is outstanding),
and an overpayment wholly disallowed (never paid, so nothing to recover) becomes `disallowed` instead of
`recovered`. The default changes with it (PostgreSQL; SQLite rows always name their status). The
alteration is recorded for Piccolo's migration state without running its DDL, which SQLite lacks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-02T02:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "overpayment statuses disallowed, recovering, recovered"


class _StateOnlyAlter(MigrationManager):
    async def _run_alter_columns(self, backwards: bool = False) -> None:
        return None


async def forwards():
    manager = _StateOnlyAlter(migration_id=ID, app_name="wage_subsidies", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Overpayment",
        tablename="wage_overpayment",
        column_name="status",
        db_column_name="status",
        params={"default": "recovering"},
        old_params={"default": "open"},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def run():
        engine = engine_finder()
        await engine.run_ddl("UPDATE wage_overpayment SET status = 'disallowed' WHERE receivable_minor = 0")
        await engine.run_ddl("UPDATE wage_overpayment SET status = 'recovering' WHERE status = 'open'")
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("ALTER TABLE wage_overpayment ALTER COLUMN status SET DEFAULT 'recovering'")

    manager.add_raw(run)
    return manager
