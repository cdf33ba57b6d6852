"""The ledger's entries and postings are append-only in the database itself (app/core/append_only.py):
no UPDATE, DELETE or TRUNCATE. The application has no code path that changes a posted entry; the
triggers make the database refuse it too, whoever asks. Someone with the power to drop them could still
edit rows: `grants ledger verify` and its keyed chain catch that.
"""

from __future__ import annotations

from piccolo.engine.base import Engine

from app.core import append_only

TABLES = ("ledger_entry", "ledger_posting")
SPECS = tuple(append_only.AppendOnly(t) for t in TABLES)


async def install(engine: Engine) -> None:
    await append_only.install(engine, SPECS)


async def uninstall(engine: Engine) -> None:
    """For tests that play an attacker with database rights, and for emptying a test database."""
    await append_only.uninstall(engine, SPECS)
