"""Reconciliation speed on PostgreSQL (a scratch database, dropped afterwards).

    .venv/bin/python benchmarks/reconciliation.py [--entries 100000] [--postings 1000000]

- reconcile_100k_s: a camt.053 of --entries booked entries (each paying one instruction by its EndToEndId)
  imported and matched against as many settled SEPA instructions: parse, account and sequence checks,
  bookings written (COPY), matches found and written, booking states set; one transaction. The
  instructions were settled by the bank's pain.002 before (the usual order), so matching posts nothing.
- checks_1m_s: every named check (`grants reconcile run`'s checks) with --postings postings in the ledger
  (posted through the ledger service: commitments, two postings each).
- peak_mib: the process's peak resident memory (the file itself is about 560 bytes an entry).
Anchors measured in the same run: lxml reading the same file without building records
(`anchor_parse_s`), and one SUM over all postings (`anchor_sum_s`); the ratios are printed.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

import asyncpg

# The repository root, not this folder: a benchmark named like a standard module
# would shadow it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
IBAN = "DE89370400440532013000"
DAY = dt.date(2026, 12, 1)


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed_instructions(n: int) -> list[tuple[str, int, str]]:
    from app.core.db import utcnow, write_transaction
    from app.core.sql import Sql

    sent = utcnow() - dt.timedelta(days=2)
    rows = [(f"pin_{i:016d}", 1_000 + i % 90_000, f"Provider {i}") for i in range(n)]
    async with write_transaction():
        await Sql().insert_many(
            "payment_instruction",
            ("public_id", "run", "payee", "payee_kind", "payee_name", "method", "detail", "currency",
             "amount_minor", "state", "message_id", "submitted_at", "settled_at"),
            ((pin, "prn_bench", f"prv_{i:016d}", "provider", name, "sepa", "pmd_bench", "EUR", amount,
              "settled",
              f"prn_bench-{i // 5000:03d}", sent, sent) for i, (pin, amount, name) in enumerate(rows)),
            count=n,
        )  # fmt: skip
    return rows


async def fill_ledger(postings: int) -> int:
    from app.core.actor import Actor
    from app.ledger import dimensions
    from app.ledger import service as ledger
    from app.ledger.operations import Kind, Operation, Target

    system = Actor.system("benchmark")
    target = Target("ESF", "CHILDCARE")
    await dimensions.create(system, "fund", "ESF", "Fund", "EUR")
    await dimensions.create(system, "programme", "CHILDCARE", "Programme", "EUR")
    await ledger.apply_one(system, Operation(Kind.BUDGET_LOAD, target, 10**14, "load", DAY))
    made, n = 4, 0
    while made < postings:
        size = min(100_000, (postings - made + 1) // 2)
        ops = [Operation(Kind.COMMIT, target, 100, f"fill:{n + i}", DAY, "bench", "voucher", f"vch_{n + i}")
               for i in range(size)]  # fmt: skip
        await ledger.apply(system, ops)
        n += size
        made += 2 * size
        print(f"  ledger: {made:,} postings", flush=True)
    return made


def statement_file(rows: list[tuple[str, int, str]]) -> bytes:
    """The camt.053 written a part at a time (the bank's file; not counted in the import's memory)."""
    from tests.reconciliation.statements import Entry, Statement, Tx, camt053_parts

    total = sum(amount for _, amount, _ in rows)
    head = Statement(IBAN, statement_id="BENCH-1", sequence=1, opening_minor=10**12, day=DAY,
                     closing_minor=10**12 - total)  # fmt: skip
    out = io.BytesIO()
    parts = list(camt053_parts(head))
    out.write("".join(parts[:-1]).encode())
    for i, (pin, amount, name) in enumerate(rows):
        one = Statement(IBAN, entries=[Entry(f"REF{i}", amount, booked=DAY, txs=(Tx(pin, amount, name),))])
        out.write(
            list(camt053_parts(one))[-2]
            .replace("<NtryRef>1</NtryRef>", f"<NtryRef>{i + 1}</NtryRef>")
            .encode()
        )
    out.write(parts[-1].encode())
    return out.getvalue()


def anchor_parse(data: bytes) -> float:
    from lxml import etree

    start = time.perf_counter()
    for _, el in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}Ntry"):
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return time.perf_counter() - start


async def figures(args: argparse.Namespace) -> dict[str, float]:
    from app.bootstrap import init_database
    from app.core.actor import Actor
    from app.core.db import close_pool, start_pool, write_transaction
    from app.core.sql import Sql
    from app.reconciliation import checks, service

    os.environ["GRANTS_RECON_ACCOUNTS"] = IBAN
    await init_database()
    await start_pool(2, 4)
    try:
        rows = await seed_instructions(args.entries)
        data = statement_file(rows)
        del rows
        print(f"statement: {args.entries:,} entries, {len(data) / 2**20:.1f} MiB", flush=True)
        parse_anchor = anchor_parse(data)
        finance = Actor(None, "usr_bench", "bench", frozenset({next(iter(service.RUNNERS))}))
        start = time.perf_counter()
        result = await service.import_statement(finance, data)
        reconcile_s = time.perf_counter() - start
        assert result["matched_bookings"] == args.entries, result
        del data
        print(
            f"imported and matched: {reconcile_s:.2f} s ({result['matched_instructions']:,} matched)",
            flush=True,
        )

        made = await fill_ledger(args.postings)
        async with write_transaction():
            sql = Sql()
            start = time.perf_counter()
            await sql.fetch("SELECT SUM(amount) FROM ledger_posting")
            sum_anchor = time.perf_counter() - start
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                results = await checks.run_all(sql, DAY)
                best = min(best, time.perf_counter() - start)
        held = sum(r.ok for r in results)
        print(f"checks over {made:,} postings: {best:.3f} s ({held} of {len(results)} hold)")
        return {
            "entries": args.entries,
            "reconcile_100k_s": round(reconcile_s, 3),
            "anchor_parse_s": round(parse_anchor, 3),
            "reconcile_to_parse_ratio": round(reconcile_s / parse_anchor, 1),
            "postings": made,
            "checks_1m_s": round(best, 3),
            "anchor_sum_s": round(sum_anchor, 3),
            "checks_to_sum_ratio": round(best / sum_anchor, 1),
            "peak_mib": round(peak_mib(), 1),
        }
    finally:
        await close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=1_000_000)
    args = parser.parse_args()
    database = f"grants_bench_recon_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    os.environ["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    os.environ.setdefault("GRANTS_SECRET_KEY", "YmVuY2htYXJrLWtleS1iZW5jaG1hcmsta2V5LTAxMjM=")
    os.environ.setdefault("GRANTS_LEDGER_KEY", "YmVuY2htYXJrLWxlZGdlci1rZXktbm90LXNlY3JldDA=")
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    try:
        result = asyncio.run(figures(args))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    print(
        f"reconcile {result['entries']:,}: {result['reconcile_100k_s']} s (target < 15 s; "
        f"{result['reconcile_to_parse_ratio']}x bare lxml); checks over {result['postings']:,} postings: "
        f"{result['checks_1m_s']} s (target < 2 s; {result['checks_to_sum_ratio']}x one SUM); "
        f"peak {result['peak_mib']} MiB (target < 500)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
