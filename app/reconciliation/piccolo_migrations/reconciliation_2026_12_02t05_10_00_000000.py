"""A booking's return reason holds Stripe's failure codes (e.g. `account_closed`,
`bank_account_restricted`), not only the four-letter ISO 20022 return codes: 10 -> 40 characters."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "recon_booking.return_reason 40 characters"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reconciliation", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Booking",
        tablename="recon_booking",
        column_name="return_reason",
        db_column_name="return_reason",
        params={"length": 40},
        old_params={"length": 10},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
