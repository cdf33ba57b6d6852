"""Signing in: passwords and browser sessions for people, bearer tokens for machines.

Secrets (session cookies, API tokens) are random 256-bit values shown once; only their SHA-256 is stored,
so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from app.core import audit, rate_limits
from app.core.actor import Actor
from app.core.db import raw, utcnow, write_transaction
from app.core.errors import NotFound, Unauthenticated, ValidationFailed
from app.core.ids import new_id
from app.core.passwords import verify_password_async
from app.core.roles import parse_roles
from app.core.settings import get_settings
from app.core.tables import ApiToken, User, WebSession

TOKEN_PREFIX = "grt_"  # noqa: S105 (a prefix, not a secret)
SESSION_PREFIX = "grs_"
MAX_FAILED_LOGINS = 10
LOCKOUT = dt.timedelta(minutes=15)
_TOUCH_EVERY = dt.timedelta(minutes=5)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


_ACTOR_SQL = """
    SELECT u.id AS user_id, u.public_id, u.email, u.display_name, u.roles, u.active, u.language,
           o.id AS organisation_id, o.public_id AS organisation_public_id, o.kind AS organisation_kind,
           c.id AS credential_id, c.expires_at, {extra} AS last_used_at
    FROM {table} c
    JOIN app_user u ON u.id = c."user"
    LEFT JOIN organisation o ON o.id = u.organisation
    WHERE c.token_hash = {{}} {revoked}
"""


def _actor(row: dict) -> Actor:
    return Actor(
        user_id=row["user_id"],
        public_id=row["public_id"],
        label=f"{row['display_name']} <{row['email']}>",
        roles=parse_roles(row["roles"]),
        organisation_id=row["organisation_id"],
        organisation_public_id=row["organisation_public_id"],
        organisation_kind=row["organisation_kind"],
        language=row["language"],
    )


async def _lookup(kind: str, secret: str) -> dict | None:
    if kind == "token":
        sql = _ACTOR_SQL.format(table="api_token", extra="c.last_used_at", revoked="AND c.revoked_at IS NULL")
    else:
        sql = _ACTOR_SQL.format(table="web_session", extra="NULL", revoked="")
    rows = await raw(sql, _digest(secret))
    if not rows:
        return None
    row = rows[0]
    expires = _aware(row["expires_at"])
    if not row["active"] or (expires is not None and expires <= utcnow()):
        return None
    return row


# --- browser sessions -------------------------------------------------------------------------


async def login(email: str, password: str, max_age_s: int, client: str = "") -> tuple[Actor, str]:
    """Check a password and open a session. Ten wrong passwords in a row lock the account for 15
    minutes; sign-ins are rate-limited per client address and per account (429 with Retry-After).
    Every other refusal says the same thing, so it does not reveal which e-mail addresses have accounts.

    The password is verified off the event loop and outside any transaction (argon2 takes ~50 ms). The
    failure count and the lock are then changed by single conditional statements, so parallel guesses
    cannot overwrite each other's count, and a right password racing them cannot clear a lock."""
    email = email.strip().lower()
    await _rate_limit(email, client)
    user = await User.select(User.id, User.password_hash).where(User.email == email).first()
    password_ok = await verify_password_async(user["password_hash"] if user else None, password)
    secret = _new_secret(SESSION_PREFIX)
    accepted = False
    if user is not None:
        now = utcnow()
        async with write_transaction():
            if password_ok:
                accepted = await _open_session(user["id"], secret, now, max_age_s)
            else:
                await _count_failure(user["id"], now)
    actor = await actor_for_session(secret) if accepted else None
    if actor is None:
        raise Unauthenticated("invalid_credentials", "wrong e-mail or password, or account locked")
    return actor, secret


async def _rate_limit(email: str, client: str) -> None:
    settings = get_settings()
    window = settings.login_window_s
    if client:
        limit = rate_limits.Limit("sign-in attempts from this address", settings.login_per_address, window)
        await rate_limits.hit(f"login-address:{client}", limit)
    limit = rate_limits.Limit("sign-in attempts for this account", settings.login_per_account, window)
    await rate_limits.hit(f"login-account:{email}", limit)


_NOT_LOCKED = "(locked_until IS NULL OR locked_until <= {})"


async def _open_session(user_id: int, secret: str, now: dt.datetime, max_age_s: int) -> bool:
    """Resets the failure count and opens a session, unless the account is locked or inactive (checked in
    the same statement, against the row as any racing failure left it)."""
    rows = await raw(
        f"UPDATE app_user SET failed_logins = 0, last_login_at = {{}} WHERE id = {{}} AND active "
        f"AND {_NOT_LOCKED} RETURNING id",
        now,
        user_id,
        now,
    )
    if not rows:
        return False
    await WebSession.insert(
        WebSession(token_hash=_digest(secret), user=user_id, expires_at=now + dt.timedelta(seconds=max_age_s))
    )
    return True


