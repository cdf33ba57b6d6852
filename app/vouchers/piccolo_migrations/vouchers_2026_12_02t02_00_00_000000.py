"""One voucher per decision and child, instead of one per decision: a family decision covers every child
of the household (rules/childcare_voucher.yaml), and issues one voucher for each child covered.

The column-level UNIQUE on voucher.decision is dropped (PostgreSQL: its constraint; SQLite cannot drop a
constraint, so the table is rebuilt from its own DDL without it) and a unique index on
(decision, child) replaces it. Raw SQL: composite unique constraints break SQLite (STACK-NOTES). The
column's change is also recorded as an alter_column, so Piccolo's auto migrations know `decision` is no
longer unique, but that step does not run (the raw step did the work on both engines).
"""

import re

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-02T02:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one voucher per decision and child"

UNIQUE_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS voucher_decision_child ON voucher (decision, COALESCE(child, ''))"
)


async def _sqlite_rebuild(engine) -> None:
    tables = await engine.run_ddl("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'voucher'")
    ddl = tables[0]["sql"]
    without = re.sub(r'("decision" VARCHAR\(32\)) UNIQUE', r"\1", ddl)
    if without == ddl:
        return  # already rebuilt
    indexes = await engine.run_ddl(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'voucher' AND sql IS NOT NULL"
    )
    await engine.run_ddl(without.replace('CREATE TABLE "voucher"', 'CREATE TABLE "voucher__rebuilt"', 1))
    await engine.run_ddl('INSERT INTO "voucher__rebuilt" SELECT * FROM "voucher"')
    await engine.run_ddl('DROP TABLE "voucher"')
    await engine.run_ddl('ALTER TABLE "voucher__rebuilt" RENAME TO "voucher"')
    for index in indexes:
        await engine.run_ddl(index["sql"])


class _StateOnlyAlter(MigrationManager):
    """Records the column alteration for Piccolo's migration state without running its DDL (Piccolo
    would run ALTER TABLE … DROP CONSTRAINT, which SQLite does not have)."""

    async def _run_alter_columns(self, backwards: bool = False) -> None:
        return None


async def forwards():
    manager = _StateOnlyAlter(migration_id=ID, app_name="vouchers", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Voucher",
        tablename="voucher",
        column_name="decision",
        db_column_name="decision",
        params={"unique": False},
        old_params={"unique": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def run():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("ALTER TABLE voucher DROP CONSTRAINT IF EXISTS voucher_decision_key")
        else:
            await _sqlite_rebuild(engine)
        await engine.run_ddl(UNIQUE_INDEX)
        await engine.run_ddl("CREATE INDEX IF NOT EXISTS voucher_decision ON voucher (decision)")

    manager.add_raw(run)
    return manager
