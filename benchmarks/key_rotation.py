"""`grants keys rotate` speed on PostgreSQL: how long the one rotation transaction holds the tables.

    .venv/bin/python benchmarks/key_rotation.py [--people 20000]

Creates a scratch database with --people registered participants (sealed records, national-id index,
date-of-birth hashes, name-search tokens: inserted directly, as registration writes them) and an eligible
transport-voucher decision each (sealed), issues one voucher per decision (`issue_many`, as
`grants vouchers issue-batch` does), then times `rotate` with every step of `grants keys rotate`: each
sealed value opened and sealed again, each keyed hash recomputed, in one transaction. It then checks
one participant opens under the new key. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
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
OLD_KEY = base64.urlsafe_b64encode(b"benchmark old key, not a secret!").decode()
NEW_KEY = base64.urlsafe_b64encode(b"benchmark new key, not a secret!").decode()


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _person(i: int) -> dict[str, str]:
    return {
        "given_name": f"Given{i % 997}",
        "family_name": f"Family{i}",
        "date_of_birth": "1990-04-17",
        "gender": "female",
        "national_id": f"NID-{i:08d}",
    }


async def seed(n: int) -> list[str]:
    """n participants as registration writes them and a sealed eligible decision each; the decision ids."""
    from app.core.actor import Actor
    from app.core.crypto import get_vault
    from app.core.db import utcnow, write_transaction
    from app.core.ids import new_id
    from app.core.sql import Sql
    from app.ledger import dimensions, service
    from app.ledger.operations import Kind, Operation, Target
    from app.registry import name_index
    from app.registry.personal import birth_date_hasher, national_id_index

    system = Actor.system("benchmark")
    await dimensions.create(system, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(system, "programme", "TRANSPORT", "Transport vouchers", "EUR")
    await service.apply_one(
        system, Operation(Kind.BUDGET_LOAD, Target("ESF", "TRANSPORT"), 10**13, "load", DAY)
    )
    vault, now, birth_hash = get_vault(), utcnow(), birth_date_hasher()
    people, tokens, decisions = [], [], []
    for i in range(n):
        participant, decision, personal = new_id("par"), new_id("dec"), _person(i)
        people.append(
            (
                participant,
                vault.seal(personal, f"participant:{participant}"),
                national_id_index(personal["national_id"]),
                birth_hash("participant", participant, personal["date_of_birth"]),
                "active",
                now,
                now,
            )
        )
        tokens.append(name_index.stored_values(personal["given_name"], personal["family_name"]))
        sealed = vault.seal({"inputs": {}, "explanation": {}}, f"eligibility_decision:{decision}")
        outputs = json.dumps({"amount": "60.00", "frequency": "monthly"})
        decisions.append(
            (decision, "transport_voucher", "v", DAY, True, 6000, "EUR", outputs, "[]", sealed, participant,
             "system", now)
        )  # fmt: skip
    async with write_transaction():
        sql = Sql()
        await sql.insert_many(
            "participant",
            ("public_id", "personal", "national_id_index", "birth_date_hash", "status", "created_at",
             "updated_at"),
            people,
        )  # fmt: skip
        ids = await sql.fetch("SELECT id FROM participant ORDER BY id")
        rows = [(r["id"], value) for r, values in zip(ids, tokens, strict=True) for value in sorted(values)]
        await sql.insert_many("participant_name_token", ("participant", "token"), rows)
        await sql.insert_many(
            "eligibility_decision",
            ("public_id", "programme", "version", "as_of", "eligible", "amount_minor", "currency", "outputs",
             "failed", "sealed", "participant", "created_by", "created_at"),
            decisions,
        )  # fmt: skip
    return [d[0] for d in decisions]


def _timed(step, took: dict[str, float]):
    """The step, timing itself into `took`."""
    from app.core.key_rotation import Step

    async def run(rekey) -> int:
        started = time.perf_counter()
        try:
            return await step.run(rekey)
        finally:
            took[step.name] = time.perf_counter() - started

    return Step(step.name, run, step.covers)


async def figures(n: int) -> dict[str, float]:
    from app.bootstrap import init_database, rekey_steps
    from app.core.actor import Actor
    from app.core.db import close_pool, raw, start_pool
    from app.core.key_rotation import rotate
    from app.vouchers.service import IssueRequest, issue_many

    await init_database()
    await start_pool(2, 4)
    try:
        decisions = await seed(n)
        requests = [IssueRequest(d, "ESF", DAY, dt.date(2026, 8, 31)) for d in decisions]
        await issue_many(Actor.system("benchmark"), requests, batch=True)
        tokens = (await raw("SELECT COUNT(*) AS n FROM participant_name_token"))[0]["n"]
        old, new = base64.urlsafe_b64decode(OLD_KEY), base64.urlsafe_b64decode(NEW_KEY)
        took: dict[str, float] = {}
        started = time.perf_counter()
        done = await rotate(old, new, [_timed(step, took) for step in rekey_steps()])
        elapsed = time.perf_counter() - started
        print("  " + ", ".join(f"{name} {s:.2f} s" for name, s in took.items()))
        row = (await raw("SELECT public_id, personal FROM participant ORDER BY id LIMIT 1"))[0]
    finally:
        await close_pool()
    from app.core.crypto import Vault

    opened = Vault.from_master(new).open(row["personal"], f"participant:{row['public_id']}")
    assert opened["national_id"].startswith("NID-")
    print("  " + ", ".join(f"{name} {count:,}" for name, count in done.items()) + f"; {tokens:,} name tokens")
    print(f"rotated {n:,} participants and {n:,} vouchers and decisions in {elapsed:.2f} s")
    return {
        "rotate_people": n,
        "rotate_s": round(elapsed, 2),
        "rotate_100k_people_s": round(elapsed * 100_000 / n, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    database = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    os.environ["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    os.environ["GRANTS_SECRET_KEY"] = OLD_KEY
    os.environ.setdefault(
        "GRANTS_LEDGER_KEY", base64.urlsafe_b64encode(b"benchmark ledger key, no secret!").decode()
    )
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    try:
        result = asyncio.run(figures(args.people))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
