"""Payment run speed on PostgreSQL.

    .venv/bin/python benchmarks/payments.py [--payees 10000] [--claims-per-payee 5]

Creates a scratch database with --payees providers, each with confirmed SEPA details and
--claims-per-payee approved claims (rows and ledger entries inserted directly: the set-up is not what is
measured). Then, timed:
- run_10k_s: a run created (every payable gathered, one instruction per payee), approved, and released to
  the SEPA rail (files assigned, payable -> in transit posted);
- sepa_10k_s: the run's pain.001.001.09 files written (sepaxml, 5,000 transactions a file);
- xsd_10k_s: those files validated against the XSD (lxml), measured apart as tests do it;
- stripe_10k_s: a second world of --payees Stripe payees released through the real SDK with the recording
  fake HTTP client, and stripe_outside_sdk_share: the share of that time spent outside the SDK's calls;
- peak_mib: the process's peak resident memory.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
FUND, PROGRAMME = "ESF", "CHILDCARE"


async def admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def seed(payees: int, per_payee: int, method: str, first: bool) -> None:
    """Providers with confirmed payment details and approved claims (and their ledger entries)."""
    from schwifty import IBAN

    from app.core.actor import Actor
    from app.core.db import utcnow, write_transaction
    from app.core.ids import new_ids
    from app.core.sql import Sql
    from app.ledger import dimensions
    from app.ledger import service as ledger
    from app.ledger.operations import Kind, Operation, Target

    system = Actor.system("benchmark")
    if first:
        await dimensions.create(system, "fund", FUND, "European Social Fund", "EUR")
        await dimensions.create(system, "programme", PROGRAMME, "Childcare", "EUR")
        await ledger.apply_one(
            system, Operation(Kind.BUDGET_LOAD, Target(FUND, PROGRAMME), 10**14, "load", dt.date(2026, 1, 1))
        )
    ids, vouchers = new_ids("prv", payees), new_ids("vch", payees)
    claims = new_ids("clm", payees * per_payee)
    now, amount = utcnow(), 12_345
    async with write_transaction():
        sql = Sql()
        await sql.insert_many(
            "organisation",
            ("public_id", "kind", "name", "created_at"),
            [(p, "provider", f"Provider {i}", now) for i, p in enumerate(ids)],
        )
        detail_rows = []
        for i, (payee, detail) in enumerate(zip(ids, new_ids("pmd", payees), strict=True)):
            if method == "sepa":
                iban = IBAN.generate(
                    "DE", bank_code="37040044", account_code=f"{i + (0 if first else 5 * 10**8):010d}"
                ).compact
                bank = json.dumps({"iban": iban, "bic": "COBADEFFXXX", "holder": f"Provider {i}"})
                detail_rows.append(
                    (
                        detail,
                        payee,
                        "provider",
                        "sepa",
                        "",
                        bank,
                        False,
                        iban[-4:],
                        "confirmed",
                        "bench",
                        now,
                        "bench2",
                    )
                )
            else:
                detail_rows.append(
                    (
                        detail,
                        payee,
                        "provider",
                        "stripe",
                        f"acct_{payee[4:]}",
                        "",
                        False,
                        "",
                        "confirmed",
                        "bench",
                        now,
                        "bench2",
                    )
                )
        await sql.insert_many(
            "payment_detail",
            (
                "public_id",
                "payee",
                "payee_kind",
                "method",
                "stripe_account",
                "bank",
                "sealed",
                "masked",
                "status",
                "created_by",
                "created_at",
                "decided_by",
            ),
            detail_rows,
        )
        total = per_payee * amount
        await sql.insert_many(
            "voucher",
            (
                "public_id",
                "kind",
                "decision",
                "participant",
                "provider",
                "mode",
                "fund",
                "programme",
                "currency",
                "period",
                "value_minor",
                "authorised_hours",
                "valid_from",
                "valid_until",
                "total_minor",
                "claimed_minor",
                "released_minor",
                "status",
                "status_reason",
                "code_index",
                "code_sealed",
                "holder_check",
                "created_by",
                "created_at",
                "updated_at",
            ),
            [
                (
                    v,
                    "childcare",
                    f"dec_{v[4:]}",
                    "par_0000000000000000",
                    p,
                    "provider",
                    FUND,
                    PROGRAMME,
                    "EUR",
                    "week",
                    total,
                    0,
                    dt.date(2026, 1, 1),
                    dt.date(2026, 12, 31),
                    total,
                    total,
                    0,
                    "exhausted",
                    "",
                    v,
                    "",
                    "",
                    "bench",
                    now,
                    now,
                )
                for v, p in zip(vouchers, ids, strict=True)
            ],
        )
        owner = [(c, ids[i // per_payee], vouchers[i // per_payee]) for i, c in enumerate(claims)]
        await sql.insert_many(
            "voucher_claim",
            (
                "public_id",
                "provider",
                "period_start",
                "period_end",
                "status",
                "source",
                "currency",
                "claimed_minor",
                "accepted_minor",
                "approved_minor",
                "decided_reason",
                "submitted_by",
                "submitted_at",
            ),
            [
                (
                    c,
                    p,
                    dt.date(2026, 3, 1),
                    dt.date(2026, 3, 31),
                    "approved",
                    "api",
                    "EUR",
                    amount,
                    amount,
                    amount,
                    "",
                    "b",
                    now,
                )
                for c, p, _ in owner
            ],
        )
        await sql.insert_many(
            "voucher_claim_line",
            (
                "claim",
                "line_no",
                "voucher",
                "service_start",
                "service_end",
                "days_attended",
                "amount_claimed_minor",
                "amount_accepted_minor",
                "amount_approved_minor",
                "outcome",
                "reason",
                "message",
            ),
            [
                (
                    c,
                    1,
                    v,
                    dt.date(2026, 3, 2),
                    dt.date(2026, 3, 27),
                    20,
                    amount,
                    amount,
                    amount,
                    "accepted",
                    "",
                    "",
                )
                for c, _, v in owner
            ],
        )
        await ledger.apply(
            system,
            [
                Operation(Kind.COMMIT, Target(FUND, PROGRAMME, p), total, f"commit:{v}", dt.date(2026, 3, 1))
                for v, p in zip(vouchers, ids, strict=True)
            ]
            + [
                Operation(
                    Kind.EXPEND,
                    Target(FUND, PROGRAMME, p),
                    amount,
                    f"claim:{c}:expend:{FUND}:{PROGRAMME}",
                    dt.date(2026, 4, 1),
                    f"Claim {c} approved",
                    "voucher_claim",
                    c,
                )
                for c, p, _ in owner
            ],
        )


async def settle_set_up() -> None:
    """The state of a database in use, not one just bulk-loaded: fresh planner statistics and hint bits
    (VACUUM ANALYZE, as autovacuum does), and the set-up's dirty pages written out (CHECKPOINT), so the
    timed steps do not pay for the set-up's writes."""
    connection = await asyncpg.connect(os.environ["GRANTS_DATABASE_URL"])
    try:
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()


