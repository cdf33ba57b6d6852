"""Composite indexes and the ledger head row.

Raw statements: Piccolo's composite constraints break table creation on SQLite, and raw steps run before
a migration's own table changes, so these live in a migration of their own, after the tables exist.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T16:48:57:481004"
VERSION = "1.38.0"
DESCRIPTION = "ledger indexes and head"

STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_account_dimensions ON ledger_account (chart, fund, programme, party)",
    "CREATE INDEX IF NOT EXISTS ledger_posting_account_date ON ledger_posting (account, effective_date, entry)",
    "CREATE INDEX IF NOT EXISTS ledger_posting_entry ON ledger_posting (entry)",
    "INSERT INTO ledger_head (id, last_seq, last_hash, last_posting_id) "
    "VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
