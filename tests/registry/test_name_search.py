"""Finding participants by part of their name through the blind index of name tokens: what matches, who may
search, that renaming moves the index, that colliding index values are filtered out, and the backfill."""

from __future__ import annotations

import copy
import importlib

import msgspec

from app.core.db import write_transaction
from app.core.roles import Role
from app.registry import name_index, participants
from app.registry.personal import ParticipantPersonal
from app.registry.tables import Participant, ParticipantNameToken
from tests.support import PERSON_EXAMPLE, SYSTEM

BASE = "/api/v1/participants"
BACKFILL = importlib.import_module("app.registry.piccolo_migrations.registry_2026_12_02t01_19_30_000000")


def person(given: str, family: str, national_id: str) -> dict:
    return copy.deepcopy(PERSON_EXAMPLE) | {
        "given_name": given,
        "family_name": family,
        "national_id": national_id,
    }


async def _register(given: str, family: str, national_id: str) -> str:
    personal = msgspec.convert(person(given, family, national_id), ParticipantPersonal)
    return (await participants.register(SYSTEM, personal)).id


async def _found(name: str, limit: int = 20, starting_after: str | None = None) -> list[str]:
    page = await participants.search(SYSTEM, limit=limit, name=name, starting_after=starting_after)
    return [p.id for p in page.rows]


def test_tokens_are_normalised_words():
    assert name_index.tokens("Ana-María  O'Neil", "ÇELİK_Straße") == {
        "ana",
        "maria",
        "o",
        "neil",
        "celik",
        "strasse",
    }


def test_caseworker_finds_a_participant_by_part_of_her_name(people):
    def register(body):
        response = people.call(Role.CASEWORKER, "POST", BASE, json={"personal": body})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    zephyrine = register(person("Zephyrine", "Quillfeather", "N-1"))
    ana = register(person("Ana-María", "O'Neil", "N-2"))
    anabel = register(person("Anabel", "Quill", "N-3"))

    def search(name):
        response = people.call(Role.CASEWORKER, "GET", BASE, params={"name": name})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["data"]]

    assert search("quill") == [anabel, zephyrine]
    assert search("ANA maria") == [ana]
    assert search("Zeph QUILLF") == [zephyrine]
    assert search("ana") == [anabel, ana]
    assert search("mar") == [ana]
    assert search("o") == [ana]  # a one-letter token is indexed whole
    assert search("ne") == []  # …but a two-letter start of a longer token is not
    assert search("quillfeathers") == []  # longer than the name: the start matches, the check does not
    assert search("Marrowby") == []  # the address is not indexed
    found = people.call(Role.CASEWORKER, "GET", BASE, params={"name": "zeph"}).json()["data"]
    assert found[0]["personal"]["family_name"] == "Quillfeather"


def test_only_caseworkers_search_by_name_and_a_search_needs_a_word(people):
    for role in (Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN):
        response = people.call(role, "GET", BASE, params={"name": "quill"})
        assert response.status_code == 403, role
        assert response.json()["error"]["code"] == "personal_data_forbidden"
    for role in (Role.PROVIDER, Role.EMPLOYER):
        assert people.call(role, "GET", BASE, params={"name": "quill"}).status_code == 403
    response = people.call(Role.CASEWORKER, "GET", BASE, params={"name": " -'. "})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_search" and error["param"] == "name"
    too_many = people.call(Role.CASEWORKER, "GET", BASE, params={"name": "a b c d e f"})
    assert too_many.status_code == 400 and "5 words" in too_many.json()["error"]["message"]


async def test_renaming_moves_the_index():
    first = await _register("Zephyrine", "Quillfeather", "N-1")
    patch = msgspec.convert({"family_name": "Brightwater"}, participants.ParticipantPersonalPatch)
    await participants.update(SYSTEM, first, patch)
    assert await _found("quill") == []
    assert await _found("bright zeph") == [first]


async def test_the_index_stores_numbers_only():
    first = await _register("Zephyrine", "Quillfeather", "N-1")
    rows = await ParticipantNameToken.select(ParticipantNameToken.token)
    # zep..zephyrine (7 starts) and qui..quillfeath (8 starts), fewer if two starts share a value
    assert 1 < len(rows) <= 15
    assert all(isinstance(r["token"], int) and 0 <= r["token"] < 2**name_index.BITS for r in rows)
    assert await _found("zephyrine") == [first]


async def test_colliding_index_values_are_filtered_by_the_names(monkeypatch):
    # One bit: every name shares its index values with about half the registry, as large registries do.
    monkeypatch.setattr(name_index, "BITS", 1)
    monkeypatch.setattr(participants, "_NAME_CANDIDATES", 2)
    made = [
        await _register(f"Person{i:02d}", "Smith" if i % 3 else "Quillfeather", f"N-{i}") for i in range(9)
    ]
    quills = [made[i] for i in (6, 3, 0)]
    assert await _found("quill") == quills
    first_page = await _found("quill", limit=2)
    assert first_page == quills[:2]
    assert await _found("quill", limit=2, starting_after=first_page[-1]) == quills[2:]
    page = await participants.search(SYSTEM, limit=2, name="quill")
    assert page.has_more


async def test_the_backfill_indexes_participants_registered_before_the_index():
    first = await _register("Zephyrine", "Quillfeather", "N-1")
    second = await _register("Anabel", "Quill", "N-2")
    expected = sorted(r["token"] for r in await ParticipantNameToken.select(ParticipantNameToken.token))
    row = await Participant.select(Participant.id).where(Participant.public_id == second).first()
    await ParticipantNameToken.delete().where(ParticipantNameToken.participant == row["id"])
    assert await _found("quill") == [first]
    async with write_transaction():
        await BACKFILL._backfill()
    assert (
        sorted(r["token"] for r in await ParticipantNameToken.select(ParticipantNameToken.token)) == expected
    )
    assert await _found("quill") == [second, first]
