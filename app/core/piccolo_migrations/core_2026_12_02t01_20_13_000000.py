"""One idempotency record per caller and key (a raw unique index: composite constraints break SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:20:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique idempotency record per caller and key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS idempotency_record_caller_key "
            "ON idempotency_record (caller, key)"
        )

    manager.add_raw(run)
    return manager
