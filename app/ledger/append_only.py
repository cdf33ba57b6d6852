"""Database triggers that refuse UPDATE and DELETE on posted entries and postings.

The application has no code path that changes a posted entry; these triggers make the database refuse it
too, whoever asks. Someone with the power to drop them could still edit rows: `grants ledger verify` and
its hash chain catch that.
"""

from __future__ import annotations

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

TABLES = ("ledger_entry", "ledger_posting")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused; post a reversal instead',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def _statements(postgres: bool) -> list[str]:
    if postgres:
        return [_PG_FUNCTION] + [
            f"CREATE OR REPLACE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            for t in TABLES
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {t}_append_only_{op.lower()} BEFORE {op} ON {t} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {op} on {t} refused; post a reversal "
        f"instead'); END"
        for t in TABLES
        for op in ("UPDATE", "DELETE")
    ]


async def install(engine: Engine) -> None:
    for statement in _statements(isinstance(engine, PostgresEngine)):
        await engine.run_ddl(statement)


async def uninstall(engine: Engine) -> None:
    """For tests that play an attacker with database rights, and for emptying a test database."""
    if isinstance(engine, PostgresEngine):
        for t in TABLES:
            await engine.run_ddl(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}")
        return
    for t in TABLES:
        for op in ("update", "delete"):
            await engine.run_ddl(f"DROP TRIGGER IF EXISTS {t}_append_only_{op}")