async def _count_failure(user_id: int, now: dt.datetime) -> None:
    """One more failure, atomically; the tenth in a row locks the account (and restarts the count). A
    failure while locked changes nothing, so it cannot extend or clear the lock."""
    n = MAX_FAILED_LOGINS
    await raw(
        f"UPDATE app_user SET "
        f"locked_until = CASE WHEN failed_logins + 1 >= {n} THEN {{}} ELSE locked_until END, "
        f"failed_logins = CASE WHEN failed_logins + 1 >= {n} THEN 0 ELSE failed_logins + 1 END "
        f"WHERE id = {{}} AND {_NOT_LOCKED}",
        now + LOCKOUT,
        user_id,
        now,
    )


async def logout(secret: str) -> None:
    await WebSession.delete().where(WebSession.token_hash == _digest(secret))


async def end_sessions_and_tokens(user_id: int, keep_session_secret: str | None = None) -> tuple[int, int]:
    """Sign the user out everywhere (except the browser that keeps `keep_session_secret`) and revoke
    every API token: after a password change or reset, whoever knew the old password or took a
    token with it loses access. Returns (sessions ended, tokens revoked). Runs in the caller's transaction."""
    sessions = WebSession.delete().where(WebSession.user == user_id)
    if keep_session_secret:
        sessions = sessions.where(WebSession.token_hash != _digest(keep_session_secret))
    ended = await sessions.returning(WebSession.id)
    revoked = await (
        ApiToken.update({ApiToken.revoked_at: utcnow()})
        .where((ApiToken.user == user_id) & ApiToken.revoked_at.is_null())
        .returning(ApiToken.id)
    )
    return len(ended), len(revoked)


async def actor_for_session(secret: str) -> Actor | None:
    row = await _lookup("session", secret)
    return _actor(row) if row else None


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenView:
    id: str
    name: str
    user: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


_TOKEN_COLUMNS = (
    ApiToken.public_id,
    ApiToken.name,
    ApiToken.user.public_id.as_alias("user_public_id"),
    ApiToken.created_at,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    ApiToken.last_used_at,
)


def _token_view(row: dict) -> TokenView:
    return TokenView(
        id=row["public_id"],
        name=row["name"],
        user=row["user_public_id"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


async def _user_id(user_public_id: str) -> int:
    row = await User.select(User.id).where(User.public_id == user_public_id).first()
    if row is None:
        raise NotFound("user", "user")
    return row["id"]


async def create_token(
    actor: Actor, user_public_id: str, name: str, expires_in_days: int | None = None
) -> tuple[TokenView, str]:
    """A new bearer token for the user. The secret is returned once and never stored."""
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationFailed("invalid_expiry", "expires_in_days must be 1 to 3650", "expires_in_days")
    secret = _new_secret(TOKEN_PREFIX)
    public_id = new_id("tok")
    expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    async with write_transaction():
        user_id = await _user_id(user_public_id)
        await ApiToken.insert(
            ApiToken(
                public_id=public_id,
                user=user_id,
                name=name.strip(),
                token_hash=_digest(secret),
                expires_at=expires,
            )
        )
        await audit.record(
            actor,
            "token.create",
            "api_token",
            public_id,
            after={"user": user_public_id, "name": name},
        )
    rows = await ApiToken.select(*_TOKEN_COLUMNS).where(ApiToken.public_id == public_id)
    return _token_view(rows[0]), secret


async def list_tokens(user_public_id: str) -> list[TokenView]:
    rows = (
        await ApiToken.select(*_TOKEN_COLUMNS)
        .where(ApiToken.user.public_id == user_public_id)
        .order_by(ApiToken.id, ascending=False)
    )
    return [_token_view(r) for r in rows]


async def revoke_token(actor: Actor, user_public_id: str, token_public_id: str) -> TokenView:
    async with write_transaction():
        user_id = await _user_id(user_public_id)
        where = (ApiToken.public_id == token_public_id) & (ApiToken.user == user_id)
        if not await ApiToken.exists().where(where):
            raise NotFound("token")
        await ApiToken.update({ApiToken.revoked_at: utcnow()}).where(where & ApiToken.revoked_at.is_null())
        await audit.record(actor, "token.revoke", "api_token", token_public_id)
        rows = await ApiToken.select(*_TOKEN_COLUMNS).where(ApiToken.public_id == token_public_id)
    return _token_view(rows[0])


async def actor_for_token(secret: str) -> Actor | None:
    row = await _lookup("token", secret)
    if row is None:
        return None
    last_used = _aware(row["last_used_at"])
    now = utcnow()
    if last_used is None or now - last_used > _TOUCH_EVERY:
        # Recorded coarsely: a write on every request would serialise all readers on SQLite.
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["credential_id"])
    return _actor(row)
