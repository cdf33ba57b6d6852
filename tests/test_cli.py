"""The `grants` command, run in process against the test database."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.core.roles import Role
from app.core.tables import User
from app.registry.tables import Participant
from tests.support import run


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_init_is_idempotent():
    first = invoke("init")
    second = invoke("init")
    assert first.exit_code == second.exit_code == 0
    assert "Database ready" in second.stderr


def test_users_create_list_and_token(client):
    created = invoke(
        "users",
        "create",
        "Ops@Example.org",
        "--name",
        "Ops Robot",
        "--role",
        "finance_officer",
        "--role",
        "approver",
        "--no-password",
    )
    assert created.exit_code == 0, created.output
    assert "ops@example.org" in created.stdout
    listed = invoke("users", "list")
    assert "Ops Robot" in listed.stdout
    token = invoke("tokens", "create", "ops@example.org", "--name", "batch")
    assert token.exit_code == 0
    secret = token.stdout.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["roles"] == ["approver", "finance_officer"]


def test_users_create_prompts_for_a_password():
    result = invoke(
        "users",
        "create",
        "p@example.org",
        "--name",
        "P",
        "--role",
        "auditor",
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == 0, result.output
    row = run(User.select(User.password_hash).where(User.email == "p@example.org").first())
    assert row["password_hash"].startswith("$argon2id$")


def test_cli_errors_are_one_line_without_traceback():
    bad_role = invoke(
        "users", "create", "x@example.org", "--name", "X", "--role", "provider", "--no-password"
    )
    assert bad_role.exit_code == 1
    assert "must belong to a provider organisation" in bad_role.stderr
    assert "Traceback" not in bad_role.output
    missing = invoke("tokens", "create", "ghost@example.org")
    assert missing.exit_code == 1
    assert "No such user" in missing.stderr


def test_keys_generate_prints_a_usable_key():
    from app.core.crypto import _decode_master

    result = invoke("keys", "generate")
    assert len(_decode_master(result.stdout.strip())) == 32


def test_demo_seed_only_loads_once(people, monkeypatch):
    from app.demo.story import DEMO_DEBTOR

    for name, value in DEMO_DEBTOR.items():
        monkeypatch.setenv(name, value)  # what the command sets when unset; restored after the test
    first = invoke("demo", "--seed-only")
    assert first.exit_code == 0, first.output
    assert "caseworker@demo.grants.test" in first.stderr
    assert "approver.2@demo.grants.test" in first.stderr
    assert "waiting for a second" in " ".join(first.stderr.split())
    count = run(Participant.count())
    assert count == 30
    second = invoke("demo", "--seed-only")
    assert "already loaded" in second.stderr
    assert run(Participant.count()) == count
    assert run(User.count().where(User.roles == Role.PROVIDER.value)) == 1


def test_ledger_commands(tmp_path):
    from app.ledger.operations import Kind
    from tests.ledger.helpers import do, setup_dimensions

    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 123_456))
    run(do(Kind.COMMIT, 1_000))
    verified = invoke("ledger", "verify")
    assert verified.exit_code == 0
    assert "OK: 2 entries, 6 postings" in verified.stderr
    head = verified.stderr.split("head ")[-1].strip()
    assert invoke("ledger", "verify", "--expect-head", head).exit_code == 0
    assert invoke("ledger", "verify", "--expect-head", "0" * 64).exit_code == 1
    tb = invoke("ledger", "trial-balance")
    assert tb.exit_code == 0 and "1234.56" in tb.stdout
    out = tmp_path / "l.beancount"
    assert invoke("ledger", "export-beancount", "--out", str(out)).exit_code == 0
    assert "Equity:Budget:Committed:ESF:CHILDCARE" in out.read_text()
    assert invoke("ledger", "close-period", "2026-10").exit_code == 0
    again = invoke("ledger", "close-period", "2026-10")
    assert again.exit_code == 1 and "already closed" in again.stderr
    assert invoke("ledger", "close-period", "10/2026").exit_code == 1
    assert invoke("ledger", "trial-balance", "--as-of", "yesterday").exit_code == 1


def test_ledger_verify_fails_loudly_on_tampering():
    from app.core.db import engine
    from app.ledger import append_only
    from app.ledger.operations import Kind
    from tests.ledger.helpers import do, setup_dimensions

    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 500))
    run(append_only.uninstall(engine()))
    run(engine().run_ddl("UPDATE ledger_posting SET amount = amount + 1 WHERE id = 1"))
    result = invoke("ledger", "verify")
    assert result.exit_code == 1
    assert "je_1" in result.stderr and "edited" in result.stderr
