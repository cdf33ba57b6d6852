"""Bring a database to a working state: migrations, then the reference data every install needs."""

from __future__ import annotations

from app.core.audit_chain import seed_head
from app.core.key_check import ensure_keys_match
from app.core.key_rotation import Step, reseal_step
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


def rekey_steps() -> list[Step]:
    """Everything `grants keys rotate` re-seals and re-hashes, in order: vouchers first, as their holder
    checks open the registry's records while those are still under the old key."""
    from app.core import idempotency
    from app.disbursements import details
    from app.eligibility import service as eligibility
    from app.registry import rekey as registry
    from app.vouchers import rekey as vouchers

    sealed = (eligibility.SEALED, details.SEALED, idempotency.SEALED)
    return [vouchers.VOUCHERS, registry.PARTICIPANTS, registry.CHILDREN, *(reseal_step(f) for f in sealed)]
