"""Budget workbook speed and memory on PostgreSQL over a large ledger and caseload.

    .venv/bin/python benchmarks/reports.py [--postings 1000000] [--participants 100000] [--no-recalc]

Creates a scratch database, fills it (postings through the ledger service in batches; participants and
their vouchers inserted in bulk, sealed as registration seals them), then in a fresh process builds the
report and writes the workbook, measuring the time and that process's peak memory (max RSS). The anchor,
measured in the same run, is raw asyncpg doing the one unavoidable read: summing the budgetary postings
by account and day. LibreOffice's recalculation of the written workbook is timed separately (`recalc_s`).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
FIRST_DAY = dt.date(2025, 1, 1)
MONTHS = 24
PAIRS = [
    ("ESF", "CHILDCARE"),
    ("ESF", "WAGES"),
    ("STATE", "CHILDCARE"),
    ("STATE", "TRANSPORT"),
    ("UNDP", "CASH"),
]
AS_OF = dt.date(2026, 12, 31)


def url_for(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _day(i: int) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=i % (MONTHS * 30))


async def seed_ledger(postings: int) -> int:
    """Budget loads, then commitments (2 postings each) and expenditures (4 postings each) spread over
    two years and five fund x programme pairs; returns the number of postings written."""
    from app.core.actor import Actor
    from app.ledger import dimensions, service
    from app.ledger.operations import Kind, Operation, Target

    system = Actor.system("benchmark")
    for fund in ("ESF", "STATE", "UNDP"):
        await dimensions.create(system, "fund", fund, fund, "USD" if fund == "UNDP" else "EUR")
    for programme in ("CHILDCARE", "WAGES", "TRANSPORT", "CASH"):
        await dimensions.create(
            system, "programme", programme, programme, "USD" if programme == "CASH" else "EUR"
        )
    loads = [Operation(Kind.BUDGET_LOAD, Target(f, p), 10**13, f"load:{f}:{p}", FIRST_DAY) for f, p in PAIRS]
    await service.apply(system, loads)
    written, i = 4 * len(loads), 0
    while written < postings:
        batch = []
        while written < postings and len(batch) < 100_000:
            fund, programme = PAIRS[i % len(PAIRS)]
            day = _day(i)
            batch.append(Operation(Kind.COMMIT, Target(fund, programme), 5_000, f"c:{i}", day))
            batch.append(
                Operation(Kind.EXPEND, Target(fund, programme, f"prv_{i % 500}"), 3_000, f"e:{i}", day)
            )
            written += 6
            i += 1
        await service.apply(system, batch)
        print(f"  postings written: {written:,}", flush=True)
    return written


async def seed_caseload(n: int) -> None:
    from app.core.crypto import get_vault
    from app.core.db import utcnow, write_transaction
    from app.core.sql import Sql

    vault, now = get_vault(), utcnow()
    genders = ("female", "male", "non_binary", "undisclosed")
    chunk = 10_000
    for start in range(0, n, chunk):
        people, vouchers = [], []
        for i in range(start, min(n, start + chunk)):
            participant = f"par_bench{i:08d}"
            birth = dt.date(1950 + i % 55, 1 + i % 12, 1 + i % 28).isoformat()
            personal = {
                "given_name": "P",
                "family_name": f"N{i}",
                "date_of_birth": birth,
                "gender": genders[i % 7 % 4],
            }
            people.append(
                (participant, vault.seal(personal, f"participant:{participant}"), "active", now, now)
            )
            fund, programme = PAIRS[i % len(PAIRS)]
            vouchers.append(
                (f"vch_bench{i:08d}", "childcare", f"dec_bench{i:08d}", participant, fund, programme,
                 "USD" if fund == "UNDP" else "EUR", "month", 100, _day(i), _day(i) + dt.timedelta(days=90),
                 300, 100 if i % 3 else 0, f"idx{i}", "x", "x")
            )  # fmt: skip
        async with write_transaction():
            sql = Sql()
            await sql.insert_many(
                "participant", ("public_id", "personal", "status", "created_at", "updated_at"), people
            )
            await sql.insert_many(
                "voucher",
                ("public_id", "kind", "decision", "participant", "fund", "programme", "currency", "period",
                 "value_minor", "valid_from", "valid_until", "total_minor", "claimed_minor", "code_index",
                 "code_sealed", "holder_check"),
                vouchers,
            )  # fmt: skip
    print(f"  participants written: {n:,}", flush=True)


async def seed(args: argparse.Namespace) -> int:
    from app.bootstrap import init_database
    from app.core.db import close_pool, start_pool

    await init_database()
    await start_pool(2, 4)
    try:
        postings = await seed_ledger(args.postings)
        await seed_caseload(args.participants)
        return postings
    finally:
        await close_pool()


async def anchor(url: str) -> float:
    """Raw asyncpg: the budgetary postings summed by account and day (the read the report cannot skip)."""
    connection = await asyncpg.connect(url)
    try:
        start = time.perf_counter()
        await connection.fetch(
            "SELECT account, effective_date, SUM(amount) FROM ledger_posting WHERE account IN "
            "(SELECT a.id FROM ledger_account a JOIN ledger_chart c ON c.id = a.chart "
            "WHERE c.track = 'budgetary') "
            "AND effective_date <= $1 GROUP BY account, effective_date",
            AS_OF,
        )
        return time.perf_counter() - start
    finally:
        await connection.close()


async def measure(out: Path) -> dict[str, float]:
    """In its own process, so max RSS is the report's own: build, then write the workbook."""
    from app.core.db import close_pool, start_pool
    from app.reports.service import build_report
    from app.reports.workbook import write_workbook

    await start_pool(1, 2)
    try:
        start = time.perf_counter()
        report = await build_report(AS_OF)
        built = time.perf_counter() - start
        write_workbook(report, out)
        total = time.perf_counter() - start
    finally:
        await close_pool()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"build_s": built, "budget_xlsx_1m_s": total, "peak_mib": peak, "facts": len(report.facts)}


