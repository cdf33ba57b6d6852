"""Claim submission and claim approval over HTTP at --clients concurrent clients, against `grants serve
--workers N` on a scratch PostgreSQL database: throughput, p50 and p95. The scenarios of
benchmarks/http_load.py (which imports `claim_scenarios`), and a benchmark of their own:

    .venv/bin/python benchmarks/http_claims.py [--clients 20] [--claims-per-client 8] [--workers 1,4]

Set-up (not measured): the world of benchmarks/services.py (fund, budget, household, licensed
provider, users), one voucher per client and server run covering the last --claims-per-client weeks,
and an API token for the provider user and for the finance officer. Each client then submits one
claim of one line per week on its own voucher (POST /api/v1/claims), as fast as the server answers;
once every claim is in, the clients approve them (POST /api/v1/claims/{id}/approve: the expenditure
is posted in the ledger). Target: with 4 workers, claim submission p95 under 100 ms. Each phase also
gives the server's CPU milliseconds per request (the server process and its workers, from /proc): on a
shared machine latency follows the load, CPU time much less. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Run as a script, this folder comes first on sys.path; a file named like a standard module would shadow the
# standard library's `http` (which httpx imports): the folder goes last instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

from services import World, admin, case_for, url_for  # noqa: E402 (after the path fix)

CHILD_BIRTH = dt.date(2024, 5, 10)


@dataclass
class Prepared:
    """What the clients need: each client a provider of its own (a provider's claims of one month are
    approved one at a time, and add up towards the second-approver limit) with its user's token, a
    finance officer's token, and one voucher code per client and server run."""

    provider_tokens: list[str]  # one per client
    finance_token: str
    codes: dict[int, list[str]]  # run number -> one voucher code per client
    weeks: list[dt.date]  # the Mondays claimed, oldest first


def _mondays(count: int) -> list[dt.date]:
    """The Mondays of the last `count` whole weeks before today (claims are for days already past)."""
    today = dt.date.today()
    this_monday = today - dt.timedelta(days=today.weekday())
    return [this_monday - dt.timedelta(weeks=w) for w in range(count, 0, -1)]


async def prepare(runs: int, clients: int, weeks: int, tag: str = "") -> Prepared:
    from app.core.actor import Actor
    from app.core.credentials import create_token
    from app.core.db import close_pool, start_pool
    from app.eligibility import service as eligibility
    from app.vouchers import service

    await start_pool(2, 4)
    try:
        world = await World().build(tag)
        mondays = _mondays(weeks)
        valid_from, valid_until = mondays[0], mondays[-1] + dt.timedelta(days=6)
        codes: dict[int, list[str]] = {}
        for run in range(runs):
            codes[run] = []
            for _ in range(clients):
                decision = await eligibility.evaluate(
                    world.caseworker,
                    "childcare_voucher",
                    case_for(world.child),
                    valid_from,
                    world.participant,
                )
                request = service.IssueRequest(decision["id"], "ESF", valid_from, valid_until, world.child)
                codes[run].append((await service.issue_many(world.caseworker, [request]))[0]["code"])
        system = Actor.system()
        providers = [await _provider_user(system, f"{tag}-{i}") for i in range(clients)]
        tokens = [(await create_token(system, user, "bench"))[1] for user in providers]
        finance = (await create_token(system, world.finance.public_id, "bench"))[1]
        return Prepared(tokens, finance, codes, mondays)
    finally:
        await close_pool()


