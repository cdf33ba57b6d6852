"""One open exception per fingerprint; one statement per account, kind and statement id; a booking in at
most one confirmed match per instruction: partial and composite unique indexes as raw steps (composite
constraints break SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:27:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique open exception per fingerprint; unique statement per account; match indexes"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS recon_exception_one_open ON recon_exception (fingerprint) "
    "WHERE state <> 'resolved'",
    "CREATE UNIQUE INDEX IF NOT EXISTS recon_statement_identity ON recon_statement "
    "(account, kind, statement_id, digest)",
    "CREATE UNIQUE INDEX IF NOT EXISTS recon_match_confirmed ON recon_match (booking, instruction) "
    "WHERE status = 'confirmed'",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reconciliation", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
