"""Ledger speed on PostgreSQL, against raw asyncpg doing comparable work on the same server.

    .venv/bin/python benchmarks/ledger.py [--single 2000] [--batch 100000] [--fill-postings 1000000]

Creates a scratch database, runs, drops it. Figures:
- single entries through the service (one commitment per transaction), and raw asyncpg inserting one
  entry with two postings and two balance updates per transaction;
- one batch of --batch entries through the service (mass voucher issuance), and raw asyncpg COPY of the
  same number of entries and postings;
- trial balance and budget position once the postings table holds --fill-postings rows, both current
  (from kept balances) and as of a past date (summed from postings).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DAY = dt.date(2026, 10, 15)


def url_for(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


# --- raw asyncpg baselines --------------------------------------------------------------------

RAW_SCHEMA = """
CREATE TABLE raw_account (id int PRIMARY KEY, balance bigint NOT NULL);
CREATE TABLE raw_entry (id bigint PRIMARY KEY, key text UNIQUE NOT NULL, effective_date date NOT NULL,
                        description text NOT NULL, hash text NOT NULL);
CREATE TABLE raw_posting (id bigint PRIMARY KEY, entry bigint NOT NULL REFERENCES raw_entry (id),
                          account int NOT NULL REFERENCES raw_account (id), amount bigint NOT NULL,
                          effective_date date NOT NULL);
