"""Keys that cannot be lost silently: key check values, refusal of a mismatched or missing key, and a row
that does not open shown as unreadable instead of failing its list."""

from __future__ import annotations

import base64

import msgspec
import pytest
from click.testing import CliRunner

from app.cli import main
from app.core import crypto
from app.core.key_check import KeyMismatch, ensure_keys_match
from app.core.roles import Role
from app.core.settings import get_settings
from app.registry.participants import register
from app.registry.personal import ParticipantPersonal
from tests.support import PERSON_EXAMPLE, SYSTEM, run

OTHER_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()


def clear() -> None:
    """Settings and keys are read once per process; these tests change them."""
    get_settings.cache_clear()
    crypto.get_vault.cache_clear()
    crypto.get_ledger_key.cache_clear()


@pytest.fixture
def fresh_caches():
    clear()
    yield
    clear()


def test_init_without_the_key_on_an_existing_database_is_refused(monkeypatch, tmp_path, fresh_caches):
    """`grants init` without the key made a new one silently (this test failed then: exit 0, a new file)."""
    run(ensure_keys_match())
    key_file = tmp_path / "new-key"
    monkeypatch.delenv("GRANTS_SECRET_KEY")
    monkeypatch.setenv("GRANTS_SECRET_KEY_FILE", str(key_file))
    clear()
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 1
    assert "set up with a personal key" in " ".join(result.stderr.split())
    assert not key_file.exists()


def test_init_and_start_with_another_key_are_refused(monkeypatch, fresh_caches):
    run(ensure_keys_match())
    monkeypatch.setenv("GRANTS_SECRET_KEY", OTHER_KEY)
    clear()
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 1
    assert "not the key this database was set up with" in " ".join(result.stderr.split())
    with pytest.raises(KeyMismatch):
        run(ensure_keys_match())
    from litestar.testing import TestClient

    from app.main import create_app

    with pytest.raises(BaseException) as refused, TestClient(create_app()):
        pass
    assert refused.type is KeyMismatch or refused.group_contains(KeyMismatch)


def test_the_ledger_key_is_checked_too(monkeypatch, fresh_caches):
    run(ensure_keys_match())
    monkeypatch.setenv("GRANTS_LEDGER_KEY", OTHER_KEY)
    clear()
    with pytest.raises(KeyMismatch, match="GRANTS_LEDGER_KEY"):
        run(ensure_keys_match())


def test_a_row_sealed_under_another_key_is_shown_unreadable(people, fresh_caches):
    """A row that did not open made the whole list a 500 (this test failed then)."""
    good = run(register(SYSTEM, msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal)))
    stranger = run(
        register(SYSTEM, msgspec.convert(dict(PERSON_EXAMPLE, national_id="X-2"), ParticipantPersonal))
    )
    other = crypto.Vault.from_master(base64.urlsafe_b64decode(OTHER_KEY))
    from app.core.db import raw

    sealed = other.seal({"given_name": "Someone"}, f"participant:{stranger.id}")
    run(raw("UPDATE participant SET personal = {} WHERE public_id = {}", sealed, stranger.id))
    listed = people.call(Role.CASEWORKER, "GET", "/api/v1/participants")
    assert listed.status_code == 200, listed.text
    rows = {r["id"]: r for r in listed.json()["data"]}
    assert rows[stranger.id]["personal"] is None and rows[stranger.id]["personal_unreadable"] is True
    assert rows[good.id]["personal"]["given_name"] and rows[good.id]["personal_unreadable"] is False
    one = people.call(Role.CASEWORKER, "GET", f"/api/v1/participants/{stranger.id}")
    assert one.status_code == 200 and one.json()["personal_unreadable"] is True
