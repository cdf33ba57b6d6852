"""HTTP figures of a live server (`grants serve --workers N`) on a scratch PostgreSQL database.

    .venv/bin/python benchmarks/http_load.py [--seconds 5] [--only NAME ...]

Scenarios (each a function registered with @scenario, run against a server with its number of workers):
- health_idle: GET /health p50 and p95 with nothing else going on (the anchor);
- health_during_sign_ins: GET /health while 10 sign-in attempts are always in flight (argon2 runs in a
  bounded thread pool, off the event loop; the target is p50 under 20 ms);
- evaluate_1_worker / evaluate_4_workers: POST /api/v1/eligibility/programmes/transport_voucher/evaluate
  (store=false) throughput with 16 requests in flight;
- claims_1_worker / claims_4_workers: claim submission, then claim approval, at 20 concurrent clients:
  throughput, p50 and p95 (benchmarks/http_claims.py; the target is a 4-worker submission p95 under
  100 ms).
The sign-in rate limits are raised for the run (they would answer 429 without hashing, which is not what
is measured). Keep runs short on a shared machine. The last line is one JSON object.

To add a scenario (e.g. claim submission), write `async def my_case(ctx: Context) -> dict` that sets up
what it needs through ctx.call / ctx.token and returns its figures, and decorate it with
@scenario("name", workers=N).
"""

# ruff: noqa: E402 (the path fix below must come before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file would shadow the standard
# library's `http` package (which httpx imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "bench-password-1"  # noqa: S105 (a scratch database's user)
EVALUATE = "/api/v1/eligibility/programmes/transport_voucher/evaluate"
CASE = {
    "input": {
        "activity": "training",
        "activity_start": "2026-02-02",
        "attendance_days": 20,
        "distance_km": 8,
        "fare_per_trip": "2.10",
        "monthly_pass_price": "62.00",
    },
    "date": "2026-03-02",
    "store": False,
}


@dataclass
class Context:
    base: str
    token: str
    email: str
    seconds: float
    client: httpx.AsyncClient = field(init=False)
    env: dict[str, str] = field(default_factory=dict)  # the server's environment (its database)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


Scenario = Callable[[Context], Awaitable[dict]]
SCENARIOS: dict[str, tuple[int, Scenario]] = {}


def scenario(name: str, workers: int = 1) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[name] = (workers, function)
        return function

    return register


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "n": len(ordered),
    }


async def _health_latencies(ctx: Context, seconds: float) -> list[float]:
    times, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        response = await ctx.client.get(f"{ctx.base}/health")
        response.raise_for_status()
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)
    return times


@scenario("health_idle")
async def health_idle(ctx: Context) -> dict:
    return _ms(await _health_latencies(ctx, ctx.seconds))


@scenario("health_during_sign_ins")
async def health_during_sign_ins(ctx: Context) -> dict:
    stop = asyncio.Event()
    attempts = 0

    async def sign_in_loop(n: int) -> None:
        nonlocal attempts
        async with httpx.AsyncClient(timeout=60) as own:
            while not stop.is_set():
                body = {"email": f"nobody{n}@example.org", "password": "wrong-password"}
                await own.post(f"{ctx.base}/api/v1/auth/login", json=body)
                attempts += 1

    loops = [asyncio.create_task(sign_in_loop(n)) for n in range(10)]
    await asyncio.sleep(0.5)  # all ten in flight
    started = time.perf_counter()
    latencies = await _health_latencies(ctx, ctx.seconds)
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*loops)
    return {**_ms(latencies), "sign_ins_per_s": round(attempts / elapsed, 1)}


async def _throughput(ctx: Context, in_flight: int = 16) -> dict:
    for _ in range(4 * in_flight):  # warm every worker up (rule catalogue, connections) before timing
        await ctx.client.post(f"{ctx.base}{EVALUATE}", json=CASE, headers=ctx.auth())
    done, failed, end = 0, 0, time.perf_counter() + ctx.seconds

    async def worker() -> None:
        nonlocal done, failed
        while time.perf_counter() < end:
            response = await ctx.client.post(f"{ctx.base}{EVALUATE}", json=CASE, headers=ctx.auth())
            done += response.status_code == 200
            failed += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(in_flight)])
    return {"requests_per_s": round(done / (time.perf_counter() - started), 1), "failed": failed}


@scenario("evaluate_1_worker", workers=1)
async def evaluate_1(ctx: Context) -> dict:
    return await _throughput(ctx)


@scenario("evaluate_4_workers", workers=4)
async def evaluate_4(ctx: Context) -> dict:
    return await _throughput(ctx)


async def _claims(ctx: Context) -> dict:
    sys.path.append(str(HERE))  # after the standard library (see above)
    from http_claims import scenario_for_http

    return await scenario_for_http(ctx.base, ctx.env)


@scenario("claims_1_worker", workers=1)
async def claims_1(ctx: Context) -> dict:
    """Claim submission, then approval, at 20 concurrent clients (benchmarks/http_claims.py)."""
    return await _claims(ctx)


@scenario("claims_4_workers", workers=4)
async def claims_4(ctx: Context) -> dict:
    return await _claims(ctx)


# --- set-up -----------------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _grants(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=env["BENCH_DIR"],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"grants {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(env: dict[str, str], workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(workers), "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 (our own command)
        command, env=env, cwd=env["BENCH_DIR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not start")


async def _run_group(env: dict[str, str], workers: int, names: list[str], token: str, seconds: float) -> dict:
    server, base = _start(env, workers)
    figures = {}
    try:
        for name in names:
            ctx = Context(base, token, "bench@example.org", seconds, env=env)
            async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as client:
                ctx.client = client
                figures[name] = await SCENARIOS[name][1](ctx)
            print(f"{name} ({workers} worker{'s' if workers > 1 else ''}): {figures[name]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    parser.add_argument("--only", nargs="*", default=None, help="scenario names to run")
    args = parser.parse_args()
    names = args.only or list(SCENARIOS)
    database = f"grants_bench_http_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    directory = tempfile.mkdtemp(prefix="grants-bench-http-")
    env = {
        **os.environ,
        "BENCH_DIR": directory,
        "PYTHONPATH": str(ROOT),
        "GRANTS_DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + f"/{database}",
        "GRANTS_LOGIN_PER_ADDRESS": "1000000",
        "GRANTS_LOGIN_PER_ACCOUNT": "1000000",
    }
    figures: dict[str, dict] = {}
    try:
        _grants(env, "init")
        _grants(env, "users", "create", "bench@example.org", "--name", "Bench", "--role", "caseworker",
                "--password", PASSWORD)  # fmt: skip
        token = _grants(env, "tokens", "create", "bench@example.org").strip().splitlines()[-1]
        by_workers: dict[int, list[str]] = {}
        for name in names:
            by_workers.setdefault(SCENARIOS[name][0], []).append(name)
        for workers, group in sorted(by_workers.items()):
            figures.update(asyncio.run(_run_group(env, workers, group, token, args.seconds)))
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    summary: dict = {"benchmark": "http", "cpus": os.cpu_count(), "seconds": args.seconds, **figures}
    if "health_idle" in figures and "health_during_sign_ins" in figures:
        summary["health_p50_ratio_during_sign_ins"] = round(
            figures["health_during_sign_ins"]["p50_ms"] / figures["health_idle"]["p50_ms"], 2
        )
    if "evaluate_1_worker" in figures and "evaluate_4_workers" in figures:
        summary["evaluate_speedup_4_vs_1"] = round(
            figures["evaluate_4_workers"]["requests_per_s"] / figures["evaluate_1_worker"]["requests_per_s"],
            2,
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
