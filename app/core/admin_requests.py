"""Four eyes on who may read personal data: a second admin confirms what one admin asks for.

Two changes would let a single admin read personal data alone: giving a user (themselves included) a
role that sees it (PERSONAL_DATA_ROLES), and minting a token for another user (then acting as them).
Through the API, either opens a request instead; another admin confirms it, and only then it happens.
Both steps are in the audit log, flagged `sensitive`. The command line (`grants users …`, run on the
server by its operator) is outside this rule: it is how the first admin is made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core import audit, credentials, users
from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.ids import new_id
from app.core.roles import PERSONAL_DATA_ROLES, Role
from app.core.tables import AdminRequest

SENSITIVE = "sensitive: a second admin must confirm"


@dataclass(frozen=True)
class AdminRequestView:
    id: str
    kind: str  # grant_roles | create_token
    subject: str
    details: dict[str, Any]
    requested_by: str
    status: str
    confirmed_by: str
    object: str = "admin_request"


def _view(row: dict) -> AdminRequestView:
    return AdminRequestView(
        row["public_id"],
        row["kind"],
        row["subject"],
        json.loads(row["payload"]),
        row["requested_by"],
        row["status"],
        row["confirmed_by"],
    )


def personal_roles_added(before: frozenset[Role], after: frozenset[Role]) -> frozenset[Role]:
    return (after - before) & PERSONAL_DATA_ROLES


def needs_second_admin(actor: Actor) -> bool:
    """People need a second admin; the system (the command line, migrations, tests' set-up) does not."""
    return actor.user_id is not None


async def open_request(actor: Actor, kind: str, subject: str, details: dict[str, Any]) -> AdminRequestView:
    public_id = new_id("areq")
    async with write_transaction():
        await AdminRequest.insert(
            AdminRequest(
                public_id=public_id,
                kind=kind,
                subject=subject,
                payload=json.dumps(details, sort_keys=True),
                requested_by=actor.public_id,
            )
        )
        await audit.record(actor, f"admin_request.{kind}", "user", subject, after=details, note=SENSITIVE)
    return await get(public_id)


async def get(public_id: str) -> AdminRequestView:
    row = await AdminRequest.select().where(AdminRequest.public_id == public_id).first()
    if row is None:
        raise NotFound("admin request")
    return _view(row)


async def list_requests(status: str | None = None) -> list[AdminRequestView]:
    query = AdminRequest.select().order_by(AdminRequest.id).limit(100)
    if status:
        query = query.where(AdminRequest.status == status)
    return [_view(r) for r in await query]


async def confirm(actor: Actor, public_id: str) -> tuple[AdminRequestView, Any]:
    """Carry out a pending request as a second admin. Returns it and what it made (the user, or the token
    and its secret, shown once to the confirming admin)."""
    async with write_transaction():
        request = await get(public_id)
        if request.status != "pending":
            raise Conflict("already_confirmed", f"{public_id} was confirmed already", "id")
        if request.requested_by == actor.public_id:
            raise Forbidden("four_eyes", "another admin must confirm what you asked for", "id")
        result = await _carry_out(actor, request)
        await AdminRequest.update(
            {
                AdminRequest.status: "confirmed",
                AdminRequest.confirmed_by: actor.public_id,
                AdminRequest.confirmed_at: utcnow(),
            }
        ).where(AdminRequest.public_id == public_id)
        await audit.record(
            actor,
            "admin_request.confirm",
            "user",
            request.subject,
            after={"request": public_id},
            note=SENSITIVE,
        )
    return await get(public_id), result


async def _carry_out(actor: Actor, request: AdminRequestView) -> Any:
    if request.kind == "grant_roles":
        current = await users.get_user(request.subject)
        roles = frozenset(Role(r) for r in current.roles) | {Role(r) for r in request.details["roles"]}
        return await users.update_user(actor, request.subject, roles=roles)
    token, secret = await credentials.create_token(
        actor, request.subject, request.details["name"], request.details.get("expires_in_days")
    )
    return {"token": token, "secret": secret}
