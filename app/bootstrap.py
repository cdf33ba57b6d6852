"""Bring a database to a working state: migrations, then the reference data every install needs."""

from __future__ import annotations

from app.core.audit_chain import seed_head
from app.core.key_check import ensure_keys_match
from app.core.migrate import migrate
from app.ledger.chart import seed_chart


async def init_database() -> None:
    await migrate()
    await ensure_keys_match()
    await seed_reference_data()


async def seed_reference_data() -> None:
    """Idempotent: the chart of accounts, the ledger head and the audit log's head."""
    await seed_chart()
    await seed_head()
