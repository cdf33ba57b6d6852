"""One stipend payment per voucher and month (a raw unique index: composite constraints break SQLite)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T01:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique stipend payment per voucher and month"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vouchers", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS voucher_stipend_payment_voucher_month "
            "ON voucher_stipend_payment (voucher, month)"
        )

    manager.add_raw(run)
    return manager
