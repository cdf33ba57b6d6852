"""Households and the children in them. Children's personal data is sealed like participants'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.errors import NotFound
from app.core.ids import new_id
from app.core.pagination import Page, paginate
from app.core.sql import Sql
from app.registry.participants import may_see_personal, require_personal_access
from app.registry.personal import (
    CHILD_FIELDS,
    BirthCheck,
    ChildPersonal,
    ChildPersonalPatch,
    birth_checks_from_rows,
    birth_date_hash,
    merge,
    seal,
    to_plain,
    unseal,
    unseal_for_view,
)
from app.registry.tables import Child, Household, Participant

CHILD = "child"


@dataclass(frozen=True)
class HouseholdView:
    id: str
    region: str
    members: list[str]
    children: list[str]
    created_at: dt.datetime


@dataclass(frozen=True)
class ChildView:
    id: str
    household: str
    created_at: dt.datetime
    updated_at: dt.datetime
    personal: dict[str, Any] | None
    personal_unreadable: bool = False  # sealed under another key or damaged: shown, logged, not opened


def _refuse_outsiders(actor: Actor, what: str) -> None:
    if actor.is_outside:
        raise NotFound(what)


async def create_household(actor: Actor, region: str = "") -> HouseholdView:
    public_id = new_id("hh")
    async with write_transaction():
        await Household.insert(Household(public_id=public_id, region=region.strip()))
        await audit.record(actor, "household.create", "household", public_id, after={"region": region})
        return await get_household(actor, public_id)


async def _household_row(public_id: str) -> dict:
    row = await Household.select().where(Household.public_id == public_id).first()
    if row is None:
        raise NotFound("household")
    return row


async def get_household(actor: Actor, public_id: str) -> HouseholdView:
    _refuse_outsiders(actor, "household")
    row = await _household_row(public_id)
    return await _household_view(row)


async def _household_view(row: dict) -> HouseholdView:
    members = await Participant.select(Participant.public_id).where(Participant.household == row["id"])
    children = await Child.select(Child.public_id).where(Child.household == row["id"])
    return HouseholdView(
        id=row["public_id"],
        region=row["region"],
        members=[m["public_id"] for m in members],
        children=[c["public_id"] for c in children],
        created_at=row["created_at"],
    )


async def list_households(
    actor: Actor, limit: int, starting_after: str | None, region: str | None = None
) -> Page:
    _refuse_outsiders(actor, "household")
    where = [Household.region == region] if region else []
    page = await paginate(Household, Household.all_columns(), where, limit, starting_after)
    return Page(rows=[await _household_view(r) for r in page.rows], has_more=page.has_more)


async def update_household(actor: Actor, public_id: str, region: str) -> HouseholdView:
    async with write_transaction():
        row = await _household_row(public_id)
        await Household.update({Household.region: region.strip()}).where(Household.id == row["id"])
        if row["region"] != region.strip():
            await audit.record(
                actor,
                "household.update",
                "household",
                public_id,
                before={"region": row["region"]},
                after={"region": region.strip()},
            )
        return await get_household(actor, public_id)


# --- children ---------------------------------------------------------------------------------

_CHILD_COLUMNS = (
    Child.id,
    Child.public_id,
    Child.household.public_id.as_alias("household_public_id"),
    Child.personal,
    Child.created_at,
    Child.updated_at,
)


def _child_view(actor: Actor, row: dict) -> ChildView:
    personal, unreadable = (
        unseal_for_view(CHILD, row["public_id"], row["personal"])
        if may_see_personal(actor)
        else (None, False)
    )
    return ChildView(
        id=row["public_id"],
        household=row["household_public_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        personal=personal,
        personal_unreadable=unreadable,
    )


async def add_child(actor: Actor, household: str, personal: ChildPersonal) -> ChildView:
    require_personal_access(actor)
    public_id = new_id("chd")
    values = to_plain(personal)
    async with write_transaction():
        row = await _household_row(household)
        await Child.insert(
            Child(
                public_id=public_id,
                household=row["id"],
                personal=seal(CHILD, public_id, values),
                birth_date_hash=birth_date_hash(CHILD, public_id, values["date_of_birth"]),
            )
        )
        await audit.record(
            actor,
            "child.create",
            CHILD,
            public_id,
            after={"household": household, **audit.redact(values, CHILD_FIELDS)},
        )
        return await get_child(actor, public_id)


async def get_child(actor: Actor, public_id: str) -> ChildView:
    _refuse_outsiders(actor, CHILD)
    row = await Child.select(*_CHILD_COLUMNS).where(Child.public_id == public_id).first()
    if row is None:
        raise NotFound(CHILD)
    return _child_view(actor, row)


async def list_children(actor: Actor, household: str) -> list[ChildView]:
    _refuse_outsiders(actor, CHILD)
    row = await _household_row(household)
    rows = await Child.select(*_CHILD_COLUMNS).where(Child.household == row["id"]).order_by(Child.id)
    return [_child_view(actor, r) for r in rows]


async def update_child(actor: Actor, public_id: str, patch: ChildPersonalPatch) -> ChildView:
    require_personal_access(actor)
    async with write_transaction():
        row = await Child.select(*_CHILD_COLUMNS).where(Child.public_id == public_id).first()
        if row is None:
            raise NotFound(CHILD)
        current = unseal(CHILD, public_id, row["personal"])
        values = merge(current, patch, ChildPersonal)
        changed = sorted(k for k in CHILD_FIELDS if current.get(k) != values.get(k))
        if changed:
            await Child.update(
                {
                    Child.personal: seal(CHILD, public_id, values),
                    Child.birth_date_hash: birth_date_hash(CHILD, public_id, values["date_of_birth"]),
                    Child.updated_at: utcnow(),
                }
            ).where(Child.id == row["id"])
            redacted = dict.fromkeys(changed, audit.REDACTED)
            await audit.record(actor, "child.update", CHILD, public_id, before=redacted, after=redacted)
        return await get_child(actor, public_id)


async def child_birth_checks(actor: Actor, public_ids: set[str]) -> dict[str, BirthCheck]:
    """Children's households and birth-date hashes by id, for batch work (unknown ids are simply absent).
    Reads no sealed data unless a row predates the hash. In the caller's transaction."""
    _refuse_outsiders(actor, CHILD)
    sql = Sql()
    rows = await sql.fetch(
        "SELECT c.public_id, h.public_id AS household_public_id, c.birth_date_hash, "
        "CASE WHEN c.birth_date_hash IS NULL THEN c.personal END AS personal "
        f"FROM child c {sql.join_any(1, 'text', 'k')} ON c.public_id = k.value "
        "JOIN household h ON h.id = c.household",
        sorted(public_ids),
    )
    return birth_checks_from_rows(CHILD, rows, may_see_personal(actor))
