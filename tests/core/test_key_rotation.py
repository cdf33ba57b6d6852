"""`grants keys rotate`: everything sealed or hashed under the personal-data key moves to a new key at once.
Data registered under key A still reads, matches and finds under B; A is refused afterwards; a failure
or a kill -9 midway leaves the database exactly as it was, under A."""

from __future__ import annotations

import base64
import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from app.bootstrap import rekey_steps
from app.cli import main
from app.core import crypto
from app.core.db import raw
from app.core.key_check import KeyMismatch, ensure_keys_match
from app.core.key_rotation import RotationRefused, Step, rotate
from app.core.roles import Role
from app.core.settings import get_settings
from app.disbursements import details
from app.eligibility import service as eligibility
from app.vouchers import service as vouchers
from tests.conftest import TEST_KEY
from tests.support import PERSON_EXAMPLE, SYSTEM, all_tables, run
from tests.vouchers.test_issue import CHILD_BIRTH, _decision, _world

KEY_A = base64.urlsafe_b64decode(TEST_KEY)
KEY_B_TEXT = base64.urlsafe_b64encode(b"B" * 32).decode()
KEY_B = base64.urlsafe_b64decode(KEY_B_TEXT)
P = "/api/v1/participants"


def use_key(monkeypatch, text: str) -> None:
    """Settings and the vault are read once per process: switch the configured key and forget them."""
    monkeypatch.setenv("GRANTS_SECRET_KEY", text)
    clear()


def clear() -> None:
    get_settings.cache_clear()
    crypto.get_vault.cache_clear()


@pytest.fixture(autouse=True)
def fresh_caches():
    clear()
    yield
    clear()


def _world_under_a(people) -> dict[str, str]:
    """Something in every sealed column and keyed hash: a participant and a child, a decision, a
    voucher, a participant's bank account, a response kept for an Idempotency-Key."""
    run(ensure_keys_match())
    world = run(_world(10_000_000))
    decision = run(_decision(world["participant"]))
    request = vouchers.IssueRequest(
        decision, "ESF", dt.date(2026, 3, 2), dt.date(2026, 5, 24), world["child"]
    )
    voucher = run(vouchers.issue_many(SYSTEM, [request]))[0]
    caseworker = people[Role.CASEWORKER]
    iban, bic = "DE89370400440532013000", "COBADEFFXXX"
    detail = run(details.propose(SYSTEM, world["participant"], "sepa", iban=iban, bic=bic, holder="Z Q"))
    headers = {**caseworker.headers, "Idempotency-Key": "register-1"}
    body = {"personal": dict(PERSON_EXAMPLE, national_id="ID-2", given_name="Ottoline")}
    first = people.client.post(P, json=body, headers=headers)
    assert first.status_code == 201, first.text
    return {
        **world,
        "decision": decision,
        "voucher": voucher["id"],
        "code": voucher["code"],
        "detail": detail["id"],
        "registered": first.json()["id"],
        "first_response": first.text,
    }


def _sealed_columns() -> set[str]:
    """Every table.column holding a sealed value now (sealed values start with the format, 'v1:')."""
    found = set()
    for table in all_tables():
        name = table._meta.tablename
        for column in table._meta.columns:
            if column.value_type is not str:
                continue
            hit = run(
                raw(
                    f'SELECT 1 AS hit FROM "{name}" WHERE CAST("{column._meta.db_column_name}" AS TEXT) LIKE {{}}',
                    "v1:%",
                )
            )
            if hit:
                found.add(f"{name}.{column._meta.db_column_name}")
    return found


def _snapshot() -> dict[str, list]:
    return {
        t._meta.tablename: run(raw(f'SELECT * FROM "{t._meta.tablename}" ORDER BY id')) for t in all_tables()
    }


