"""The dated cost-sharing keys of pooled programmes (ledger_cost_key): which fund bears what share of a
programme's expenditure from a date on. Append-only: a change is a new row."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Text, Timestamptz, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T05:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger_cost_key: dated cost-sharing keys of pooled programmes"


def _params(default, index: bool = False, length: int | None = None) -> dict:
    params = {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": index,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    if length is not None:
        params["length"] = length
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ledger", description=DESCRIPTION)
    manager.add_table(class_name="CostKey", tablename="ledger_cost_key", schema=None, columns=None)
    for name, class_name, column_class, params in (
        ("programme", "Varchar", Varchar, _params("", index=True, length=32)),
        ("effective_from", "Date", Date, _params(DateNow())),
        ("method", "Varchar", Varchar, _params("", length=20)),
        ("shares", "Text", Text, _params("{}")),
        ("reason", "Text", Text, _params("")),
        ("created_by", "Varchar", Varchar, _params("", length=64)),
        ("created_at", "Timestamptz", Timestamptz, _params(TimestamptzNow())),
    ):
        manager.add_column(
            table_class_name="CostKey",
            tablename="ledger_cost_key",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
