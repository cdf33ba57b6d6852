"""`grants serve --workers 2` on PostgreSQL: what must be shared lives in the database, so concurrent
budget commitments and the sign-in limits hold across worker processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.core.roles import Role
from app.core.settings import get_settings
from tests.ledger.helpers import setup_dimensions
from tests.support import run

pytestmark = pytest.mark.postgres_only


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_server():
    port = _free_port()
    env = {**os.environ, "GRANTS_DB_POOL": "1"}
    command = [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _commit_body(n: int) -> dict:
    return {
        "effective_date": "2026-10-15",
        "description": f"commit {n}",
        "postings": [
            {"account": "8200", "fund": "ESF", "programme": "CHILDCARE", "debit": "100.00"},
            {"account": "8300", "fund": "ESF", "programme": "CHILDCARE", "credit": "100.00"},
        ],
    }


def test_two_workers_share_the_budget_and_the_limits(people, live_server):
    """Before `--workers` and database-kept limits, nothing showed that a second process kept to them
    (this test failed then: no rate limit at all)."""
    run(setup_dimensions())
    finance = people.make(Role.FINANCE_OFFICER)
    holder = people.make(Role.BUDGET_HOLDER)
    load = {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "amount": "1000.00",
        "effective_date": "2026-10-01",
        "description": "load",
        "reference_id": "r",
    }
    headers = {**holder.headers, "Idempotency-Key": "load-1"}
    assert httpx.post(f"{live_server}/api/v1/ledger/budgets", json=load, headers=headers).status_code == 201

    def commit(n: int) -> int:
        headers = {**finance.headers, "Idempotency-Key": f"commit-{n}"}
        response = httpx.post(
            f"{live_server}/api/v1/ledger/entries", json=_commit_body(n), headers=headers, timeout=60
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(commit, range(16)))
    assert statuses.count(201) == 10, statuses  # 1000.00 available, 100.00 each
    assert set(statuses) == {201, 422}

    limit = get_settings().login_per_account

    def sign_in(n: int) -> int:
        body = {"email": finance.email, "password": f"wrong password {n}"}
        return httpx.post(f"{live_server}/api/v1/auth/login", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(sign_in, range(limit + 8)))
    assert answers.count(429) == 8, answers
