"""Reconciliation speed on PostgreSQL (a scratch database, dropped afterwards).

    .venv/bin/python benchmarks/reconciliation.py [--entries 100000] [--postings 1000000]

- reconcile_100k_s: a camt.053 of --entries booked entries (each paying one instruction by its EndToEndId)
  imported and matched against as many settled SEPA instructions: parse, account and sequence checks,
  bookings written (COPY), matches found and written, booking states set; one transaction. The
  instructions were settled by the bank's pain.002 before (the usual order), so matching posts nothing.
- checks_1m_s: every named check (`grants reconcile run`'s checks) as at the statement's day, with
  --postings postings in the ledger (posted through the ledger service: commitments of vouchers, two
  postings each, spread over the 30 days before; the vouchers' rows are seeded with them, so the records
  agree). The world is consistent, so every check holds (the run fails otherwise). A ledger balance as at D is
  the kept balance less the postings dated after D: exact (the run checks it against a SUM over every posting,
  `ledger_sum_s`), and as at the latest day it reads no posting. `checks_past_s`: the same checks as at 15
  days before, which read the postings after that day (about half of them).
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
OPENING = 10**14  # the budget loaded (cash at bank before the payments)
SPREAD_DAYS = 30  # the commitments are dated over the days before DAY


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def seed_instructions(n: int) -> list[tuple[str, int, str]]:
    from app.core.db import write_transaction
    from app.core.sql import Sql

    sent = dt.datetime.combine(DAY - dt.timedelta(days=2), dt.time(12), dt.UTC)
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


def commit_day(n: int, total: int) -> dt.date:
    return DAY - dt.timedelta(days=SPREAD_DAYS - (n * SPREAD_DAYS) // total)


async def seed_vouchers(start: int, size: int, total: int) -> None:
    """The voucher rows behind a batch of commitments (issued on their commitment's day)."""
    from app.core.db import write_transaction
    from app.core.sql import Sql

    def row(n: int) -> tuple:
        at = dt.datetime.combine(commit_day(n, total), dt.time(12), dt.UTC)
        return (f"vch_{n:016d}", "childcare", f"dec_{n:016d}", "par_bench", "prv_bench", "provider", "ESF",
                "CHILDCARE", "EUR", "week", 100, 0, DAY, DAY, 100, 0, 0, "active", "", f"code_{n}", "", "",
                "bench", at, at)  # fmt: skip

    async with write_transaction():
        await Sql().insert_many(
            "voucher",
            ("public_id", "kind", "decision", "participant", "provider", "mode", "fund", "programme",
             "currency", "period", "value_minor", "authorised_hours", "valid_from", "valid_until",
             "total_minor", "claimed_minor", "released_minor", "status", "status_reason", "code_index",
             "code_sealed", "holder_check", "created_by", "created_at", "updated_at"),
            (row(n) for n in range(start, start + size)),
            count=size,
        )  # fmt: skip


async def fill_ledger(postings: int, paid: int) -> int:
    """The budget load, the bank payments of the statement (one journal entry: cash at bank to expense,
    so the bank check ties), and commitments of vouchers up to `postings` postings."""
    from app.core.actor import Actor
    from app.ledger import dimensions
    from app.ledger import service as ledger
    from app.ledger.operations import AccountKey, Kind, Leg, Operation, Target

    system = Actor.system("benchmark")
    target = Target("ESF", "CHILDCARE")
    start = DAY - dt.timedelta(days=SPREAD_DAYS + 1)
    await dimensions.create(system, "fund", "ESF", "Fund", "EUR")
    await dimensions.create(system, "programme", "CHILDCARE", "Programme", "EUR")
    await ledger.apply_one(system, Operation(Kind.BUDGET_LOAD, target, OPENING, "load", start))
    await ledger.journal(
        system,
        (
            Leg(AccountKey("5100", "ESF", "CHILDCARE"), paid),
            Leg(AccountKey("1010", "ESF", "CHILDCARE"), -paid),
        ),
        idempotency_key="bench-payments",
        effective_date=DAY,
        description="the statement's payments",
    )
    made, n = 6, 0
    commits = (postings - made + 1) // 2
    while made < postings:
        size = min(100_000, (postings - made + 1) // 2)
        await seed_vouchers(n, size, commits)
        ops = [Operation(Kind.COMMIT, target, 100, f"fill:{n + i}", commit_day(n + i, commits), "bench",
                         "voucher", f"vch_{n + i:016d}") for i in range(size)]  # fmt: skip
        await ledger.apply(system, ops)
        n += size
        made += 2 * size
        print(f"  ledger: {made:,} postings", flush=True)
    return made


def statement_file(rows: list[tuple[str, int, str]]) -> bytes:
    """The camt.053 written a part at a time (the bank's file; not counted in the import's memory)."""
    from tests.reconciliation.statements import Entry, Statement, Tx, camt053_parts

    total = sum(amount for _, amount, _ in rows)
    head = Statement(IBAN, statement_id="BENCH-1", sequence=1, opening_minor=OPENING, day=DAY,
                     closing_minor=OPENING - total)  # fmt: skip
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
        paid = sum(amount for _, amount, _ in rows)
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

        made = await fill_ledger(args.postings, paid)
        best, results, each = await timed_checks(DAY)
        past, past_results, past_each = await timed_checks(DAY - dt.timedelta(days=15))
        for label, times in (("as at the day", each), ("15 days before", past_each)):
            print(f"  {label}: " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds in times.items()))
        async with write_transaction():
            sql = Sql()
            start = time.perf_counter()
            await sql.fetch("SELECT SUM(amount) FROM ledger_posting")
            sum_anchor = time.perf_counter() - start
            start = time.perf_counter()
            for code in ("1010", "2110", "2120", "8300", "1310"):
                kept = {k: v for k, v in (await checks._ledger_by(sql, code, DAY)).items() if v}
                summed = {k: v for k, v in (await checks.ledger_from_postings(sql, code, DAY)).items() if v}
                assert kept == summed, (code, kept, summed)
            ledger_sum_s = time.perf_counter() - start
        for label, found in (("as at the statement's day", results), ("15 days before", past_results)):
            failed = [(r.name, r.currency, r.drift_minor, r.evidence[:2]) for r in found if not r.ok]
            assert not failed, (label, failed)
        print(
            f"checks over {made:,} postings as at {DAY}: {best:.3f} s "
            f"({len(results)} of {len(results)} hold); "
            "ledger figures are kept balances less the postings dated after the day: exact, equal to the "
            f"sums over all {made:,} postings ({ledger_sum_s:.3f} s to sum them per account)"
        )
        print(
            f"checks as at {DAY - dt.timedelta(days=15)} (reading the postings after it): {past:.3f} s "
            f"({len(past_results)} of {len(past_results)} hold)"
        )
        return {
            "entries": args.entries,
            "reconcile_100k_s": round(reconcile_s, 3),
            "anchor_parse_s": round(parse_anchor, 3),
            "reconcile_to_parse_ratio": round(reconcile_s / parse_anchor, 1),
            "postings": made,
            "checks_1m_s": round(best, 3),
            "checks_past_s": round(past, 3),
            "ledger_sum_s": round(ledger_sum_s, 3),
            "anchor_sum_s": round(sum_anchor, 3),
            "checks_to_sum_ratio": round(best / sum_anchor, 1),
            "peak_mib": round(peak_mib(), 1),
        }
    finally:
        await close_pool()


async def timed_checks(day: dt.date) -> tuple[float, list, dict[str, float]]:
    """The best of three runs of every check as at `day`, and each check's time in the best run."""
    from app.core.db import write_transaction
    from app.core.sql import Sql
    from app.reconciliation import checks

    best, results, each = float("inf"), [], {}
    async with write_transaction():
        for _ in range(3):
            found, times = [], {}
            for name, check in checks.CHECKS:
                start = time.perf_counter()
                found += await check(Sql(), day)
                times[name] = time.perf_counter() - start
            if sum(times.values()) < best:
                best, results, each = sum(times.values()), found, times
    return best, results, each


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
