"""Eligibility engine speed.

    .venv/bin/python benchmarks/eligibility.py [--households 1000000] [--cases 1000000] [--single 20000]
                                               [--requests 2000] [--only households,flat,single,api]
                                               [--profile]

Figures:
- a caseload of --households generated households (3.5 members on average: parents, children, other
  adults) through the family rule rules/childcare_voucher.yaml, vectorised: households/s (households'
  and members' inputs checked, tied together, decided, each member's and each household's outputs
  rounded), and the peak memory the evaluation allocates (tracemalloc, separate run);
- the flat case: --cases generated cases through benchmarks/childcare_flat.yaml (the childcare rule as it
  was before households, kept so these figures compare with earlier runs): cases/s and peak memory; the
  same rule written by hand in numpy and as OpenFisca formulas (benchmarks/openfisca_anchor.py, when
  OpenFisca-Core is installed: an optional benchmark dependency), the anchors, each agreeing with the
  evaluator on every case, and the evaluator's speed as a ratio to each (to numpy with its inputs
  checked and without; --profile: where the time goes);
- one flat case at a time in process, JSON inputs parsed and the full explanation built: cases/s (best
  of three rounds of --single cases, like the caseload figures); one household of four the same way;
- one household through the HTTP API of a live server (`grants serve`, on a scratch PostgreSQL database,
  or SQLite with --sqlite), decision stored: p50 and p95 latency over --requests sequential requests.
Each rate is best of three rounds. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Run as a script, this folder comes first on sys.path; a file named like a standard module would shadow the
# standard library's `http` (which httpx imports): the folder goes last instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import openfisca_anchor  # noqa: E402 (the path first)

ADMIN_URL = os.environ.get("GRANTS_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DAY = dt.date(2026, 3, 2)
FLAT_RULE = ROOT / "benchmarks" / "childcare_flat.yaml"
HOUSEHOLD = {
    "members": [
        {"id": "par_1", "role": "parent", "birth_date": "1990-04-01", "monthly_income": "1100.00",
         "activity": "employment", "weekly_activity_hours": 30, "activity_start": "2025-06-01"},
        {"id": "par_2", "role": "parent", "birth_date": "1989-09-12", "monthly_income": "750.00",
         "activity": "training", "weekly_activity_hours": 20, "activity_start": "2026-01-05"},
        {"id": "chd_1", "role": "child", "birth_date": "2023-05-10", "weekly_care_hours": 35},
        {"id": "chd_2", "role": "child", "birth_date": "2020-11-02", "weekly_care_hours": 15},
    ]
}  # fmt: skip
CASE = {
    "activity": "employment",
    "weekly_activity_hours": 30,
    "activity_start": "2025-06-01",
    "household_size": 3,
    "household_monthly_income": "1850.00",
    "child_birth_date": "2023-05-10",
    "weekly_care_hours": 35,
}


def caseload(n: int) -> pd.DataFrame:
    """Typed columns, as a caseload extract arrives from the registry (categories, dates, numbers)."""
    rng = np.random.default_rng(2026)
    start = np.datetime64("2024-01-01")
    return pd.DataFrame(
        {
            "activity": pd.Categorical.from_codes(
                rng.integers(0, 4, n), categories=["employment", "training", "job_search", "none"]
            ),
            "weekly_activity_hours": rng.integers(0, 1200, n) / 20,
            "activity_start": start + rng.integers(0, 800, n).astype("timedelta64[D]"),
            "household_size": rng.integers(1, 8, n),
            "household_monthly_income": rng.integers(0, 500_000, n) / 100,
            "child_birth_date": np.datetime64("2013-01-01")
            + rng.integers(0, 4800, n).astype("timedelta64[D]"),
            "child_has_disability": rng.random(n) < 0.05,
            "weekly_care_hours": rng.integers(0, 240, n) / 4,
        }
    )


ROLES = ["parent", "child", "other_adult"]
ACTIVITIES = ["employment", "training", "job_search", "none"]


def households(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n households of 1 to 7 members (3.5 on average), as a registry extract gives them: a households
    frame (the family rule has no household inputs: only the id) and a members frame, typed columns,
    members listed household by household."""
    rng = np.random.default_rng(2026)
    sizes = rng.choice(np.arange(1, 8), size=n, p=[0.03, 0.17, 0.30, 0.28, 0.13, 0.06, 0.03])
    m = int(sizes.sum())
    group = np.repeat(np.arange(n), sizes)
    position = np.arange(m) - (np.cumsum(sizes) - sizes)[group]
    second_parent = (position == 1) & (rng.random(m) < 0.45)
    other = (position >= 2) & (rng.random(m) < 0.08)
    role = np.where((position == 0) | second_parent, 0, np.where(other, 2, 1))
    adult = role != 1
    day = "timedelta64[D]"
    members = pd.DataFrame(
        {
            "group": group,
            "role": pd.Categorical.from_codes(role, categories=ROLES),
            "birth_date": np.where(
                adult,
                np.datetime64("1960-01-01") + rng.integers(0, 15000, m).astype(day),
                np.datetime64("2012-06-01") + rng.integers(0, 5200, m).astype(day),
            ),
            "monthly_income": np.where(adult, rng.integers(0, 220_000, m) / 100, 0.0),
            "activity": pd.Categorical.from_codes(
                np.where(role == 0, rng.integers(0, 4, m), 3), categories=ACTIVITIES
            ),
            "weekly_activity_hours": np.where(role == 0, rng.integers(0, 1200, m) / 20, 0.0),
            "activity_start": np.datetime64("2024-01-01") + rng.integers(0, 800, m).astype(day),
            "has_disability": rng.random(m) < 0.03,
            "weekly_care_hours": np.where(adult, 0.0, rng.integers(0, 240, m) / 4),
        }
    )
    return pd.DataFrame({"group": np.arange(n)}), members