async def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by this process and by the database server's sessions on the scratch
    database (read from /proc: the server runs on this machine). Wall time on a machine shared with other
    work varies two- or threefold from run to run; the CPU time a step costs varies much less, and it is
    what the step would take on two idle cores, give or take what waits on the disk.
    Returns (this process, the database sessions)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    connection = await asyncpg.connect(os.environ["GRANTS_DATABASE_URL"])
    try:
        pids = [
            r["pid"]
            for r in await connection.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    finally:
        await connection.close()
    return own.ru_utime + own.ru_stime, sum(_process_cpu(pid) for pid in pids)


def _process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # a session that ended
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def people():
    from app.core.actor import Actor
    from app.core.roles import Role

    def person(n: int, role: Role) -> Actor:
        return Actor(n, f"usr_bench{n:011d}", f"bench {n}", frozenset({role}))

    return person(1, Role.FINANCE_OFFICER), person(2, Role.APPROVER), person(3, Role.FINANCE_OFFICER)


async def sepa_figures(payees: int, per_payee: int) -> dict:
    from lxml import etree

    from app.disbursements import release, runs, sepa

    await seed(payees, per_payee, "sepa", True)
    await settle_set_up()
    preparer, approver, releaser = people()
    cpu_before = await cpu_seconds()
    started = time.perf_counter()
    made = await runs.create_run(preparer, PROGRAMME, dt.date(2030, 1, 15))
    created = time.perf_counter()
    await runs.approve_run(approver, made["id"])
    approved = time.perf_counter()
    released = await release.release_run(releaser, made["id"])
    run_s = time.perf_counter() - started
    cpu_after = await cpu_seconds()
    client_cpu_s, server_cpu_s = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    run_cpu_s = client_cpu_s + server_cpu_s
    assert released["status"] == "released" and released["sent_now"] == payees, released["states"]
    print(
        f"run of {made['instructions']:,} payees ({payees * per_payee:,} claims): created "
        f"{created - started:.2f} s, approved {approved - created:.2f} s, released to SEPA "
        f"{run_s - (approved - started):.2f} s; total {run_s:.2f} s; CPU {run_cpu_s:.2f} s (this "
        f"process {client_cpu_s:.2f} s, its database sessions {server_cpu_s:.2f} s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        paths = await sepa.export_run(made["id"], Path(out))
        sepa_s = time.perf_counter() - started
        size = sum(p.stat().st_size for p in paths)
        import sepaxml

        schema = etree.XMLSchema(
            etree.parse(str(Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"))
        )
        started = time.perf_counter()
        for path in paths:
            schema.assertValid(etree.parse(str(path)))
        xsd_s = time.perf_counter() - started
    print(
        f"{len(paths)} pain.001 file(s), {size / 2**20:.1f} MiB, written in {sepa_s:.2f} s; "
        f"XSD-valid in {xsd_s:.2f} s"
    )
    return {
        "run_10k_s": round(run_s, 2),
        "run_10k_cpu_s": round(run_cpu_s, 2),
        "run_10k_client_cpu_s": round(client_cpu_s, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "sepa_10k_s": round(sepa_s, 2),
        "xsd_10k_s": round(xsd_s, 2),
        "payees": payees,
        "claims": payees * per_payee,
        "files": len(paths),
    }


async def stripe_figures(payees: int) -> dict:
    from app.disbursements import release, runs, stripe_rail
    from app.disbursements.stripe_fake import FakeStripe

    await seed(payees, 1, "stripe", False)
    await settle_set_up()
    fake = FakeStripe()
    stripe_rail.use_http_client(fake)
    preparer, approver, releaser = people()
    made = await runs.create_run(preparer, PROGRAMME, dt.date(2030, 1, 15))
    await runs.approve_run(approver, made["id"])
    inside = 0.0
    send = stripe_rail.send

    async def timed_send(*args, **kwargs):
        nonlocal inside
        started = time.perf_counter()
        try:
            return await send(*args, **kwargs)
        finally:
            inside += time.perf_counter() - started

    stripe_rail.send = timed_send
    started = time.perf_counter()
    released = await release.release_run(releaser, made["id"])
    stripe_s = time.perf_counter() - started
    assert released["status"] == "released" and len(fake.transfers) == made["instructions"] == payees
    outside = 1 - inside / stripe_s
    print(
        f"{payees:,} Stripe transfers released through the SDK (recording fake) in {stripe_s:.2f} s; "
        f"{inside:.2f} s in the SDK's calls, {outside:.0%} outside"
    )
    return {
        "stripe_10k_s": round(stripe_s, 2),
        "stripe_sdk_s": round(inside, 2),
        "stripe_outside_sdk_share": round(outside, 3),
    }


async def figures(payees: int, per_payee: int, stripe: bool) -> dict:
    from app.bootstrap import init_database
    from app.core.db import close_pool, start_pool

    await init_database()
    await start_pool(2, 4)
    try:
        out = await sepa_figures(payees, per_payee)
        if stripe:
            out.update(await stripe_figures(payees))
    finally:
        await close_pool()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--payees", type=int, default=10_000)
    parser.add_argument("--claims-per-payee", type=int, default=5)
    parser.add_argument("--no-stripe", action="store_true", help="measure the run and SEPA files only")
    args = parser.parse_args()
    database = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{database}"'))
    os.environ["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    os.environ.update(
        GRANTS_SEPA_DEBTOR_NAME="Grants Programme Office",
        GRANTS_SEPA_DEBTOR_IBAN="DE89370400440532013000",
        GRANTS_SEPA_DEBTOR_BIC="COBADEFFXXX",
        GRANTS_STRIPE_API_KEY="sk_test_bench",
        GRANTS_PAYMENT_APPROVAL_BANDS=f"{10**15}:2",  # one approver: the bands are not what is measured
    )
    from app.core.crypto import generate_secret_key

    os.environ.setdefault("GRANTS_SECRET_KEY", generate_secret_key())
    os.environ.setdefault("GRANTS_LEDGER_KEY", generate_secret_key())  # the ledger's MAC chain
    try:
        out = asyncio.run(figures(args.payees, args.claims_per_payee, not args.no_stripe))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}"'))
    out["peak_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("targets: run_10k_s < 10 s; peak_mib < 500 (the machine is shared: timings vary)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
