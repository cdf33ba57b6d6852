"""A month (or a bonus milestone) of an agreement is claimed at most once while its line stands: a partial
unique index, the safety net under the lock that claims take on their agreements."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T02:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one standing claim line per agreement, kind and month"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="wage_subsidies", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS wage_claim_line_once "
            "ON wage_claim_line (agreement, kind, month_number) "
            "WHERE outcome <> 'rejected' AND agreement IS NOT NULL"
        )

    manager.add_raw(run)
    return manager
