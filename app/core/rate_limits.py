"""Rate limits kept in the database, so every worker and server behind a load balancer counts together.

A bucket (e.g. `login-address:203.0.113.9`) is a fixed-window counter: one atomic upsert adds a hit and
starts a new window when the old one has passed, and returns the count. Over the limit, the caller is
refused with 429 and Retry-After (the seconds left in the window). Process memory holds nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from app.core.db import raw, utcnow, write_transaction
from app.core.errors import GrantsError


class RateLimited(GrantsError):
    status_code = 429
    error_type = "rate_limit_error"

    def __init__(self, message: str, retry_after_s: int, param: str | None = None) -> None:
        super().__init__("rate_limited", message, param, extra={"retry_after": retry_after_s})
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limit:
    name: str  # what is limited, for the message: "sign-ins from this address"
    hits: int  # allowed per window
    window_s: int


_HIT = """
INSERT INTO rate_limit (bucket, window_start, hits) VALUES ({}, {}, 1)
ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN rate_limit.window_start <= {} THEN 1 ELSE rate_limit.hits + 1 END,
    window_start = CASE WHEN rate_limit.window_start <= {} THEN excluded.window_start
                        ELSE rate_limit.window_start END
RETURNING hits, window_start
"""


async def hit(bucket: str, limit: Limit, now: dt.datetime | None = None) -> None:
    """Count one hit on the bucket; raise RateLimited when it goes over the limit."""
    now = now or utcnow()
    expired_before = now - dt.timedelta(seconds=limit.window_s)
    async with write_transaction():
        row = (await raw(_HIT, bucket[:300], now, expired_before, expired_before))[0]
    if row["hits"] <= limit.hits:
        return
    started = row["window_start"]
    if isinstance(started, str):  # SQLite hands timestamps back as text
        started = dt.datetime.fromisoformat(started)
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    left = (started + dt.timedelta(seconds=limit.window_s) - now).total_seconds()
    retry = max(1, math.ceil(left))
    raise RateLimited(f"too many {limit.name}; try again in {retry} seconds", retry)


async def forget_expired(before: dt.datetime) -> None:
    """Housekeeping: drop windows that ended before `before` (they would restart at 1 anyway)."""
    await raw("DELETE FROM rate_limit WHERE window_start < {}", before)
