"""The audit log becomes append-only (triggers; sealing may fill in its chain columns once) and chained."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only audit log with a chain head"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    async def run():
        from app.core import append_only, audit_chain

        engine = engine_finder()
        await engine.run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS audit_event_chain_seq_unique ON audit_event (chain_seq)"
        )
        await engine.run_ddl(
            "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '" + "0" * 64 + "') "
            "ON CONFLICT (id) DO NOTHING"
        )
        await append_only.install(engine, [audit_chain.SPEC])

    manager.add_raw(run)
    return manager
