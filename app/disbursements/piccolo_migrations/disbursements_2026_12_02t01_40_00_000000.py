"""Fewer index writes per payment. Creating a run writes a line per payable and every state change rewrites
an instruction row, so each index left out saves tens of thousands of writes in a big run:
- the instruction columns most instructions leave empty (a Stripe transfer id on a SEPA instruction, a
  message id until release) are indexed only where set;
- a payable's ended lines (the instruction before a follow-up) are indexed apart, WHERE NOT live: lines are
  written live, so a new line updates only the unique index of live lines (which finds live ones);
- the lines' run and source id are not indexed (lines are read by instruction and by payable)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes on instruction ids set late and on ended lines; no line run/source index"

PARTIAL = ("transfer_id", "destination_payment", "message_id")
STATEMENTS = tuple(
    f"CREATE INDEX IF NOT EXISTS payment_instruction_{column}_set ON payment_instruction ({column}) "
    f"WHERE {column} <> ''"
    for column in PARTIAL
) + (
    "CREATE INDEX IF NOT EXISTS payment_line_payable_ended ON payment_line (payable) WHERE NOT live",
    "DROP INDEX IF EXISTS payment_line_payable",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="disbursements", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    # The full indexes Piccolo made go (alter_column drops them and keeps its snapshot of the tables true).
    for tablename, class_name, column in (
        *(("payment_instruction", "PaymentInstruction", c) for c in PARTIAL),
        ("payment_line", "PaymentLine", "run"),
        ("payment_line", "PaymentLine", "source_id"),
    ):
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )
    return manager
