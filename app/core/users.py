"""User administration: create users, give roles, deactivate. Every change is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core import audit, credentials
from app.core.actor import Actor
from app.core.db import raw, write_transaction
from app.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from app.core.ids import new_id
from app.core.pagination import Page, paginate
from app.core.passwords import hash_password, hash_password_async, password_problem, verify_password_async
from app.core.roles import Role, check_role_combination, format_roles, parse_roles
from app.core.tables import Organisation, User

LANGUAGE_CODES = frozenset({"en", "fr"})  # the page catalogues in app/web/locales


@dataclass(frozen=True)
class UserView:
    id: str
    email: str
    display_name: str
    roles: list[str]
    organisation: str | None
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


_COLUMNS = (
    User.public_id,
    User.email,
    User.display_name,
    User.roles,
    User.organisation.public_id.as_alias("organisation_public_id"),
    User.active,
    User.created_at,
    User.last_login_at,
)


def _view(row: dict) -> UserView:
    return UserView(
        id=row["public_id"],
        email=row["email"],
        display_name=row["display_name"],
        roles=sorted(r.value for r in parse_roles(row["roles"])),
        organisation=row["organisation_public_id"],
        active=row["active"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def _audit_values(view: UserView) -> dict:
    return {
        "email": view.email,
        "display_name": view.display_name,
        "roles": view.roles,
        "organisation": view.organisation,
        "active": view.active,
    }


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or " " in email:
        raise ValidationFailed("invalid_email", "email must look like name@example.org", "email")
    return email


async def _organisation(public_id: str | None) -> tuple[int | None, str | None]:
    if public_id is None:
        return None, None
    row = (
        await Organisation.select(Organisation.id, Organisation.kind)
        .where(Organisation.public_id == public_id)
        .first()
    )
    if row is None:
        raise ValidationFailed("unknown_organisation", f"no organisation {public_id}", "organisation")
    return row["id"], row["kind"]


def _check_roles(roles: frozenset[Role], organisation_kind: str | None) -> None:
    problem = check_role_combination(roles, organisation_kind)
    if problem:
        raise ValidationFailed("invalid_roles", problem, "roles")


async def get_user(public_id: str) -> UserView:
    row = await User.select(*_COLUMNS).where(User.public_id == public_id).first()
    if row is None:
        raise NotFound("user")
    return _view(row)


async def list_users(limit: int, starting_after: str | None, role: Role | None = None) -> Page:
    where = [User.roles.like(f"%{role.value}%")] if role else []
    page = await paginate(User, _COLUMNS, where, limit, starting_after)
    return Page(rows=[_view(r) for r in page.rows], has_more=page.has_more)


async def create_user(
    actor: Actor,
    *,
    email: str,
    display_name: str,
    roles: frozenset[Role],
    organisation: str | None = None,
    password: str | None = None,
    held_back: frozenset[Role] = frozenset(),
) -> UserView:
    """`held_back`: roles asked for that wait for a second admin (app/core/admin_requests.py); checked
    with the others now, given later."""
    email = normalise_email(email)
    if password is not None and (problem := password_problem(password)):
        raise ValidationFailed("weak_password", f"password {problem}", "password")
    async with write_transaction():
        organisation_id, organisation_kind = await _organisation(organisation)
        _check_roles(roles | held_back, organisation_kind)
        if await User.exists().where(User.email == email):
            raise Conflict("email_taken", f"a user with e-mail {email} exists", "email")
        public_id = new_id("usr")
        await User.insert(
            User(
                public_id=public_id,
                email=email,
                display_name=display_name.strip(),
                password_hash=hash_password(password) if password else None,
                roles=format_roles(roles),
                organisation=organisation_id,
            )
        )
        view = await get_user(public_id)
        await audit.record(actor, "user.create", "user", public_id, after=_audit_values(view))
    return view


async def update_user(
    actor: Actor,
    public_id: str,
    *,
    display_name: str | None = None,
    roles: frozenset[Role] | None = None,
    active: bool | None = None,
) -> UserView:
    async with write_transaction():
        before = await get_user(public_id)
        changes: dict = {}
        if display_name is not None:
            changes[User.display_name] = display_name.strip()
        if roles is not None:
            _, kind = await _organisation(before.organisation)
            _check_roles(roles, kind)
            changes[User.roles] = format_roles(roles)
        if active is not None:
            if not active and actor.public_id == public_id:
                raise ValidationFailed("cannot_deactivate_self", "you cannot deactivate yourself", "active")
            changes[User.active] = active
        if changes:
            await User.update(changes).where(User.public_id == public_id)
        after = await get_user(public_id)
        old, new = audit.changes(_audit_values(before), _audit_values(after))
        if new:
            await audit.record(actor, "user.update", "user", public_id, before=old, after=new)
    return after


async def set_password(
    actor: Actor, public_id: str, password: str, keep_session_secret: str | None = None
) -> None:
    """Set a new password (the user's own change, or an admin's reset). Every other session of the user
    ends and every API token is revoked, in the same transaction (docs/security.md)."""
    if problem := password_problem(password):
        raise ValidationFailed("weak_password", f"password {problem}", "password")
    password_hash = await hash_password_async(password)  # argon2 off the event loop, outside the transaction
    async with write_transaction():
        await get_user(public_id)
        user_id = (await User.select(User.id).where(User.public_id == public_id).first())["id"]
        await User.update(
            {
                User.password_hash: password_hash,
                User.failed_logins: 0,
                User.locked_until: None,
            }
        ).where(User.id == user_id)
        sessions, tokens = await credentials.end_sessions_and_tokens(user_id, keep_session_secret)
        note = f"password changed; {sessions} other sessions ended, {tokens} tokens revoked"
        await audit.record(actor, "user.set_password", "user", public_id, note=note)


async def change_own_password(
    actor: Actor, current_password: str, new_password: str, keep_session_secret: str | None = None
) -> None:
    """The signed-in user's own change: the current password must be right."""
    row = await User.select(User.password_hash).where(User.public_id == actor.public_id).first()
    if row is None or not await verify_password_async(row["password_hash"], current_password):
        raise Unauthenticated("invalid_credentials", "the current password is wrong", "current_password")
    await set_password(actor, actor.public_id, new_password, keep_session_secret)