CREATE INDEX ON raw_posting (account, effective_date);
INSERT INTO raw_account VALUES (1, 0), (2, 0);
"""


async def raw_single(url: str, n: int) -> float:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(RAW_SCHEMA)
        start = time.perf_counter()
        for i in range(1, n + 1):
            async with connection.transaction():
                await connection.execute(
                    "INSERT INTO raw_entry VALUES ($1, $2, $3, 'commit', $4)", i, f"k{i}", DAY, "h" * 64
                )
                await connection.executemany(
                    "INSERT INTO raw_posting VALUES ($1, $2, $3, $4, $5)",
                    [(2 * i, i, 1, 100, DAY), (2 * i + 1, i, 2, -100, DAY)],
                )
                await connection.executemany(
                    "UPDATE raw_account SET balance = balance + $2 WHERE id = $1", [(1, 100), (2, -100)]
                )
        return n / (time.perf_counter() - start)
    finally:
        await connection.close()


async def raw_bulk(url: str, n: int) -> float:
    connection = await asyncpg.connect(url)
    try:
        offset = 10_000_000
        entries = [(offset + i, f"b{i}", DAY, "commit", "h" * 64) for i in range(n)]
        postings = [
            row
            for i in range(n)
            for row in (
                (2 * (offset + i), offset + i, 1, 100, DAY),
                (2 * (offset + i) + 1, offset + i, 2, -100, DAY),
            )
        ]
        start = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table("raw_entry", records=entries)
            await connection.copy_records_to_table("raw_posting", records=postings)
            await connection.execute("UPDATE raw_account SET balance = balance + $1 WHERE id = 1", 100 * n)
            await connection.execute("UPDATE raw_account SET balance = balance - $1 WHERE id = 2", 100 * n)
        return n / (time.perf_counter() - start)
    finally:
        await connection.close()


# --- the service ------------------------------------------------------------------------------


async def service_figures(args: argparse.Namespace) -> dict[str, float]:
    from app.bootstrap import init_database
    from app.core.actor import Actor
    from app.core.db import close_pool, start_pool
    from app.ledger import dimensions, queries, service
    from app.ledger.operations import Kind, Operation, Target

    system = Actor.system("benchmark")
    target = Target("ESF", "CHILDCARE")
    await init_database()
    await start_pool(2, 4)
    try:
        await dimensions.create(system, "fund", "ESF", "Fund", "EUR")
        await dimensions.create(system, "programme", "CHILDCARE", "Programme", "EUR")
        await service.apply_one(system, Operation(Kind.BUDGET_LOAD, target, 10**14, "load", DAY))

        def commit(i: int, prefix: str) -> Operation:
            return Operation(Kind.COMMIT, target, 100, f"{prefix}:{i}", DAY, "voucher", "voucher", f"vch_{i}")

        for i in range(50):  # warm up connections and caches
            await service.apply_one(system, commit(i, "warm"))
        start = time.perf_counter()
        for i in range(args.single):
            await service.apply_one(system, commit(i, "single"))
        single = args.single / (time.perf_counter() - start)
        print(
            f"service: {args.single} single entries (one transaction each): {single:,.0f} entries/s",
            flush=True,
        )

        batch_ops = [commit(i, "batch") for i in range(args.batch)]
        start = time.perf_counter()
        await service.apply(system, batch_ops)
        bulk = args.batch / (time.perf_counter() - start)
        print(f"service: one batch of {args.batch:,} entries: {bulk:,.0f} entries/s", flush=True)

        postings = 4 + 2 * (50 + args.single + args.batch)
        filler = 0
        while postings < args.fill_postings:
            size = min(200_000, (args.fill_postings - postings + 1) // 2)
            await service.apply(system, [commit(filler + i, "fill") for i in range(size)])
            filler += size
            postings += 2 * size
        print(f"postings in the table: {postings:,}", flush=True)

        async def timed(coro_factory) -> float:
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                await coro_factory()
                best = min(best, time.perf_counter() - start)
            return best

        tb = await timed(lambda: queries.trial_balance())
        bp = await timed(lambda: queries.budget_position())
        tb_past = await timed(lambda: queries.trial_balance(as_of=DAY - dt.timedelta(days=1)))
        tb_asof = await timed(lambda: queries.trial_balance(as_of=DAY))
        bp_asof = await timed(lambda: queries.budget_position(as_of=DAY))
        assert (await queries.trial_balance(as_of=DAY)).balanced
        return {
            "single_entries_per_s": single,
            "bulk_entries_per_s": bulk,
            "postings_in_table": postings,
            "trial_balance_s_1m": tb,
            "budget_position_s_1m": bp,
            "trial_balance_as_of_s_1m": tb_asof,
            "budget_position_as_of_s_1m": bp_asof,
            "trial_balance_before_any_posting_s_1m": tb_past,
        }
    finally:
        await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--fill-postings", type=int, default=1_000_000)
    args = parser.parse_args()

    name = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    os.environ["GRANTS_DATABASE_URL"] = url_for(name)
    os.environ.setdefault("GRANTS_SECRET_KEY", "YmVuY2htYXJrLWtleS1ub3QtYS1zZWNyZXQtMDAwMDA=")
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    try:
        raw_single_rate = asyncio.run(raw_single(url_for(name), args.single))
        print(f"raw asyncpg: one entry per commit: {raw_single_rate:,.0f} entries/s", flush=True)
        raw_bulk_rate = asyncio.run(raw_bulk(url_for(name), args.batch))
        print(f"raw asyncpg: COPY of {args.batch:,} entries: {raw_bulk_rate:,.0f} entries/s", flush=True)
        figures = asyncio.run(service_figures(args))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    figures["raw_single_entries_per_s"] = raw_single_rate
    figures["raw_bulk_entries_per_s"] = raw_bulk_rate
    print()
    print(
        f"single entries: {figures['single_entries_per_s']:,.0f}/s "
        f"= {figures['single_entries_per_s'] / raw_single_rate:.2f} x raw asyncpg (target >= 500/s)"
    )
    print(
        f"bulk batch:     {figures['bulk_entries_per_s']:,.0f}/s "
        f"= {figures['bulk_entries_per_s'] / raw_bulk_rate:.2f} x raw COPY (target >= 20,000/s)"
    )
    print(
        f"with {figures['postings_in_table']:,} postings: "
        f"trial balance {figures['trial_balance_s_1m']:.4f} s, "
        f"budget position {figures['budget_position_s_1m']:.4f} s (current); as of a date: "
        f"{figures['trial_balance_as_of_s_1m']:.3f} s and {figures['budget_position_as_of_s_1m']:.3f} s "
        "(target < 1 s)"
    )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
