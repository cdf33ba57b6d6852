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


def test_demo_seed_only_loads_once(people):
    first = invoke("demo", "--seed-only")
    assert first.exit_code == 0, first.output
    assert "caseworker@demo.grants.test" in first.stderr
    count = run(Participant.count())
    assert count == 30
    second = invoke("demo", "--seed-only")
    assert "already loaded" in second.stderr
    assert run(Participant.count()) == count
    assert run(User.count().where(User.roles == Role.PROVIDER.value)) == 1