async def set_language(actor: Actor, language: str | None) -> None:
    """The language the user's pages are shown in; None follows the browser."""
    if language is not None and language not in LANGUAGE_CODES:
        raise ValidationFailed("unknown_language", "choose one of the languages offered", "language")
    async with write_transaction():
        await User.update({User.language: language}).where(User.public_id == actor.public_id)
        await audit.record(actor, "user.set_language", "user", actor.public_id, after={"language": language})


async def actor_for_email(email: str) -> Actor:
    """The actor of an active user, by email: who a command-line step is done as, where four eyes need a
    person rather than `system` (preparing, approving, releasing payment runs)."""
    rows = await raw(
        "SELECT u.id AS user_id, u.public_id, u.email, u.display_name, u.roles, u.active, "
        "o.id AS organisation_id, o.public_id AS organisation_public_id, o.kind AS organisation_kind "
        "FROM app_user u LEFT JOIN organisation o ON o.id = u.organisation WHERE u.email = {}",
        normalise_email(email),
    )
    if not rows or not rows[0]["active"]:
        raise NotFound("active user with this email", "--as")
    row = rows[0]
    return Actor(
        user_id=row["user_id"],
        public_id=row["public_id"],
        label=f"{row['display_name']} <{row['email']}>",
        roles=parse_roles(row["roles"]),
        organisation_id=row["organisation_id"],
        organisation_public_id=row["organisation_public_id"],
        organisation_kind=row["organisation_kind"],
    )