def household_figures(n: int) -> dict[str, float]:
    from app.eligibility.catalogue import catalogue

    evaluator = catalogue().current("childcare_voucher").caseload
    frame, members = households(n)
    evaluator.decide(frame.head(1000), members[members["group"] < 1000], DAY)  # warm up
    [(best, cpu, result)] = _best_of_rounds_cpu(lambda: evaluator.decide(frame, members, DAY))
    tracemalloc.start()
    evaluator.decide(frame, members, DAY)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    eligible = result.eligible_count
    children = int(result.member_columns["eligible"].sum())
    print(
        f"households: {n:,} households ({len(members) / n:.2f} members each, {len(members):,} members) in "
        f"{best:.3f} s = {n / best:,.0f} households/s ({eligible:,} eligible, {children:,} children "
        f"covered); peak {peak:,.0f} MiB"
    )
    print(
        f"  per CPU-second (the process's own time, best round; a busy machine disturbs it less): "
        f"{n / cpu:,.0f}"
    )
    return {
        "batch_households_per_s": round(n / best),
        "batch_households_seconds": round(best, 4),
        "batch_households_per_cpu_s": round(n / cpu),
        "batch_households_peak_mib": round(peak, 1),
        "batch_members_per_household": round(len(members) / n, 3),
    }


def flat_evaluators():
    from app.eligibility.evaluators import caseload_evaluator, single_evaluator
    from app.eligibility.loader import load_rule_file

    rule = load_rule_file(FLAT_RULE)
    return rule, single_evaluator(rule), caseload_evaluator(rule)


