"""The follow-ups of a failed instruction found without reading every line: an index on `retry_of`, only
where set (few lines are follow-ups)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index on payment_line.retry_of"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disbursements", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS payment_line_retry_of ON payment_line (retry_of) "
            "WHERE retry_of IS NOT NULL"
        )

    manager.add_raw(run)
    return manager
