"""Service paths that post one ledger entry, end to end through the service layer on PostgreSQL, with the
statements (round trips) each sends.

    .venv/bin/python benchmarks/services.py [--n 100]

Creates a scratch database (a fund, the childcare and wage-subsidy programmes with a budget, a
household with a child, a licensed provider, a verified employer, one user per role), then --n times
each, one at a time as people do them:
- issue one voucher (caseworker): the decision checked, the voucher written, its value committed;
- submit a claim of one line (provider user): the voucher locked and drawn down, the claim recorded;
- approve that claim (finance officer): the expenditure posted (committed → expended, a payable);
- record a payment of it (finance officer, POST /ledger/payments: the fund's currency, then `pay`);
- sign a wage-subsidy agreement (caseworker): the rule decided and stored, the agreement written, its
  maximum committed.
Each line gives calls/s, p50 and p95 in ms, and the statements sent per call (counted on asyncpg's
connections; BEGIN and COMMIT count). The one-entry ledger posting inside each is one statement on
PostgreSQL; raw asyncpg one-entry-per-commit takes five (benchmarks/ledger.py). The last line is one
JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Run as a script, this folder comes first on sys.path; a file named like a standard module would shadow the
# standard library's `http` (which httpx imports): the folder goes last instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from roundtrips import counting  # noqa: E402 (after the path fix)

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DAY = dt.date(2026, 3, 2)
SHOW_STATEMENTS = False


def case_for(child: str) -> dict[str, Any]:
    """A family of one parent and one child (the registry's child: a voucher is issued per child)."""
    return {
        "members": [
            {"id": "parent", "role": "parent", "birth_date": "1990-04-01", "activity": "employment",
             "weekly_activity_hours": 30, "activity_start": "2025-06-01", "monthly_income": "1200.00"},
            {"id": child, "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 35},
        ]
    }  # fmt: skip


AGREEMENT = {
    "fund": "ESF",
    "agreement_date": dt.date(2026, 1, 5),
    "labour_law_declaration_signed": True,
    "layoffs_same_role_last_90_days": False,
    "employed_by_employer_last_12_months": False,
}


def url_for(database: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


class World:
    """Who acts and on what: made once, not measured."""

    async def build(self, tag: str = "") -> World:
        """`tag` tells apart the people and organisations of a second world in the same database."""
        import msgspec

        from app.core.actor import Actor
        from app.core.roles import Role
        from app.core.users import actor_for_email, create_user
        from app.ledger import dimensions
        from app.ledger import service as ledger
        from app.ledger.operations import Kind, Operation, Target
        from app.ledger.tables import Fund
        from app.registry import organisations
        from app.registry.households import add_child, create_household
        from app.registry.organisations import LicenceView
        from app.registry.participants import register
        from app.registry.personal import ChildPersonal, ParticipantPersonal

        system = Actor.system("benchmark")
        if not await Fund.exists().where(Fund.code == "ESF"):  # a second world shares the budget
            await dimensions.create(system, "fund", "ESF", "European Social Fund", "EUR")
            for programme in ("CHILDCARE", "WAGE-SUBSIDY"):
                await dimensions.create(system, "programme", programme, programme.title(), "EUR")
                load = Operation(Kind.BUDGET_LOAD, Target("ESF", programme), 10**12, f"load:{programme}", DAY)
                await ledger.apply_one(system, load)
        household = (await create_household(system, "North")).id
        person = {
            "given_name": "Ana",
            "family_name": f"Bench{tag}",
            "date_of_birth": dt.date(1990, 4, 1),
            "gender": "female",
        }
        self.participant = (
            await register(system, msgspec.convert(person, ParticipantPersonal), household)
        ).id
        child = ChildPersonal(given_name="Ada", family_name="Bench", date_of_birth=dt.date(2024, 5, 10))
        self.child = (await add_child(system, household, child)).id
        self.provider = (await organisations.create_provider(system, name=f"Bench Nursery{tag}")).id
        licence = LicenceView("L-1", dt.date(2025, 1, 1), dt.date(2027, 12, 31))
        await organisations.add_licence(system, self.provider, licence)
        self.employer = (
            await organisations.create_employer(
                system, name=f"Bench Ltd{tag}", registration_number=f"R-1{tag}"
            )
        ).id
        await organisations.verify_employer(system, self.employer)
        actors = {}
        for key, role, org in (
            ("caseworker", Role.CASEWORKER, None),
            ("provider", Role.PROVIDER, self.provider),
            ("finance", Role.FINANCE_OFFICER, None),
        ):
            email = f"{key}{tag}@bench.example.org"
            await create_user(
                system, email=email, display_name=key, roles=frozenset({role}), organisation=org
            )
            actors[key] = await actor_for_email(email)
        self.caseworker, self.provider_user, self.finance = (
            actors["caseworker"],
            actors["provider"],
            actors["finance"],
        )
        return self


async def timed(
    label: str, n: int, call: Callable[[int], Awaitable[Any]]
) -> tuple[dict[str, float], list[Any]]:
    """Each of n calls timed and its statements counted."""
    shown: list[str] = []
    with counting(shown):
        await call(-1)  # warm up: prepared statements, caches
    if SHOW_STATEMENTS:
        print(f"{label}, the statements of one call:")
        for text in shown:
            print(f"    {text[:150]}")
    latencies, statements, results = [], [], []
    for i in range(n):
        with counting() as sent:
            started = time.perf_counter()
            results.append(await call(i))
            latencies.append((time.perf_counter() - started) * 1000)
        statements.append(sent["total"])
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1] if n >= 20 else max(latencies)
    rate = n / (sum(latencies) / 1000)
    per_call = statistics.mean(statements)
    print(
        f"{label:34s} {rate:7,.0f}/s  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {per_call:5.1f} statements",
        flush=True,
    )
    key = label.replace(" ", "_").replace("-", "_")
    return {
        f"{key}_per_s": round(rate, 1),
        f"{key}_p50_ms": round(p50, 3),
        f"{key}_p95_ms": round(p95, 3),
        f"{key}_statements": per_call,
    }, results


async def figures(n: int) -> dict[str, Any]:
    from app.bootstrap import init_database
    from app.core.db import close_pool, start_pool
    from app.eligibility import service as eligibility
    from app.ledger import api as ledger_api
    from app.ledger import service as ledger
    from app.ledger.operations import Kind, Operation, Target
    from app.vouchers import claims, service
    from app.wage_subsidies import placements
    from app.wage_subsidies.schemas import AgreementIn

    await init_database()
    await start_pool(2, 4)
    try:
        world = await World().build()
        decisions = [
            (
                await eligibility.evaluate(
                    world.caseworker, "childcare_voucher", case_for(world.child), DAY, world.participant
                )
            )["id"]
            for _ in range(n + 1)
        ]
        out: dict[str, Any] = {}

        async def issue(i: int) -> dict[str, Any]:
            request = service.IssueRequest(
                decisions[i], "ESF", dt.date(2026, 3, 2), dt.date(2026, 3, 29), world.child
            )
            return (await service.issue_many(world.caseworker, [request]))[0]

        figures_, vouchers = await timed("issue one voucher", n, issue)
        out.update(figures_)

        async def submit(i: int) -> dict[str, Any]:
            code = vouchers[i]["code"] if i >= 0 else vouchers[0]["code"]
            line = claims.LineIn(code, dt.date(2024, 5, 10), DAY, dt.date(2026, 3, 6), 5, "260.00")
            start = DAY if i >= 0 else dt.date(2026, 3, 9)  # the warm-up claims another week
            if i < 0:
                line = claims.LineIn(code, dt.date(2024, 5, 10), start, dt.date(2026, 3, 13), 5, "260.00")
            return await claims.submit(
                world.provider_user, dt.date(2026, 3, 1), dt.date(2026, 3, 31), [line], dt.date(2026, 3, 20)
            )

        figures_, submitted = await timed("submit a claim of one line", n, submit)
        out.update(figures_)
        warm_claim = (await submit(-1))["id"]

        async def approve(i: int) -> dict[str, Any]:
            claim = submitted[i]["id"] if i >= 0 else warm_claim
            return await claims.approve(world.finance, claim, None, dt.date(2026, 3, 20))

        figures_, approved = await timed("approve that claim", n, approve)
        out.update(figures_)
        assert all(a["status"] == "approved" for a in approved), approved[0]

        async def pay(i: int) -> Any:
            # What POST /ledger/payments does behind its guard and body checks.
            currency = await ledger_api._currency("ESF")
            from app.core.money import to_minor

            operation = Operation(
                Kind.PAY,
                Target("ESF", "CHILDCARE", world.provider),
                to_minor("1.00", currency),
                f"pay:{i}",
                dt.date(2026, 3, 25),
                "Payment",
                "payment",
                f"pmt_{i}",
            )
            return await ledger.apply_one(world.finance, operation)

        figures_, _ = await timed("record a payment", n, pay)
        out.update(figures_)

        proposed = []
        for _ in range(n + 1):
            participant = await _participant(len(proposed))
            body = placements.PlacementIn(
                world.employer, participant, "Warehouse assistant", dt.date(2026, 1, 12), 4000, "2400.00"
            )
            proposed.append((await placements.create_placement(world.caseworker, body))["id"])

        async def sign(i: int) -> dict[str, Any]:
            return await placements.sign_agreement(world.caseworker, proposed[i], AgreementIn(**AGREEMENT))

        figures_, _ = await timed("sign a wage-subsidy agreement", n, sign)
        out.update(figures_)
        return out
    finally:
        await close_pool()


async def _participant(i: int) -> str:
    import msgspec

    from app.core.actor import Actor
    from app.registry.participants import register
    from app.registry.personal import ParticipantPersonal

    person = {
        "given_name": "Wage",
        "family_name": f"Bench{i}",
        "date_of_birth": dt.date(1985, 1, 1),
        "gender": "male",
        "national_id": f"XQ-{i:06d}",
    }
    return (await register(Actor.system(), msgspec.convert(person, ParticipantPersonal), None)).id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="calls of each path")
    parser.add_argument("--statements", action="store_true", help="print the statements of each path")
    args = parser.parse_args()
    global SHOW_STATEMENTS
    SHOW_STATEMENTS = args.statements
    name = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    os.environ["GRANTS_DATABASE_URL"] = url_for(name)
    os.environ.setdefault("GRANTS_SECRET_KEY", "YmVuY2htYXJrLWtleS1ub3QtYS1zZWNyZXQtMDAwMDA=")
    os.environ.setdefault("GRANTS_LEDGER_KEY", "YmVuY2htYXJrLWxlZGdlci1rZXktbm90LXNlY3JldCE=")
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    # One approval each: the claims are all one provider's for one week, and the second-approver limit
    # adds those up (the limit's check still runs).
    os.environ["GRANTS_SECOND_APPROVER_LIMIT_MINOR"] = str(10**12)
    try:
        out = asyncio.run(figures(args.n))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    out["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(f"load average (1 min): {out['load_average_1min']:.2f} on {os.cpu_count()} cores")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