def batch_figures(n: int) -> dict[str, float]:
    from app.eligibility.inputs import parse_frame

    _, _, evaluator = flat_evaluators()
    frame = caseload(n)
    evaluator.decide(frame.head(1000), DAY)  # warm up (builds lookup tables once)
    parsed = parse_frame(evaluator.rule, frame)
    # The evaluator and its anchors take turns, so a change in the machine's load falls on all.
    runs = [
        lambda: evaluator.decide(frame, DAY),
        lambda: childcare_by_hand(frame, DAY),
        lambda: evaluator.decide_parsed(parsed, DAY),
    ]
    if openfisca_anchor.available():
        runs.append(lambda: openfisca_anchor.childcare_openfisca(frame, DAY))
    (best, result), (numpy_best, by_hand), (deciding, _), *openfisca = _best_of_rounds(*runs)
    tracemalloc.start()
    evaluator.decide(frame, DAY)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    eligible = int(result.columns["eligible"].sum())
    print(
        f"flat caseload: {n:,} cases in {best:.3f} s = {n / best:,.0f} cases/s ({eligible:,} eligible); "
        f"peak {peak:,.0f} MiB"
    )
    _agree(result, by_hand, n)
    print(
        f"  the same rule by hand in numpy: {n / numpy_best:,.0f} cases/s; agrees on all {n:,} cases; "
        f"evaluator / numpy = {numpy_best / best:.2f}x (inputs checked), "
        f"{numpy_best / deciding:.2f}x (deciding only, inputs already checked: {n / deciding:,.0f} cases/s)"
    )
    figures = {}
    if openfisca:
        openfisca_best, simulated = openfisca[0]
        _agree(result, simulated, n)
        print(
            f"  the same rule as OpenFisca formulas: {n / openfisca_best:,.0f} cases/s; agrees on all "
            f"{n:,} cases; evaluator / OpenFisca = {openfisca_best / best:.2f}x (target >= 1)"
        )
        figures = {
            "openfisca_cases_per_s": round(n / openfisca_best),
            "batch_vs_openfisca": round(openfisca_best / best, 3),
        }
    else:
        print("  OpenFisca anchor skipped: pip install 'OpenFisca-Core==46.0.1' (or -e '.[bench]')")
    return {
        **figures,
        "batch_cases_per_s": round(n / best),
        "batch_seconds": round(best, 4),
        "batch_peak_mib": round(peak, 1),
        "numpy_cases_per_s": round(n / numpy_best),
        "batch_vs_numpy": round(numpy_best / best, 3),
        "batch_decide_only_cases_per_s": round(n / deciding),
        "batch_decide_only_vs_numpy": round(numpy_best / deciding, 3),
    }


def _best_of_rounds(*runs, rounds: int = 3) -> list[tuple[float, Any]]:
    """Best time (and the last result) of each run, the runs taking turns round by round."""
    return [(wall, result) for wall, _, result in _best_of_rounds_cpu(*runs, rounds=rounds)]


def _best_of_rounds_cpu(*runs, rounds: int = 3) -> list[tuple[float, float, Any]]:
    """As _best_of_rounds, with each run's best CPU time too (a busy machine disturbs it less)."""
    best: list[list[Any]] = [[float("inf"), float("inf"), None] for _ in runs]
    for _ in range(rounds):
        for slot, run in zip(best, runs, strict=True):
            started, cpu_started = time.perf_counter(), time.process_time()
            slot[2] = run()
            slot[0] = min(slot[0], time.perf_counter() - started)
            slot[1] = min(slot[1], time.process_time() - cpu_started)
    return [(wall, cpu, result) for wall, cpu, result in best]


def _agree(result, by_hand: dict[str, np.ndarray], n: int) -> None:
    assert len(result.errors) == 0 and len(result.decisions) == n
    for name, expected in by_hand.items():
        got = result.columns[name]
        assert np.array_equal(got, expected), f"{name}: {int((got != expected).sum())} cases differ"


# The flat childcare rule written by hand in numpy, with the values benchmarks/childcare_flat.yaml gives
# its parameters on DAY: the anchor for the vectorised evaluator (which also checks every input).
INCOME_LIMIT_CENTS = np.array([190_000, 230_000, 270_000, 310_000, 350_000, 390_000])  # sizes 1..6+
WEEKLY_RATE_CENTS = np.array(  # [age band: under 3, preschool, school age][care: full, part, sessional]
    [[26_000, 15_000, 7_500], [22_000, 12_500, 6_500], [14_000, 9_000, 4_500]]
)
COPAYMENT_FROM, COPAYMENT_RATE = np.array([0.0, 0.5, 0.75, 0.9]), np.array([0.0, 0.1, 0.2, 0.3])


