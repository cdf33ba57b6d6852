"""One live instruction line per payable, one pending and one confirmed payment detail per payee, one file
number per run: partial and composite unique indexes as raw steps (composite constraints break SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T22:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique live payment line per payable; unique pending/confirmed detail per payee"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_line_one_live ON payment_line (payable, fund, programme) "
    "WHERE live",
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_detail_one_pending ON payment_detail (payee) "
    "WHERE status = 'pending'",
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_detail_one_confirmed ON payment_detail (payee) "
    "WHERE status = 'confirmed'",
    "CREATE UNIQUE INDEX IF NOT EXISTS payment_file_run_seq ON payment_file (run, seq)",
    "CREATE INDEX IF NOT EXISTS payment_line_payable ON payment_line (payable)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disbursements", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
