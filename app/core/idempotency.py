"""Idempotency keys, one mechanism for every mutating API request (docs/api.md#idempotency).

A caller that sends `Idempotency-Key: K` with a request gets, for every retry with the same key and the
same request (method, path, query and body), the first response again instead of a second action. The
same key with a different request is refused (409 `idempotency_key_reused`); keys are scoped to the
caller, so two callers never see each other's. Records live in the database (`idempotency_record`), so
every worker process and server shares them.

Only successful (2xx) responses are kept: a refused request wrote nothing (every operation is one
transaction), so retrying it with the same key runs it again. While the first request is still running,
a retry is refused (409 `idempotency_request_in_progress`); a record left in progress by a process that
died is taken over after LEASE_S. Records are forgotten after the TTL (24 hours by default).

The stored response is sealed with the personal-data key: responses carry voucher codes, token secrets
and personal data that must never sit in the database in clear.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

from app.core.crypto import get_vault
from app.core.db import write_transaction
from app.core.errors import Conflict, ValidationFailed
from app.core.sealed_fields import SealedField, register
from app.core.settings import get_settings
from app.core.sql import Sql

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
LEASE_S = 300  # a request still "in progress" after this long was lost with its process


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def check_key(key: str) -> str:
    """The key as given, if it is 1 to 255 printable ASCII characters."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise ValidationFailed(
            "invalid_idempotency_key",
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            HEADER,
        )
    return key


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same request" for one key."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


# Sealed with the row's caller and key; rows still in progress hold no response yet.
SEALED = register(
    SealedField("idempotency_record", "response", "caller || ':' || \"key\"", "idempotency", "response <> ''")
)


def _context(caller: str, key: str) -> str:
    return SEALED.context_of(f"{caller}:{key}")


async def begin(caller: str, key: str, print_: str, now_s: int | None = None) -> StoredResponse | None:
    """Claim the key for a request about to run (None: go ahead, then `finish` or `abandon`), or the first
    response to replay. Raises Conflict when the key was used for another request or is still running."""
    now_s = int(time.time()) if now_s is None else now_s
    ttl_s = get_settings().idempotency_ttl_hours * 3600
    async with write_transaction():
        sql = Sql()
        lock = " FOR UPDATE" if sql.postgres else ""
        rows = await sql.fetch(
            f"SELECT * FROM idempotency_record WHERE caller = $1 AND key = $2{lock}", caller, key
        )
        row = rows[0] if rows else None
        if row is not None and now_s - row["started_s"] >= ttl_s:
            await sql.execute("DELETE FROM idempotency_record WHERE id = $1", row["id"])
            row = None
        if row is None:
            return await _claim(sql, caller, key, print_, now_s)
        if row["fingerprint"] != print_:
            raise Conflict(
                "idempotency_key_reused",
                f"this {HEADER} was already used for a different request; use a new key",
                HEADER,
            )
        if row["state"] == "completed":
            return _opened(caller, key, row["response"])
        if now_s - row["started_s"] < LEASE_S:
            raise Conflict(
                "idempotency_request_in_progress",
                f"a request with this {HEADER} is still being processed; retry later",
                HEADER,
            )
        await sql.execute("UPDATE idempotency_record SET started_s = $1 WHERE id = $2", now_s, row["id"])
        return None


async def _claim(sql: Sql, caller: str, key: str, print_: str, now_s: int) -> None:
    claimed = await sql.fetch(
        "INSERT INTO idempotency_record (caller, key, fingerprint, state, status_code, response, started_s, "
        "created_at) VALUES ($1, $2, $3, 'in_progress', 0, '', $4, CURRENT_TIMESTAMP) "
        "ON CONFLICT (caller, key) DO NOTHING RETURNING id",
        caller,
        key,
        print_,
        now_s,
    )
    if not claimed:  # another process claimed it between our read and our insert
        raise Conflict(
            "idempotency_request_in_progress",
            f"a request with this {HEADER} is still being processed; retry later",
            HEADER,
        )


def _opened(caller: str, key: str, sealed: str) -> StoredResponse:
    stored = get_vault().open(sealed, _context(caller, key))
    return StoredResponse(
        stored["status"],
        [(name, value) for name, value in stored["headers"]],
        base64.b64decode(stored["body"]),
    )


async def finish(caller: str, key: str, response: StoredResponse) -> None:
    """Keep the first response of a request that succeeded; any other outcome is abandoned."""
    if not 200 <= response.status < 300:
        await abandon(caller, key)
        return
    sealed = get_vault().seal(
        {
            "status": response.status,
            "headers": response.headers,
            "body": base64.b64encode(response.body).decode(),
        },
        _context(caller, key),
    )
    async with write_transaction():
        await Sql().execute(
            "UPDATE idempotency_record SET state = 'completed', status_code = $1, response = $2 "
            "WHERE caller = $3 AND key = $4",
            response.status,
            sealed,
            caller,
            key,
        )


async def abandon(caller: str, key: str) -> None:
    """Forget a claimed key whose request did not succeed, so a retry runs it again."""
    async with write_transaction():
        await Sql().execute(
            "DELETE FROM idempotency_record WHERE caller = $1 AND key = $2 AND state = 'in_progress'",
            caller,
            key,
        )