def childcare_by_hand(frame: pd.DataFrame, as_of: dt.date) -> dict[str, np.ndarray]:
    today = np.datetime64(as_of, "D")
    activity = frame["activity"].cat.codes.to_numpy()  # employment, training, job_search, none
    hours = frame["weekly_activity_hours"].to_numpy()
    started = frame["activity_start"].to_numpy().astype("datetime64[D]")
    size = frame["household_size"].to_numpy()
    income = np.round(frame["household_monthly_income"].to_numpy() * 100).astype(np.int64)
    born = frame["child_birth_date"].to_numpy().astype("datetime64[D]")
    disabled = frame["child_has_disability"].to_numpy()
    care = frame["weekly_care_hours"].to_numpy()

    def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # (year, month, day) by integer arithmetic (Hinnant's civil_from_days): numpy's own
        # astype("datetime64[Y]") is several times slower.
        z = days.astype(np.int64) + 719468
        era = z // 146097
        doe = z - era * 146097
        yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        mp = (5 * doy + 2) // 153
        month = mp + 3 - 12 * (mp >= 10)
        return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1

    ty, tm, td = civil(np.array([today]))
    by, bm, bd = civil(born)
    sy, sm, sd = civil(started)
    child_age = ty - by - ((tm * 100 + td) < (bm * 100 + bd))
    months_in_activity = (ty - sy) * 12 + (tm - sm) - (td < sd)
    limit = INCOME_LIMIT_CENTS[np.clip(size, 1, 6) - 1]
    band = np.where(child_age < 3, 0, np.where(child_age < 6, 1, 2))
    authorised = np.minimum(care, 50.0)
    level = np.where(authorised >= 30, 0, np.where(authorised >= 15, 1, 2))
    full = WEEKLY_RATE_CENTS[band, level]
    rate = COPAYMENT_RATE[np.searchsorted(COPAYMENT_FROM, income / limit, side="right") - 1]
    copayment = np.floor(full * rate + 0.5).astype(np.int64)
    eligible = (
        (((activity <= 1) & (hours >= 16)) | ((activity == 2) & (months_in_activity < 3)))
        & (started <= today)
        & (income < limit)
        & (born <= today)
        & (child_age < np.where(disabled, 16, 12))
        & (care > 0)
    )
    return {
        "eligible": eligible,
        "amount": np.where(eligible, full - copayment, 0),
        "full_value": np.where(eligible, full, 0),
        "copayment": np.where(eligible, copayment, 0),
        "authorised_hours": authorised,
    }


