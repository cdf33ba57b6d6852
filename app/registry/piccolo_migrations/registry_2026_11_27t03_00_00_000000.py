"""A keyed hash of each participant's and child's date of birth, beside the sealed record."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "birth_date_hash on participant and child"

_PARAMS = {
    "length": 64,
    "default": None,
    "null": True,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    for class_name, tablename in (("Participant", "participant"), ("Child", "child")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="birth_date_hash",
            db_column_name="birth_date_hash",
            column_class_name="Varchar",
            column_class=Varchar,
            params=dict(_PARAMS),
            schema=None,
        )
    return manager
