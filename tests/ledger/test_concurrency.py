"""Concurrent postings on PostgreSQL: the available-budget limit holds under real parallel transactions."""

from __future__ import annotations

import asyncio

import pytest

from app.core.db import close_pool, start_pool
from app.ledger import queries, service
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import Kind
from app.ledger.verify import verify
from tests.ledger.helpers import FUND, PROGRAMME, do, op, setup_dimensions
from tests.support import SYSTEM


@pytest.mark.postgres_only
async def test_twenty_concurrent_commitments_never_overdraw_the_budget():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 7_500)  # affords 7 commitments of 1,000, not 8
    await start_pool(20, 20)
    try:
        results = await asyncio.gather(
            *(service.apply_one(SYSTEM, op(Kind.COMMIT, 1_000, key=f"c{i}")) for i in range(20)),
            return_exceptions=True,
        )
    finally:
        await close_pool()
    succeeded = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LedgerRefusal)]
    assert len(succeeded) == 7
    assert len(refused) == 13
    assert {r.refusal for r in refused} == {Refusal.INSUFFICIENT_AVAILABLE_BUDGET}
    (pos,) = await queries.budget_position(fund=FUND, programme=PROGRAMME)
    assert (pos.available, pos.committed) == (500, 7_000)
    assert sorted(e.seq for e in succeeded) == list(range(2, 9))  # a gapless chain
    assert (await verify()).ok


@pytest.mark.postgres_only
async def test_the_same_key_sent_concurrently_posts_once():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    await start_pool(10, 10)
    try:
        results = await asyncio.gather(
            *(service.apply_one(SYSTEM, op(Kind.COMMIT, 1_000, key="only-once")) for _ in range(10))
        )
    finally:
        await close_pool()
    assert len({r.seq for r in results}) == 1
    (pos,) = await queries.budget_position(fund=FUND, programme=PROGRAMME)
    assert pos.committed == 1_000


async def test_sqlite_writers_queue_instead_of_failing():
    """On SQLite the IMMEDIATE write transaction makes concurrent posters wait their turn."""
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 5_500)
    results = await asyncio.gather(
        *(service.apply_one(SYSTEM, op(Kind.COMMIT, 1_000, key=f"s{i}")) for i in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 5
    assert all(isinstance(r, LedgerRefusal) for r in results if isinstance(r, BaseException))
    (pos,) = await queries.budget_position(fund=FUND, programme=PROGRAMME)
    assert pos.available == 500