async def _provider_user(system: Any, tag: str) -> str:
    """A licensed provider with one user; the user's public id."""
    from app.core.roles import Role
    from app.core.users import create_user
    from app.registry import organisations
    from app.registry.organisations import LicenceView

    provider = (await organisations.create_provider(system, name=f"Nursery {tag}")).id
    licence = LicenceView(f"L-{tag}", dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    await organisations.add_licence(system, provider, licence)
    user = await create_user(
        system,
        email=f"provider{tag}@bench.example.org",
        display_name=f"Provider {tag}",
        roles=frozenset({Role.PROVIDER}),
        organisation=provider,
    )
    return user.id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_for(client: Any) -> None:
    import httpx

    deadline = time.monotonic() + 120  # four workers starting on a busy machine take a while
    while time.monotonic() < deadline:
        try:
            if (await client.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


async def _until_started(pid: int, limit_s: float = 120) -> None:
    """Until the server's processes are idle: the first worker answers /health while the others may
    still be importing the app (about 2 s of CPU each), which the measured requests would share the
    cores with. Idle: under 5% of a core over half a second."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = process_tree_cpu(pid)
        await asyncio.sleep(0.5)
        if process_tree_cpu(pid) - before < 0.025:
            return


def _summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    return {
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(statistics.quantiles(latencies, n=20)[-1], 2),
    }


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants (the server's workers), from /proc
    (Linux); 0 elsewhere. A figure that a busy machine disturbs less than latency."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


async def claim_scenarios(
    base_url: str, prepared: Prepared, run: int, clients: int, server_pid: int | None = None
) -> dict[str, Any]:
    """Submission then approval of one claim per client and week, `clients` at a time; with the
    server's pid, its CPU milliseconds per request too."""
    import httpx

    weeks = prepared.weeks
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    def line(code: str, monday: dt.date) -> dict[str, Any]:
        return {
            "code": code,
            "child_birth_date": CHILD_BIRTH.isoformat(),
            "service_start": monday.isoformat(),
            "service_end": (monday + dt.timedelta(days=4)).isoformat(),
            "days_attended": 5,
            "amount": "260.00",
        }

    async def phase(
        tokens: list[str], work: list[list[tuple[str, dict | None]]]
    ) -> tuple[list[float], list, float]:
        """Each client (its own token) sends its requests one after the other; all clients at once."""
        latencies: list[float] = []
        answers: list[dict] = []
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
            await _wait_for(client)

            async def one_client(token: str, items: list[tuple[str, dict | None]]) -> None:
                headers = {"Authorization": f"Bearer {token}"}
                for url, body in items:
                    started = time.perf_counter()
                    response = await client.post(url, json=body or {}, headers=headers)
                    latencies.append((time.perf_counter() - started) * 1000)
                    if response.status_code not in (200, 201):
                        raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
                    answers.append(response.json())

            started = time.perf_counter()
            await asyncio.gather(*(one_client(t, items) for t, items in zip(tokens, work, strict=True)))
            return latencies, answers, time.perf_counter() - started

    def week(monday: dt.date) -> dict[str, str]:
        # A claim's period is its week: the second-approver limit adds up a provider's claims of the
        # same period, and all the clients claim for one provider.
        return {"period_start": monday.isoformat(), "period_end": (monday + dt.timedelta(days=6)).isoformat()}

    submissions = [
        [("/api/v1/claims", {**week(monday), "lines": [line(code, monday)]}) for monday in weeks]
        for code in prepared.codes[run]
    ]

    def cpu() -> float:
        return process_tree_cpu(server_pid) if server_pid is not None else 0.0

    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await _wait_for(client)
    if server_pid is not None:
        await _until_started(server_pid)
    cpu_started, client_started = cpu(), time.process_time()
    submitted, claims, submit_elapsed = await phase(prepared.provider_tokens, submissions)
    cpu_submitted, client_submitted = cpu(), time.process_time()
    ids = [c["id"] for c in claims]
    approvals = [[(f"/api/v1/claims/{i}/approve", {}) for i in ids[k::clients]] for k in range(clients)]
    approved, decided, approve_elapsed = await phase([prepared.finance_token] * clients, approvals)
    cpu_approved, client_approved = cpu(), time.process_time()
    statuses = Counter(d["status"] for d in decided)
    assert set(statuses) == {"approved"}, (statuses, [d for d in decided if d["status"] != "approved"][:1])
    figures = {
        "claim_submit": _summary(submitted, submit_elapsed),
        "claim_approve": _summary(approved, approve_elapsed),
    }
    figures["claim_submit"]["client_cpu_ms"] = round(
        (client_submitted - client_started) / len(submitted) * 1000, 2
    )
    figures["claim_approve"]["client_cpu_ms"] = round(
        (client_approved - client_submitted) / len(approved) * 1000, 2
    )
    if server_pid is not None:
        figures["claim_submit"]["server_cpu_ms"] = round(
            (cpu_submitted - cpu_started) / len(submitted) * 1000, 2
        )
        figures["claim_approve"]["server_cpu_ms"] = round(
            (cpu_approved - cpu_submitted) / len(approved) * 1000, 2
        )
    return figures


async def scenario_for_http(base_url: str, env: dict[str, str], clients: int = 20, weeks: int = 8) -> dict:
    """For benchmarks/http_load.py: its server's database (from `env`) gets a world of its own (made here,
    in process), then claim_scenarios runs against its server."""
    for key in ("GRANTS_DATABASE_URL", "GRANTS_SECRET_KEY", "GRANTS_LEDGER_KEY"):
        if key in env:
            os.environ[key] = env[key]
    if "GRANTS_SECRET_KEY" not in os.environ or "GRANTS_LEDGER_KEY" not in os.environ:
        _keys_from(env.get("BENCH_DIR", "."))
    os.environ["PICCOLO_CONF"] = "app.piccolo_conf"
    prepared = await prepare(1, clients, weeks, tag=uuid.uuid4().hex[:6])
    return await claim_scenarios(base_url, prepared, 0, clients)


def _keys_from(directory: str) -> None:
    """The key files `grants init` wrote in the server's working directory."""
    for key, name in (
        ("GRANTS_SECRET_KEY", ".grants-secret-key"),
        ("GRANTS_LEDGER_KEY", ".grants-ledger-key"),
    ):
        path = Path(directory) / name
        if key not in os.environ and path.exists():
            os.environ[key] = path.read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--claims-per-client", type=int, default=8, help="weeks claimed on each voucher")
    parser.add_argument("--workers", default="1,4", help="server worker counts to run, comma-separated")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    name = f"grants_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    env = {
        **os.environ,
        "GRANTS_DATABASE_URL": url_for(name),
        "GRANTS_SECRET_KEY": os.environ.get(
            "GRANTS_SECRET_KEY", "YmVuY2htYXJrLWtleS1ub3QtYS1zZWNyZXQtMDAwMDA="
        ),
        "GRANTS_LEDGER_KEY": os.environ.get(
            "GRANTS_LEDGER_KEY", "YmVuY2htYXJrLWxlZGdlci1rZXktbm90LXNlY3JldCE="
        ),
        "PICCOLO_CONF": "app.piccolo_conf",
        "GRANTS_DB_POOL": "true",
    }
    os.environ.update(
        {k: env[k] for k in ("GRANTS_DATABASE_URL", "GRANTS_SECRET_KEY", "GRANTS_LEDGER_KEY", "PICCOLO_CONF")}
    )
    results: dict[str, Any] = {"clients": args.clients}
    try:
        subprocess.run([sys.executable, "-m", "app.cli", "init"], env=env, check=True, capture_output=True)
        prepared = asyncio.run(prepare(len(workers), args.clients, args.claims_per_client))
        for run, count in enumerate(workers):
            port = _free_port()
            server = subprocess.Popen(  # noqa: S603 (our own CLI)
                [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(count)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                figures = asyncio.run(
                    claim_scenarios(f"http://127.0.0.1:{port}", prepared, run, args.clients, server.pid)
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
            for scenario, f in figures.items():
                print(
                    f"{count} worker(s), {args.clients} clients, {scenario}: {f['per_s']:,.0f} requests/s, "
                    f"p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, "
                    f"CPU a request: server {f['server_cpu_ms']:.2f} ms, "
                    f"load generator {f['client_cpu_ms']:.2f} ms",
                    flush=True,
                )
                results.update({f"{scenario}_{k}_{count}w": v for k, v in f.items()})
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(
        f"target: 4 workers, claim submission p95 < 100 ms; load average {results['load_average_1min']:.2f}"
    )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
