"""Personal data is not stored in clear: look at the raw database file and the raw PostgreSQL rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from app.core.roles import Role
from app.core.settings import get_settings
from tests.conftest import DB_KIND
from tests.support import PERSON_EXAMPLE, run

SECRETS = [
    "Zephyrine",
    "Quillfeather",
    "XQ-99887766",
    "Juniper Lane",
    "Marrowby",
    "zephyrine@example.org",
    "1990-04-17",
    "Tobiah",
    "Featherstone-Child",
]


def _seed(people) -> str:
    created = people.call(
        Role.CASEWORKER, "POST", "/api/v1/participants", json={"personal": PERSON_EXAMPLE}
    ).json()
    household = people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={"region": "North"}).json()
    child = {"given_name": "Tobiah", "family_name": "Featherstone-Child", "date_of_birth": "2022-02-02"}
    response = people.call(
        Role.CASEWORKER, "POST", f"/api/v1/households/{household['id']}/children", json={"personal": child}
    )
    assert response.status_code == 201, response.text
    return created["id"]


@pytest.mark.skipif(DB_KIND != "sqlite", reason="reads the SQLite file")
def test_sqlite_file_holds_no_personal_data_in_clear(people, sqlite_path):
    _seed(people)
    connection = sqlite3.connect(sqlite_path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # move everything from the WAL into the file
    connection.close()
    raw = b"".join(p.read_bytes() for p in Path(sqlite_path).parent.glob("test.sqlite*"))
    assert len(raw) > 10_000
    for secret in SECRETS:
        assert secret.encode() not in raw, secret


@pytest.mark.skipif(DB_KIND != "postgres", reason="reads raw PostgreSQL rows")
def test_postgres_rows_hold_no_personal_data_in_clear(people):
    _seed(people)

    async def dump() -> str:
        connection = await asyncpg.connect(get_settings().database_url)
        try:
            tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            chunks = []
            for t in tables:
                rows = await connection.fetch(f'SELECT row_to_json(x)::text AS j FROM "{t["tablename"]}" x')
                chunks += [r["j"] for r in rows]
            return "\n".join(chunks)
        finally:
            await connection.close()

    text = run(dump())
    assert "participant" in text or "par_" in text
    for secret in SECRETS:
        assert secret not in text, secret


def test_a_sealed_value_moved_to_another_record_does_not_open(people):
    from app.registry.tables import Participant

    first = _seed(people)
    other = dict(PERSON_EXAMPLE, national_id="OTHER-1")
    second = people.call(Role.CASEWORKER, "POST", "/api/v1/participants", json={"personal": other}).json()[
        "id"
    ]
    sealed = run(Participant.select(Participant.personal).where(Participant.public_id == first).first())
    run(Participant.update({Participant.personal: sealed["personal"]}).where(Participant.public_id == second))
    response = people.call(Role.CASEWORKER, "GET", f"/api/v1/participants/{second}")
    assert response.status_code == 200  # shown as unreadable (and logged), not opened
    assert response.json()["personal"] is None and response.json()["personal_unreadable"] is True
    assert "Quillfeather" not in response.text
