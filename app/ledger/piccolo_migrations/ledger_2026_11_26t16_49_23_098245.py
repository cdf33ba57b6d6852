"""Make posted entries and postings append-only in the database itself (triggers)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T16:49:23:098245"
VERSION = "1.38.0"
DESCRIPTION = "append-only triggers on ledger entries and postings"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        from app.ledger.append_only import install

        await install(engine_finder())

    manager.add_raw(run)
    return manager
