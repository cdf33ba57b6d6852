"""The ledger's append-only triggers again, now refusing TRUNCATE too (a statement trigger)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "refuse TRUNCATE of ledger entries and postings"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        from app.ledger.append_only import install

        await install(engine_finder())

    manager.add_raw(run)
    return manager
