"""Ledger speed on PostgreSQL, against raw asyncpg doing comparable work on the same server.

    .venv/bin/python benchmarks/ledger.py [--single 2000] [--batch 100000] [--fill-postings 1000000]

Creates a scratch database, runs, drops it. Figures:
- one batch of --batch entries through the service (mass voucher issuance), and raw asyncpg COPY of the
  same number of entries and postings;
- once both the ledger's and the raw tables hold --fill-postings postings: --single entries one per
  commit through the service (one commitment each: the one-round-trip path on PostgreSQL) and raw
  asyncpg inserting one entry with two postings and two balance updates per transaction, in turns
  (four rounds each, so the machine's load falls on both), with the statements each sends per entry;
- trial balance and budget position over the filled postings table, both current (from kept balances)
  and as of a past date (summed from postings).
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
# Run as a script, this folder comes first on sys.path; a file named like a standard module would shadow the
# standard library's `http` (which httpx imports): the folder goes last instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from roundtrips import counting  # noqa: E402 (after the path fix)

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DAY = dt.date(2026, 10, 15)
ROUNDS = 4


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


async def raw_single(connection: asyncpg.Connection, first: int, n: int) -> float:
    """n entries, one transaction each, numbered from `first`: seconds taken."""
    start = time.perf_counter()
    for i in range(first, first + n):
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
    return time.perf_counter() - start


async def raw_bulk(connection: asyncpg.Connection, n: int) -> float:
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


async def raw_fill(connection: asyncpg.Connection, postings: int) -> None:
    """The raw tables filled server-side to about `postings` postings (two per entry)."""
    have = await connection.fetchval("SELECT count(*) FROM raw_posting")
    entries = max(0, (postings - have) // 2)
    offset = 20_000_000
    await connection.execute(
        "INSERT INTO raw_entry SELECT g, 'f' || g, $1, 'commit', repeat('h', 64) "
        "FROM generate_series($2::bigint, $3::bigint) g",
        DAY,
        offset,
        offset + entries - 1,
    )
    await connection.execute(
        "INSERT INTO raw_posting SELECT 2 * g + s, g, 1 + s, CASE s WHEN 0 THEN 100 ELSE -100 END, $1 "
        "FROM generate_series($2::bigint, $3::bigint) g, generate_series(0, 1) s",
        DAY,
        offset,
        offset + entries - 1,
    )


# --- the service ------------------------------------------------------------------------------


async def figures(args: argparse.Namespace, url: str) -> dict[str, float]:
    from app.bootstrap import init_database
    from app.core.actor import Actor
    from app.core.db import close_pool, start_pool
    from app.ledger import dimensions, queries, service
    from app.ledger.operations import Kind, Operation, Target

    system = Actor.system("benchmark")
    target = Target("ESF", "CHILDCARE")
    await init_database()
    await start_pool(2, 4)
    raw = await asyncpg.connect(url)
    try:
        await raw.execute(RAW_SCHEMA)
        raw_bulk_rate = await raw_bulk(raw, args.batch)
        print(f"raw asyncpg: COPY of {args.batch:,} entries: {raw_bulk_rate:,.0f} entries/s", flush=True)
        await dimensions.create(system, "fund", "ESF", "Fund", "EUR")
        await dimensions.create(system, "programme", "CHILDCARE", "Programme", "EUR")
        await service.apply_one(system, Operation(Kind.BUDGET_LOAD, target, 10**14, "load", DAY))

        def commit(i: int, prefix: str) -> Operation:
            return Operation(Kind.COMMIT, target, 100, f"{prefix}:{i}", DAY, "voucher", "voucher", f"vch_{i}")

        batch_ops = [commit(i, "batch") for i in range(args.batch)]
        start = time.perf_counter()
        await service.apply(system, batch_ops)
        bulk = args.batch / (time.perf_counter() - start)
        print(f"service: one batch of {args.batch:,} entries: {bulk:,.0f} entries/s", flush=True)

        postings = 4 + 2 * args.batch
        filler = 0
        while postings < args.fill_postings:
            size = min(200_000, (args.fill_postings - postings + 1) // 2)
            await service.apply(system, [commit(filler + i, "fill") for i in range(size)])
            filler += size
            postings += 2 * size
        await raw_fill(raw, postings)
        for table in ("ledger_entry", "ledger_posting", "ledger_account", "raw_entry", "raw_posting"):
            await raw.execute(f"VACUUM ANALYZE {table}")  # as autovacuum would have by now
        await raw.execute("CHECKPOINT")
        print(f"postings in each table: {postings:,}", flush=True)

        async def service_single(first: int, n: int) -> float:
            start = time.perf_counter()
            for i in range(first, first + n):
                await service.apply_one(system, commit(i, "single"))
            return time.perf_counter() - start

        await service_single(-50, 50)  # warm up connections, prepared statements and caches
        await raw_single(raw, 1, 50)
        per_round = max(args.single // ROUNDS, 1)
        raw_seconds = service_seconds = 0.0
        for r in range(ROUNDS):
            with counting() as raw_sent:
                raw_seconds += await raw_single(raw, 100 + r * per_round, per_round)
            with counting() as service_sent:
                service_seconds += await service_single(r * per_round, per_round)
        n = per_round * ROUNDS
        raw_rate, single = n / raw_seconds, n / service_seconds
        service_trips, raw_trips = service_sent["total"] / per_round, raw_sent["total"] / per_round
        print(
            f"with {postings:,} postings in the table, {n:,} entries one per commit, in turns:\n"
            f"  raw asyncpg: {raw_rate:,.0f} entries/s ({raw_trips:.0f} statements each)\n"
            f"  service:     {single:,.0f} entries/s ({service_trips:.0f} statement each)",
            flush=True,
        )

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
            "raw_single_entries_per_s": raw_rate,
            "single_vs_raw": single / raw_rate,
            "single_statements_per_entry": service_trips,
            "raw_single_statements_per_entry": raw_trips,
            "bulk_entries_per_s": bulk,
            "raw_bulk_entries_per_s": raw_bulk_rate,
            "postings_in_table": postings,
            "trial_balance_s_1m": tb,
            "budget_position_s_1m": bp,
            "trial_balance_as_of_s_1m": tb_asof,
            "budget_position_as_of_s_1m": bp_asof,
            "trial_balance_before_any_posting_s_1m": tb_past,
        }
    finally:
        await raw.close()
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
    os.environ.setdefault("GRANTS_LEDGER_KEY", "YmVuY2htYXJrLWxlZGdlci1rZXktbm90LXNlY3JldCE=")
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    try:
        figures_ = asyncio.run(figures(args, url_for(name)))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    print()
    print(
        f"single entries: {figures_['single_entries_per_s']:,.0f}/s "
        f"= {figures_['single_vs_raw']:.2f} x raw asyncpg one entry per commit (target >= 0.8 x)"
    )
    print(
        f"bulk batch:     {figures_['bulk_entries_per_s']:,.0f}/s "
        f"= {figures_['bulk_entries_per_s'] / figures_['raw_bulk_entries_per_s']:.2f} x raw COPY "
        "(target >= 20,000/s)"
    )
    print(
        f"with {figures_['postings_in_table']:,} postings: "
        f"trial balance {figures_['trial_balance_s_1m']:.4f} s, "
        f"budget position {figures_['budget_position_s_1m']:.4f} s (current); as of a date: "
        f"{figures_['trial_balance_as_of_s_1m']:.3f} s and {figures_['budget_position_as_of_s_1m']:.3f} s "
        "(target < 1 s)"
    )
    figures_["load_average_1min"] = os.getloadavg()[0]
    print(f"load average (1 min): {figures_['load_average_1min']:.2f} on {os.cpu_count()} cores")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures_.items()}))


if __name__ == "__main__":
    main()
