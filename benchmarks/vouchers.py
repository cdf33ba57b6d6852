"""Voucher issuance speed on PostgreSQL.

    .venv/bin/python benchmarks/vouchers.py [--vouchers 100000]

Creates a scratch database with --vouchers registered participants and an eligible transport-voucher
decision for each (inserted directly: the set-up is not what is measured), then issues one voucher per
decision in one all-or-nothing batch, as `grants vouchers issue-batch` does: decisions and participants
checked, codes made and sealed, every commitment posted in the ledger, vouchers written.
Then a provider's claim CSV of --claim-lines lines (eight weekly lines each on --claim-lines/8 of those
vouchers) is parsed, judged and recorded, as POST /api/v1/claims/csv does; its
time and the peak memory Python allocated for it (tracemalloc, a separate run on fresh vouchers) are
printed. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DAY = dt.date(2026, 3, 2)


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def seed(n: int) -> list[str]:
    """n participants and one eligible transport decision each; returns the decision ids."""
    from app.core.actor import Actor
    from app.core.crypto import get_vault
    from app.core.db import utcnow, write_transaction
    from app.core.ids import new_id
    from app.core.sql import Sql
    from app.ledger import dimensions, service
    from app.ledger.operations import Kind, Operation, Target
    from app.registry.personal import birth_date_hasher

    system = Actor.system("benchmark")
    await dimensions.create(system, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(system, "programme", "TRANSPORT", "Transport vouchers", "EUR")
    await service.apply_one(
        system, Operation(Kind.BUDGET_LOAD, Target("ESF", "TRANSPORT"), 10**13, "load", DAY)
    )
    vault, now, birth_hash = get_vault(), utcnow(), birth_date_hasher()
    participants, decisions = [], []
    for i in range(n):
        participant, decision = new_id("par"), new_id("dec")
        personal = {
            "given_name": "P",
            "family_name": f"N{i}",
            "date_of_birth": "1990-04-17",
            "gender": "female",
        }
        sealed = vault.seal(personal, f"participant:{participant}")
        hashed = birth_hash("participant", participant, personal["date_of_birth"])  # as registration does
        participants.append((participant, sealed, hashed, "active", now, now))
        outputs = json.dumps({"amount": "60.00", "frequency": "monthly"})
        decisions.append(
            (
                decision,
                "transport_voucher",
                "v",
                DAY,
                True,
                6000,
                "EUR",
                outputs,
                "[]",
                "x",
                participant,
                "system",
                now,
            )
        )
    async with write_transaction():
        sql = Sql()
        await sql.insert_many(
            "participant",
            ("public_id", "personal", "birth_date_hash", "status", "created_at", "updated_at"),
            participants,
        )
        await sql.insert_many(
            "eligibility_decision",
            (
                "public_id",
                "programme",
                "version",
                "as_of",
                "eligible",
                "amount_minor",
                "currency",
                "outputs",
                "failed",
                "sealed",
                "participant",
                "created_by",
                "created_at",
            ),
            decisions,
        )
    return [d[0] for d in decisions]


async def issue_figures(n: int, claim_lines: int) -> dict[str, float]:
    from app.bootstrap import init_database
    from app.core.actor import Actor
    from app.core.db import close_pool, start_pool
    from app.vouchers.service import IssueRequest, issue_many

    await init_database()
    await start_pool(2, 4)
    try:
        decisions = await seed(n)
        requests = [IssueRequest(d, "ESF", DAY, dt.date(2026, 8, 31)) for d in decisions]
        marks: list[tuple[str, float]] = []
        started = time.perf_counter()
        issued = await issue_many(
            Actor.system("benchmark"),
            requests,
            batch=True,
            progress=lambda s: marks.append((s, time.perf_counter())),
        )
        elapsed = time.perf_counter() - started
        ends = [t for _, t in marks[1:]] + [started + elapsed]
        print(
            "  " + ", ".join(f"{stage} {end - t:.2f} s" for (stage, t), end in zip(marks, ends, strict=True))
        )
        assert len(issued) == n and issued[0]["total"] == "360.00"
        claim_figures = await claims_figures(issued, claim_lines)
    finally:
        await close_pool()
    print(f"issued {n:,} transport vouchers with their commitments in {elapsed:.2f} s ({n / elapsed:,.0f}/s)")
    return {"issue_100k_s": round(elapsed * 100_000 / n, 3), "issue_vouchers": n, **claim_figures}


def claim_csv(vouchers: list[dict], lines: int) -> bytes:
    """Eight weekly lines of a transport operator's journeys per voucher, Monday to Friday, from the
    vouchers' first week (all within the 60-day deadline on the day the claim is made)."""
    rows = ["voucher_code,child_birth_date,service_start,service_end,days_attended,amount"]
    for voucher in vouchers[: lines // 8]:
        for week in range(8):
            start = DAY + dt.timedelta(weeks=week)
            end = start + dt.timedelta(days=4)
            rows.append(f"{voucher['code']},1990-04-17,{start},{end},5,60.00")
    return ("\n".join(rows) + "\n").encode()


async def claims_figures(vouchers: list[dict], lines: int) -> dict[str, float]:
    from app.core.actor import Actor
    from app.core.roles import Role
    from app.registry.organisations import LicenceView, add_licence, create_provider
    from app.vouchers import claim_csv as parser
    from app.vouchers import claims

    system = Actor.system("benchmark")
    provider = await create_provider(
        system, name="Benchmark Buses", service="transport"
    )  # transport vouchers
    await add_licence(system, provider.id, LicenceView("B-1", dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
    actor = Actor(
        None,
        "usr_benchmark00000000",
        "provider clerk",
        frozenset({Role.PROVIDER}),
        0,
        provider.id,
        "provider",
    )
    today = DAY + dt.timedelta(weeks=9)
    half = len(vouchers) // 2
    timed_set, traced_set = vouchers[:half], vouchers[half:]
    body = claim_csv(timed_set, lines)
    started = time.perf_counter()
    claim = await claims.submit(actor, DAY, today, parser.parse(body), today, source="csv")
    elapsed = time.perf_counter() - started
    accepted = sum(1 for line in claim["lines"] if line["outcome"] == "accepted")
    traced = claim_csv(traced_set, lines)
    tracemalloc.start()
    await claims.submit(actor, DAY, today, parser.parse(traced), today, source="csv")
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    count = len(claim["lines"])
    print(
        f"claim CSV of {count:,} lines ({len(body) / 2**20:.1f} MiB) parsed, judged and recorded "
        f"in {elapsed:.2f} s "
        f"({accepted:,} accepted); peak {peak:,.0f} MiB"
    )
    return {
        "claims_100k_s": round(elapsed * 100_000 / count, 3),
        "claims_lines": count,
        "claims_peak_mib": round(peak, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vouchers", type=int, default=100_000)
    parser.add_argument("--claim-lines", type=int, default=100_000)
    args = parser.parse_args()
    database = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    os.environ["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    from app.core.crypto import generate_secret_key

    os.environ.setdefault("GRANTS_SECRET_KEY", generate_secret_key())
    try:
        figures = asyncio.run(issue_figures(args.vouchers, args.claim_lines))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}"'))
    print(
        "targets: 100,000 vouchers issued with their commitments in under 10 s; "
        "a 100,000-line claim in under 20 s"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
