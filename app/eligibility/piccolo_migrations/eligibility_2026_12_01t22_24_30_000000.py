"""A household's decision records each member's id, role, eligibility, failed member conditions and
outputs (an amount per child), readable without opening the sealed explanation: issuance per child
reads it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T22:24:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "eligibility_decision.members"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="eligibility", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Decision",
        tablename="eligibility_decision",
        column_name="members",
        db_column_name="members",
        column_class_name="JSON",
        column_class=JSON,
        params={
            "default": "[]",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
