"""Shared set-up for ledger tests: a fund and programme, and shorthand for operations."""

from __future__ import annotations

import datetime as dt
import itertools

from app.ledger import dimensions, service
from app.ledger.operations import Kind, Operation, Target
from tests.support import SYSTEM

FUND, PROGRAMME = "ESF", "CHILDCARE"
TARGET = Target(FUND, PROGRAMME)
DAY = dt.date(2026, 10, 15)
_keys = itertools.count(1)


async def setup_dimensions(currency: str = "EUR") -> None:
    await dimensions.create(SYSTEM, "fund", FUND, "European Social Fund", currency)
    await dimensions.create(SYSTEM, "programme", PROGRAMME, "Childcare vouchers", currency)


def op(
    kind: Kind,
    amount: int,
    party: str = "",
    key: str | None = None,
    day: dt.date = DAY,
    target: Target = TARGET,
) -> Operation:
    return Operation(
        kind=kind,
        target=Target(target.fund, target.programme, party),
        amount=amount,
        idempotency_key=key or f"test-{next(_keys)}",
        effective_date=day,
        reference_type="test",
        reference_id="ref-1",
    )


async def do(kind: Kind, amount: int, party: str = "", key: str | None = None, day: dt.date = DAY):
    return await service.apply_one(SYSTEM, op(kind, amount, party, key, day))
