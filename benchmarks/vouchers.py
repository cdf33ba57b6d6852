"""Voucher issuance speed on PostgreSQL.

    .venv/bin/python benchmarks/vouchers.py [--vouchers 100000]

Creates a scratch database with --vouchers registered participants and an eligible transport-voucher
decision for each (inserted directly: the set-up is not what is measured), then issues one voucher per
decision in one all-or-nothing batch, as `grants vouchers issue-batch` does: decisions and participants
checked, codes made and sealed, every commitment posted in the ledger, vouchers written.
The last line is one JSON object. (Provider claims are not built yet, so claims_100k_s is absent.)
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

    system = Actor.system("benchmark")
    await dimensions.create(system, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(system, "programme", "TRANSPORT", "Transport vouchers", "EUR")
    await service.apply_one(
        system, Operation(Kind.BUDGET_LOAD, Target("ESF", "TRANSPORT"), 10**13, "load", DAY)
    )
    vault, now = get_vault(), utcnow()
    participants, decisions = [], []
    for i in range(n):
        participant, decision = new_id("par"), new_id("dec")
        personal = {
            "given_name": "P",
            "family_name": f"N{i}",
            "date_of_birth": "1990-04-17",
            "gender": "female",
        }
        participants.append(
            (participant, vault.seal(personal, f"participant:{participant}"), "active", now, now)
        )
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
            "participant", ("public_id", "personal", "status", "created_at", "updated_at"), participants
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


async def issue_figures(n: int) -> dict[str, float]:
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
    finally:
        await close_pool()
    print(f"issued {n:,} transport vouchers with their commitments in {elapsed:.2f} s ({n / elapsed:,.0f}/s)")
    return {"issue_100k_s": round(elapsed * 100_000 / n, 3), "issue_vouchers": n}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vouchers", type=int, default=100_000)
    args = parser.parse_args()
    database = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    os.environ["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    from app.core.crypto import generate_secret_key

    os.environ.setdefault("GRANTS_SECRET_KEY", generate_secret_key())
    try:
        figures = asyncio.run(issue_figures(args.vouchers))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}"'))
    print("target: 100,000 vouchers issued with their commitments in under 10 s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