def recalc_seconds(workbook: Path) -> float | None:
    if shutil.which("soffice") is None:
        return None
    from tests.reports.recalc import make_profile, recalculate

    with tempfile.TemporaryDirectory() as tmp:
        profile = make_profile(Path(tmp) / "profile")
        start = time.perf_counter()
        recalculate([workbook], profile, Path(tmp) / "out")
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--no-recalc", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the measuring child process
    args = parser.parse_args()
    os.environ.setdefault("GRANTS_SECRET_KEY", "YmVuY2htYXJrLWtleS1ub3QtYS1zZWNyZXQtMDAwMDA=")
    os.environ.setdefault("GRANTS_LEDGER_KEY", "YmVuY2htYXJrLWxlZGdlci1rZXktbm90LXNlY3JldDA=")
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    if args.measure:
        print(json.dumps(asyncio.run(measure(Path(args.measure)))))
        return

    name = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    os.environ["GRANTS_DATABASE_URL"] = url_for(name)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            postings = asyncio.run(seed(args))
            print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
            anchor_s = min(asyncio.run(anchor(url_for(name))) for _ in range(3))
            workbook = Path(tmp) / "budget.xlsx"
            child = subprocess.run(  # noqa: S603 (our own script)
                [sys.executable, __file__, "--measure", str(workbook)],
                check=True, capture_output=True, text=True, env=os.environ,
            )  # fmt: skip
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            recalc = None if args.no_recalc else recalc_seconds(workbook)
            size_kib = workbook.stat().st_size / 1024
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    figures.update(
        postings=postings,
        participants=args.participants,
        anchor_sql_s=anchor_s,
        ratio_to_anchor=figures["budget_xlsx_1m_s"] / anchor_s,
        recalc_s=recalc,
        workbook_kib=size_kib,
    )
    print(
        f"budget workbook over {postings:,} postings and {args.participants:,} participants: "
        f"{figures['budget_xlsx_1m_s']:.2f} s (build {figures['build_s']:.2f} s; target < 15 s), "
        f"peak {figures['peak_mib']:.0f} MiB (target < 800), {figures['facts']} fact rows, {size_kib:.0f} KiB"
    )
    print(
        f"anchor (raw asyncpg grouped sum of the postings): {anchor_s:.2f} s; "
        f"ratio {figures['ratio_to_anchor']:.2f}"
    )
    if recalc is not None:
        print(f"LibreOffice recalculation: {recalc:.1f} s")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
