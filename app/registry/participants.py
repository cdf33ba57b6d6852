"""Registering and finding participants. Personal data is sealed; only caseworkers see it opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.ids import new_id
from app.core.pagination import Page, paginate
from app.core.roles import PERSONAL_DATA_ROLES
from app.core.sql import Sql
from app.registry import name_index
from app.registry.personal import (
    PARTICIPANT_FIELDS,
    BirthCheck,
    ParticipantPersonal,
    ParticipantPersonalPatch,
    birth_checks_from_rows,
    birth_date_hash,
    merge,
    national_id_index,
    seal,
    to_plain,
    unseal,
    unseal_for_view,
)
from app.registry.tables import Household, Participant, ParticipantNameToken

KIND = "participant"
STATUSES = ("active", "inactive")
_NAME_CANDIDATES = 200  # candidates opened per round of a name search


@dataclass(frozen=True)
class ParticipantView:
    id: str
    household: str | None
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    personal: dict[str, Any] | None  # None for roles that may not see personal data
    personal_unreadable: bool = False  # sealed under another key or damaged: shown, logged, not opened


_COLUMNS = (
    Participant.id,
    Participant.public_id,
    Participant.household.public_id.as_alias("household_public_id"),
    Participant.personal,
    Participant.status,
    Participant.created_at,
    Participant.updated_at,
)


def may_see_personal(actor: Actor) -> bool:
    return bool(actor.roles & PERSONAL_DATA_ROLES)


def _view(actor: Actor, row: dict) -> ParticipantView:
    personal, unreadable = (
        unseal_for_view(KIND, row["public_id"], row["personal"]) if may_see_personal(actor) else (None, False)
    )
    return ParticipantView(
        id=row["public_id"],
        household=row["household_public_id"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        personal=personal,
        personal_unreadable=unreadable,
    )


def _audit_values(household: str | None, status: str, personal: dict[str, Any]) -> dict[str, Any]:
    return {"household": household, "status": status, **audit.redact(personal, PARTICIPANT_FIELDS)}


async def _household_id(public_id: str | None) -> int | None:
    if public_id is None:
        return None
    row = await Household.select(Household.id).where(Household.public_id == public_id).first()
    if row is None:
        raise ValidationFailed("unknown_household", f"no household {public_id}", "household")
    return row["id"]


async def _refuse_duplicate(index: str | None, except_public_id: str | None = None) -> None:
    if index is None:
        return
    row = (
        await Participant.select(Participant.public_id).where(Participant.national_id_index == index).first()
    )
    if row is not None and row["public_id"] != except_public_id:
        raise Conflict(
            "duplicate_national_id",
            f"a participant with this national id is already registered: {row['public_id']}",
            "national_id",
        )


def _names(values: dict[str, Any]) -> tuple[str, str]:
    return values["given_name"], values["family_name"]


async def _index_names(public_id: str, values: dict[str, Any], replace: bool = False) -> None:
    """Write the participant's name tokens (app/registry/name_index.py), in the caller's transaction."""
    row = await Participant.select(Participant.id).where(Participant.public_id == public_id).first()
    if replace:
        await ParticipantNameToken.delete().where(ParticipantNameToken.participant == row["id"])
    stored = name_index.stored_values(*_names(values))
    await ParticipantNameToken.insert(
        *(ParticipantNameToken(participant=row["id"], token=value) for value in sorted(stored))
    )


def require_personal_access(actor: Actor) -> None:
    if not may_see_personal(actor):
        raise Forbidden("personal_data_forbidden", "your role may not handle personal data")


async def register(
    actor: Actor, personal: ParticipantPersonal, household: str | None = None
) -> ParticipantView:
    require_personal_access(actor)
    public_id = new_id("par")
    values = to_plain(personal)
    index = national_id_index(personal.national_id)
    async with write_transaction():
        household_id = await _household_id(household)
        await _refuse_duplicate(index)
        await Participant.insert(
            Participant(
                public_id=public_id,
                household=household_id,
                personal=seal(KIND, public_id, values),
                national_id_index=index,
                birth_date_hash=birth_date_hash(KIND, public_id, values["date_of_birth"]),
            )
        )
        await _index_names(public_id, values)
        await audit.record(
            actor,
            "participant.create",
            KIND,
            public_id,
            after=_audit_values(household, "active", values),
        )
        return await get(actor, public_id)


async def get(actor: Actor, public_id: str) -> ParticipantView:
    if actor.is_outside:
        raise NotFound(KIND)
    row = await Participant.select(*_COLUMNS).where(Participant.public_id == public_id).first()
    if row is None:
        raise NotFound(KIND)
    return _view(actor, row)


async def search(
    actor: Actor,
    *,
    limit: int,
    starting_after: str | None = None,
    id_prefix: str | None = None,
    national_id: str | None = None,
    name: str | None = None,
    household: str | None = None,
    status: str | None = None,
) -> Page:
    """Find participants by (the start of) their pseudonymous id, national id, part of their name,
    household or status."""
    if actor.is_outside:
        raise NotFound(KIND)
    where = []
    if id_prefix:
        where.append(Participant.public_id.like(_prefix_pattern(id_prefix)))
    if national_id:
        require_personal_access(actor)
        where.append(Participant.national_id_index == national_id_index(national_id))
    if household:
        where.append(Participant.household.public_id == household)
    if status:
        where.append(Participant.status == status)
    if name is not None:
        require_personal_access(actor)
        return await _search_by_name(actor, name_index.search_words(name), where, limit, starting_after)
    page = await paginate(Participant, _COLUMNS, where, limit, starting_after)
    return Page(rows=[_view(actor, r) for r in page.rows], has_more=page.has_more)


async def _search_by_name(
    actor: Actor, words: list[str], where: list, limit: int, starting_after: str | None
) -> Page:
    """Candidates share an index value with every word; the values collide on purpose, so each candidate is
    opened and kept only if its names really match. Walks candidates newest first until a page is full."""
    for value in {name_index.lookup_value(w) for w in words}:
        tokens = ParticipantNameToken.select(ParticipantNameToken.participant)
        where.append(Participant.id.is_in(tokens.where(ParticipantNameToken.token == value)))
    found: list[ParticipantView] = []
    cursor = starting_after
    while len(found) <= limit:
        page = await paginate(Participant, _COLUMNS, where, _NAME_CANDIDATES, cursor)
        for row in page.rows:
            view = _view(actor, row)
            if name_index.matches(words, *_names(view.personal)):
                found.append(view)
        if not page.has_more:
            break
        cursor = page.rows[-1]["public_id"]
    return Page(rows=found[:limit], has_more=len(found) > limit)


def _prefix_pattern(prefix: str) -> str:
    if len(prefix) < 4 or not prefix.replace("_", "").isalnum():
        raise ValidationFailed("invalid_search", "id search needs at least 4 letters or digits", "q")
    # `_` in LIKE matches any one character; ids have one, right after their fixed prefix, so it is harmless.
    return prefix.lower() + "%"


async def update(
    actor: Actor,
    public_id: str,
    personal: ParticipantPersonalPatch | None = None,
    household: str | None = None,
    status: str | None = None,
) -> ParticipantView:
    require_personal_access(actor)
    if status is not None and status not in STATUSES:
        raise ValidationFailed("invalid_status", f"status must be one of {', '.join(STATUSES)}", "status")
    async with write_transaction():
        row = await Participant.select(*_COLUMNS).where(Participant.public_id == public_id).first()
        if row is None:
            raise NotFound(KIND)
        current = unseal(KIND, public_id, row["personal"])
        values = merge(current, personal, ParticipantPersonal) if personal else current
        index = national_id_index(values.get("national_id"))
        await _refuse_duplicate(index, except_public_id=public_id)
        new_household = household if household is not None else row["household_public_id"]
        new_status = status or row["status"]
        await Participant.update(
            {
                Participant.personal: seal(KIND, public_id, values),
                Participant.national_id_index: index,
                Participant.birth_date_hash: birth_date_hash(KIND, public_id, values["date_of_birth"]),
                Participant.household: await _household_id(new_household),
                Participant.status: new_status,
                Participant.updated_at: utcnow(),
            }
        ).where(Participant.id == row["id"])
        if _names(current) != _names(values):
            await _index_names(public_id, values, replace=True)
        before, after = audit.changes(
            {"household": row["household_public_id"], "status": row["status"]},
            {"household": new_household, "status": new_status},
        )
        changed = [k for k in PARTICIPANT_FIELDS if current.get(k) != values.get(k)]
        redacted = dict.fromkeys(changed, audit.REDACTED)
        if after or changed:
            await audit.record(
                actor,
                "participant.update",
                KIND,
                public_id,
                before={**before, **redacted},
                after={**after, **redacted},
            )
        return await get(actor, public_id)


async def birth_checks(actor: Actor, public_ids: set[str]) -> dict[str, BirthCheck]:
    """Participants' households and birth-date hashes by id, for batch work (unknown ids are simply absent).
    Reads no sealed data unless a row predates the hash. One raw query, in the caller's transaction."""
    sql = Sql()
    rows = await sql.fetch(
        "SELECT p.public_id, h.public_id AS household_public_id, p.birth_date_hash, "
        "CASE WHEN p.birth_date_hash IS NULL THEN p.personal END AS personal "
        f"FROM participant p {sql.join_any(1, 'text', 'k')} ON p.public_id = k.value "
        "LEFT JOIN household h ON h.id = p.household",
        sorted(public_ids),
    )
    return birth_checks_from_rows(KIND, rows, may_see_personal(actor))