def profile_flat(n: int) -> None:
    """The evaluator's time on the flat caseload by function (the numpy work shows under the closures
    of vector.py that call it)."""
    import cProfile
    import pstats

    _, _, evaluator = flat_evaluators()
    frame = caseload(n)
    profiler = cProfile.Profile()
    profiler.runcall(evaluator.decide, frame, DAY)
    print("profile of one flat caseload (top 15 by own time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def single_figures(n: int) -> dict[str, float]:
    from app.eligibility.inputs import parse_case

    rule, single, _ = flat_evaluators()
    single.decide(parse_case(rule, CASE), DAY)
    inputs = parse_case(rule, CASE)

    def with_parsing() -> Any:
        for _ in range(n):
            decision = single.decide(parse_case(rule, CASE), DAY)
        return decision

    def deciding_only() -> None:
        for _ in range(n):
            single.decide(inputs, DAY)

    # Best of three (this machine's speed wanders by a third from minute to minute); CPU time too, which
    # a busy machine disturbs less than the clock on the wall.
    (elapsed, cpu, decision), (decide_only, _, _) = _best_of_rounds_cpu(with_parsing, deciding_only)
    assert decision.explanation["conditions"] and decision.explanation["values"]
    print(
        f"one case with explanation, in process: {n / elapsed:,.0f} cases/s ({elapsed / n * 1e6:.1f} µs each)"
    )
    print(f"  of which deciding and explaining (inputs already checked): {n / decide_only:,.0f} cases/s")
    print(f"  per CPU-second (the process's own time, best round): {n / cpu:,.0f} cases")
    household_rate = single_household_rate(max(n // 4, 1))
    return {
        "single_cases_per_s": round(n / elapsed),
        "single_decide_only_cases_per_s": round(n / decide_only),
        "single_cases_per_cpu_s": round(n / cpu),
        "single_households_per_s": household_rate,
    }


def single_household_rate(n: int) -> int:
    """One household of two parents and two children, with its explanation (for information)."""
    from app.eligibility.catalogue import catalogue
    from app.eligibility.inputs import parse_case

    compiled = catalogue().current("childcare_voucher")
    rule, single = compiled.rule, compiled.single
    decision = single.decide(parse_case(rule, HOUSEHOLD), DAY)
    assert decision.eligible and len(decision.members) == 4, decision.failed
    elapsed = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            single.decide(parse_case(rule, HOUSEHOLD), DAY)
        elapsed = min(elapsed, time.perf_counter() - started)
    print(f"one household of four with explanation, in process: {n / elapsed:,.0f} households/s")
    return round(n / elapsed)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _grants(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own CLI, fixed arguments)
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def api_figures(requests: int, use_sqlite: bool) -> dict[str, float]:
    import httpx

    workdir = Path(tempfile.mkdtemp(prefix="grants-bench-"))
    database = f"grants_bench_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "GRANTS_SECRET_KEY_FILE": str(workdir / "key"), "GRANTS_DB_POOL": "true"}
    if use_sqlite:
        env["GRANTS_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite'}"
    else:
        _run(asyncpg_admin(f'CREATE DATABASE "{database}"'))
        env["GRANTS_DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    server = None
    try:
        _grants(env, "keys", "generate")
        _grants(env, "init")
        _grants(
            env,
            "users",
            "create",
            "bench@example.org",
            "--name",
            "Bench",
            "--role",
            "caseworker",
            "--no-password",
        )
        token = _grants(env, "tokens", "create", "bench@example.org").strip().split()[-1]
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603 (our own CLI)
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            _wait_for(client)
            url = "/api/v1/eligibility/programmes/childcare_voucher/evaluate"
            latencies = _latencies(
                client, url, {"input": HOUSEHOLD, "date": DAY.isoformat(), "store": True}, requests
            )
            unstored = _latencies(
                client, url, {"input": HOUSEHOLD, "date": DAY.isoformat(), "store": False}, requests
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if not use_sqlite:
            _run(asyncpg_admin(f'DROP DATABASE IF EXISTS "{database}"'))
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    p50_unstored = statistics.median(unstored)
    engine = "SQLite" if use_sqlite else "PostgreSQL"
    print(
        f"one household through the HTTP API ({engine}, decision stored): p50 {p50:.2f} ms, "
        f"p95 {p95:.2f} ms over {requests:,} requests"
    )
    print(f"one household through the HTTP API, not stored (store=false): p50 {p50_unstored:.2f} ms")
    return {
        "api_p50_ms": round(p50, 3),
        "api_p95_ms": round(p95, 3),
        "api_p50_unstored_ms": round(p50_unstored, 3),
        "api_database": engine,
    }


def _latencies(client, url: str, body: dict, requests: int) -> list[float]:
    for _ in range(50):
        assert client.post(url, json=body).status_code == 200
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.post(url, json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return latencies


async def asyncpg_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _run(coro) -> None:
    import asyncio

    asyncio.run(coro)


def _wait_for(client) -> None:
    import httpx

    for _ in range(200):
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument(
        "--sqlite", action="store_true", help="run the API figure on SQLite instead of PostgreSQL"
    )
    parser.add_argument(
        "--only",
        default="households,flat,single,api",
        help="which figures, comma-separated (households, flat, single, api): short runs on a shared machine",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print where the flat caseload's time goes (cProfile)"
    )
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    figures: dict[str, float | str] = {"load_average_1min": round(os.getloadavg()[0], 2)}
    if "households" in wanted:
        figures.update(household_figures(args.households))
    if "flat" in wanted:
        figures.update(batch_figures(args.cases))
        if args.profile:
            profile_flat(args.cases)
    if "single" in wanted:
        figures.update(single_figures(args.single))
    if "api" in wanted:
        figures.update(api_figures(args.requests, args.sqlite))
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print()
    print(
        "targets: households >= 1,000,000/s and < 2048 MiB; flat batch >= 1x OpenFisca in the same run, "
        ">= 0.5x the rule by hand in numpy, and < 1024 MiB; flat single >= 30,000 cases/s; API p50 < 5 ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
