"""The registry keeps a keyed hash of each person's date of birth beside the sealed record, so batch work
(voucher issuance) opens no sealed data. Rows written before the hash was kept are filled by a migration,
or their hash is computed from the sealed record when asked for."""

from __future__ import annotations

import datetime as dt
import importlib

import msgspec

from app.core.actor import Actor
from app.core.db import write_transaction
from app.core.roles import Role
from app.registry import households, participants
from app.registry.personal import (
    ChildPersonal,
    ChildPersonalPatch,
    ParticipantPersonal,
    ParticipantPersonalPatch,
    birth_date_hash,
)
from app.registry.tables import Child, Participant
from tests.support import PERSON_EXAMPLE, SYSTEM

BACKFILL = importlib.import_module("app.registry.piccolo_migrations.registry_2026_11_27t03_00_01_000000")
BORN = PERSON_EXAMPLE["date_of_birth"]


async def _participant(personal: dict = PERSON_EXAMPLE) -> str:
    return (await participants.register(SYSTEM, msgspec.convert(personal, ParticipantPersonal))).id


async def _child(born: dt.date = dt.date(2022, 2, 2)) -> str:
    household = (await households.create_household(SYSTEM, "North")).id
    personal = ChildPersonal(given_name="Tobiah", family_name="Featherstone", date_of_birth=born)
    return (await households.add_child(SYSTEM, household, personal)).id


async def _stored(table, public_id: str) -> str | None:
    row = await table.select(table.birth_date_hash).where(table.public_id == public_id).first()
    return row["birth_date_hash"]


async def test_registering_and_correcting_a_date_of_birth_keep_its_hash():
    person = await _participant()
    assert await _stored(Participant, person) == birth_date_hash("participant", person, BORN)
    await participants.update(SYSTEM, person, ParticipantPersonalPatch(date_of_birth=dt.date(1991, 1, 2)))
    assert await _stored(Participant, person) == birth_date_hash("participant", person, "1991-01-02")
    child = await _child()
    assert await _stored(Child, child) == birth_date_hash("child", child, "2022-02-02")
    await households.update_child(SYSTEM, child, ChildPersonalPatch(date_of_birth=dt.date(2022, 3, 3)))
    assert await _stored(Child, child) == birth_date_hash("child", child, "2022-03-03")


async def test_the_hash_is_bound_to_its_record():
    first, second = await _participant(), await _participant(dict(PERSON_EXAMPLE, national_id="OTHER-1"))
    assert await _stored(Participant, first) != await _stored(Participant, second)


async def test_rows_without_the_hash_are_computed_on_the_fly_and_filled_by_the_migration():
    person, child = await _participant(), await _child()
    await Participant.update({Participant.birth_date_hash: None}).where(Participant.public_id == person)
    await Child.update({Child.birth_date_hash: None}).where(Child.public_id == child)
    async with write_transaction():
        found = await participants.birth_checks(SYSTEM, {person})
        children = await households.child_birth_checks(SYSTEM, {child})
    assert found[person].birth_date_hash == birth_date_hash("participant", person, BORN)
    assert children[child].birth_date_hash == birth_date_hash("child", child, "2022-02-02")
    async with write_transaction():
        await BACKFILL._backfill("participant", "participant")
        await BACKFILL._backfill("child", "child")
    assert await _stored(Participant, person) == birth_date_hash("participant", person, BORN)
    assert await _stored(Child, child) == birth_date_hash("child", child, "2022-02-02")


async def test_roles_without_personal_data_get_no_hash():
    person = await _participant()
    auditor = Actor(None, "usr_auditor000000000", "auditor", frozenset({Role.AUDITOR}))
    async with write_transaction():
        found = await participants.birth_checks(auditor, {person, "par_unknown00000000"})
    assert list(found) == [person] and found[person].birth_date_hash is None
