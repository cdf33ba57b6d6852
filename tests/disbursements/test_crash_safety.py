"""Crash and retry safety on PostgreSQL: a `grants payments` process killed with SIGKILL at chosen points
(GRANTS_CRASH_AT) leaves no half-run, the rerun finishes, nothing is paid twice and the ledger verifies;
two releases at the same moment release once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.db import write_transaction
from app.core.roles import Role
from app.core.sql import Sql
from app.core.users import actor_for_email
from app.disbursements import release, runs, sepa, stripe_rail, webhooks
from app.disbursements.stripe_fake import FakeStripe
from app.ledger.verify import verify
from tests.disbursements.world import (
    APPROVER,
    PROGRAMME,
    approved_claims,
    confirmed_bank,
    confirmed_stripe,
    providers,
    signed_event,
)
from tests.support import run

pytestmark = pytest.mark.postgres_only
GRANTS = str(Path(sys.executable).with_name("grants"))
PAY_DATE = "2030-01-15"


@pytest.fixture
def shared_stripe(tmp_path):
    fake = FakeStripe(tmp_path / "stripe.json")
    stripe_rail.use_http_client(fake)
    yield fake
    stripe_rail.use_http_client(None)


@pytest.fixture
def staff(people):
    for role, key in (
        (Role.FINANCE_OFFICER, "preparer"),
        (Role.FINANCE_OFFICER, "releaser"),
        (Role.APPROVER, "approver"),
    ):
        people.make(role, key=key)
    return {k: f"{k}@example.org" for k in ("preparer", "releaser", "approver")}


def _grants(args: list[str], fake: FakeStripe | None, crash: str | None = None, email: str | None = None):
    env = dict(os.environ, GRANTS_STRIPE_HTTP="fake", GRANTS_PAYMENT_RELEASE_LEASE_S="1")
    if fake is not None:
        env["GRANTS_STRIPE_FAKE_STATE"] = str(fake.state_file)
    if crash:
        env["GRANTS_CRASH_AT"] = crash
    if email:
        env["GRANTS_CLI_USER"] = email
    return subprocess.run(  # noqa: S603 (our own command, our arguments)
        [GRANTS, "payments", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _killed(result) -> None:
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stdout, result.stderr)


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


async def _count(sql_text: str, *args) -> int:
    async with write_transaction():
        return int((await Sql().fetch(sql_text, *args))[0]["n"])


def _approved_run(staff, method: str, payees: int = 3) -> str:
    found = run(providers(payees))
    run(approved_claims(found, 2, 4_000))
    for payee in found:
        run(confirmed_stripe(payee) if method == "stripe" else confirmed_bank(payee))
    made = run(runs.create_run(run(actor_for_email(staff["preparer"])), PROGRAMME, dt.date(2030, 1, 15)))
    run(runs.approve_run(run(actor_for_email(staff["approver"])), made["id"]))
    return made["id"]


def test_a_killed_run_creation_leaves_nothing_and_the_rerun_creates_it(staff):
    found = run(providers(2))
    run(approved_claims(found, 2, 4_000))
    for payee in found:
        run(confirmed_bank(payee))
    args = ["run", "--programme", PROGRAMME, "--pay-date", PAY_DATE]
    _killed(_grants(args, None, "run.create.before_commit", staff["preparer"]))
    assert run(_count("SELECT COUNT(*) AS n FROM payment_run")) == 0
    assert run(_count("SELECT COUNT(*) AS n FROM payment_line")) == 0
    assert "2 instruction(s)" in _ok(_grants(args, None, email=staff["preparer"]))


def test_a_release_killed_after_stripe_answered_is_finished_by_the_rerun_paying_once(staff, shared_stripe):
    run_id = _approved_run(staff, "stripe")
    _killed(_grants(["release", run_id], shared_stripe, "release.after_send", staff["releaser"]))
    assert len(shared_stripe.transfers) == 3  # Stripe made them; we never recorded the answers
    assert run(_count("SELECT COUNT(*) AS n FROM payment_instruction WHERE state = 'submitting'")) == 3
    time.sleep(1.2)  # the killed release's lease runs out
    _ok(_grants(["release", run_id], shared_stripe, email=staff["releaser"]))
    assert len(shared_stripe.transfers) == 3
    assert run(_count("SELECT COUNT(*) AS n FROM payment_instruction WHERE state = 'submitted'")) == 3
    assert run(_count("SELECT COUNT(*) AS n FROM ledger_entry WHERE kind = 'payment_submit'")) == 3
    assert run(runs.get_run(APPROVER, run_id))["status"] == "released"
    assert run(verify()).ok


def test_a_sepa_release_killed_after_hand_over_and_an_export_killed_midway(staff, tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_SEPA_FILE_MAX_TRANSACTIONS", "2")
    run_id = _approved_run(staff, "sepa")
    _killed(_grants(["release", run_id], None, "release.after_hand_over", staff["releaser"]))
    assert run(_count("SELECT COUNT(*) AS n FROM payment_instruction WHERE state = 'submitted'")) == 3
    time.sleep(1.2)
    _ok(_grants(["release", run_id], None, email=staff["releaser"]))
    assert run(runs.get_run(APPROVER, run_id))["status"] == "released"
    assert run(_count("SELECT COUNT(*) AS n FROM ledger_entry WHERE kind = 'payment_submit'")) == 3
    out = tmp_path / "files"
    _killed(_grants(["export", run_id, "--out", str(out)], None, "export.after_first_file"))
    assert sorted(p.name for p in out.iterdir()) == [f"{run_id}-001.xml"]  # whole files only
    _ok(_grants(["export", run_id, "--out", str(out)], None))
    for seq in (1, 2):
        name, data = run(sepa.file_bytes(run_id, seq))
        assert (out / name).read_bytes() == data
    assert run(verify()).ok


def test_a_webhook_handler_killed_before_commit_is_processed_once_on_redelivery(staff, shared_stripe):
    run_id = _approved_run(staff, "stripe", payees=1)
    run(release.release_run(run(actor_for_email(staff["releaser"])), run_id))
    transfer = next(iter(shared_stripe.transfers))
    payload, signature = signed_event(
        "transfer.created", {"id": transfer, "object": "transfer"}, event_id="evt_k"
    )
    code = (
        "import sys, asyncio; from app.disbursements import webhooks; "
        "asyncio.run(webhooks.handle(sys.stdin.buffer.read(), sys.argv[1]))"
    )
    env = dict(os.environ, GRANTS_STRIPE_HTTP="fake", GRANTS_STRIPE_FAKE_STATE=str(shared_stripe.state_file),
               GRANTS_CRASH_AT="webhook.before_commit")  # fmt: skip
    command = [sys.executable, "-c", code, signature]
    child = subprocess.run(command, input=payload, env=env, capture_output=True, check=False)  # noqa: S603
    _killed(child)
    assert run(_count("SELECT COUNT(*) AS n FROM stripe_event")) == 0
    assert run(webhooks.handle(payload, signature))["outcome"] == "settled"
    assert run(webhooks.handle(payload, signature))["duplicate"] is True
    assert run(_count("SELECT COUNT(*) AS n FROM ledger_entry WHERE kind = 'settle_stripe'")) == 1


def test_two_releases_at_the_same_moment_release_once(staff, shared_stripe, people):
    run_id = _approved_run(staff, "stripe", payees=4)
    other = people.make(Role.FINANCE_OFFICER, key="second-releaser")
    first, second = run(actor_for_email(staff["releaser"])), run(actor_for_email(other.email))

    async def both():
        return await asyncio.gather(
            release.release_run(first, run_id), release.release_run(second, run_id), return_exceptions=True
        )

    results = run(both())
    sent = sum(r["sent_now"] for r in results if isinstance(r, dict))
    refused = [r for r in results if not isinstance(r, dict)]
    assert all(getattr(r, "code", "") == "release_in_progress" for r in refused), refused
    assert sent == 4 and len(shared_stripe.transfers) == 4
    assert len({r["idempotency_key"] for r in shared_stripe.requests if r["method"] == "POST"}) == 4
    assert run(_count("SELECT COUNT(*) AS n FROM ledger_entry WHERE kind = 'payment_submit'")) == 4