def _everything_works(people, world: dict[str, str]) -> None:
    """Read, match and find everything `_world_under_a` made, with the configured key."""
    caseworker = people[Role.CASEWORKER]
    one = people.call(Role.CASEWORKER, "GET", f"{P}/{world['participant']}")
    assert one.status_code == 200 and one.json()["personal_unreadable"] is False, one.text
    assert one.json()["personal"]["given_name"] == PERSON_EXAMPLE["given_name"]
    listed = people.call(Role.CASEWORKER, "GET", P).json()["data"]
    assert listed and not any(r["personal_unreadable"] for r in listed)
    duplicate = people.call(Role.CASEWORKER, "POST", P, json={"personal": PERSON_EXAMPLE})
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_national_id"
    found = people.call(Role.CASEWORKER, "GET", P, params={"name": "zephy quill"}).json()["data"]
    assert [r["id"] for r in found] == [world["participant"]]
    by_id = people.call(Role.CASEWORKER, "GET", P, params={"national_id": PERSON_EXAMPLE["national_id"]})
    assert [r["id"] for r in by_id.json()["data"]] == [world["participant"]]
    voucher = run(vouchers.find_by_code(world["code"], dt.date.fromisoformat(CHILD_BIRTH)))
    assert voucher["id"] == world["voucher"]
    assert run(eligibility.get_decision(world["decision"]))["explanation"]
    assert details.open_bank(
        run(raw("SELECT * FROM payment_detail WHERE public_id = {}", world["detail"]))[0]
    )
    headers = {**caseworker.headers, "Idempotency-Key": "register-1"}
    body = {"personal": dict(PERSON_EXAMPLE, national_id="ID-2", given_name="Ottoline")}
    again = people.client.post(P, json=body, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true", again.text
    assert again.text == world["first_response"]


def test_after_rotation_everything_reads_matches_and_finds_under_the_new_key(people, monkeypatch):
    world = _world_under_a(people)
    steps = rekey_steps()
    covered = {c for step in steps for c in step.covers}
    assert _sealed_columns() <= covered, "a sealed column that `grants keys rotate` would not re-seal"
    before = _snapshot()
    done = run(rotate(KEY_A, KEY_B, steps))
    assert done["participants"] == 2 and done["children"] == 1 and done["vouchers"] == 1
    assert done["payment_detail.bank"] == 1 and done["idempotency_record.response"] == 1
    after = _snapshot()
    for column in covered:  # every sealed value changed
        table, name = column.split(".")
        sealed_before = {r["id"]: r[name] for r in before[table] if str(r[name]).startswith("v1:")}
        assert sealed_before and all(
            r[name] != sealed_before[r["id"]] for r in after[table] if r["id"] in sealed_before
        )
    use_key(monkeypatch, KEY_B_TEXT)
    run(ensure_keys_match())
    _everything_works(people, world)
    use_key(monkeypatch, TEST_KEY)
    with pytest.raises(KeyMismatch, match="not the key this database was set up with"):
        run(ensure_keys_match())


def test_a_failure_midway_leaves_everything_under_the_old_key(people):
    world = _world_under_a(people)
    before = _snapshot()

    async def boom(rekey) -> int:
        raise RuntimeError("injected failure")

    steps = rekey_steps()
    with pytest.raises(RuntimeError, match="injected"):
        run(rotate(KEY_A, KEY_B, [*steps[:2], Step("boom", boom), *steps[2:]]))
    assert _snapshot() == before
    run(ensure_keys_match())  # still key A
    _everything_works(people, world)


def test_a_kill_midway_leaves_everything_under_the_old_key(people, tmp_path):
    world = _world_under_a(people)
    before = _snapshot()
    new_key = tmp_path / "new.key"
    new_key.write_text(KEY_B_TEXT + "\n")
    env = {**os.environ, "GRANTS_CRASH_AT": "keys.rotate.after.participants"}
    command = [sys.executable, "-m", "app.cli", "keys", "rotate", "--new-key-file", str(new_key), "--yes"]
    killed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _snapshot() == before
    _everything_works(people, world)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr
    assert KEY_B_TEXT not in done.stdout + done.stderr and TEST_KEY not in done.stdout + done.stderr


def test_the_command_refuses_a_key_that_is_not_the_current_one(people, monkeypatch, tmp_path):
    run(ensure_keys_match())
    before = _snapshot()
    new_key = tmp_path / "new.key"
    new_key.write_text(KEY_B_TEXT)
    other = base64.urlsafe_b64encode(b"x" * 32).decode()
    use_key(monkeypatch, other)
    result = CliRunner().invoke(main, ["keys", "rotate", "--new-key-file", str(new_key), "--yes"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "not this database's current key" in text and other not in text and KEY_B_TEXT not in text
    assert _snapshot() == before
    use_key(monkeypatch, TEST_KEY)
    with pytest.raises(RotationRefused, match="the new key is the current key"):
        run(rotate(KEY_A, KEY_A, rekey_steps()))


def test_a_row_that_does_not_open_stops_the_rotation_naming_it(people):
    world = _world_under_a(people)
    other = crypto.Vault.from_master(b"x" * 32)
    damaged = other.seal({"given_name": "Someone"}, f"child:{world['child']}")
    run(raw("UPDATE child SET personal = {} WHERE public_id = {}", damaged, world["child"]))
    before = _snapshot()
    with pytest.raises(RotationRefused, match=f"child {world['child']} does not open with the current key"):
        run(rotate(KEY_A, KEY_B, rekey_steps()))
    assert _snapshot() == before


def test_a_holder_check_follows_the_registrys_corrected_date_of_birth(people, monkeypatch):
    """A holder check is one-way: for a date of birth corrected after issue it cannot be carried over, so
    the rotation makes it check the registry's date (docs/security.md), and counts it."""
    import msgspec

    from app.registry.households import update_child
    from app.registry.personal import ChildPersonalPatch

    world = _world_under_a(people)
    corrected = dt.date(2024, 5, 11)
    patch = msgspec.convert({"date_of_birth": corrected.isoformat()}, ChildPersonalPatch)
    run(update_child(SYSTEM, world["child"], patch))
    issued_with = dt.date.fromisoformat(CHILD_BIRTH)
    assert run(vouchers.find_by_code(world["code"], issued_with))["id"] == world["voucher"]
    run(rotate(KEY_A, KEY_B, rekey_steps()))
    use_key(monkeypatch, KEY_B_TEXT)
    assert run(vouchers.find_by_code(world["code"], corrected))["id"] == world["voucher"]
    from app.core.errors import NotFound

    with pytest.raises(NotFound):
        run(vouchers.find_by_code(world["code"], issued_with))
