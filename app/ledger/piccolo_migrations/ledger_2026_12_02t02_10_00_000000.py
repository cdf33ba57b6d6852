"""PostgreSQL: the function that posts one entry in one round trip (app/ledger/post_one.py), and the
pgcrypto extension whose hmac() it chains with. Nothing on SQLite."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T02:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger_post_one(): a single posting in one round trip on PostgreSQL"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)

    async def run():
        from app.ledger.post_one import install

        await install(engine_finder())

    manager.add_raw(run)
    return manager
