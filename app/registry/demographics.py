"""Gender and date of birth of participants, for disaggregated reports only.

Reports count people by gender and age band under pseudonymous ids; nothing else of the sealed record
leaves the registry, and the caller publishes counts, never rows (small counts are suppressed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from app.core.db import raw
from app.registry.participants import KIND
from app.registry.personal import unseal

_CHUNK = 5000


class Demographics(NamedTuple):
    gender: str
    date_of_birth: dt.date


async def demographics(public_ids: Iterable[str]) -> dict[str, Demographics]:
    """By participant id; unknown ids are absent."""
    wanted = sorted(set(public_ids))
    out: dict[str, Demographics] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ", ".join("{}" for _ in chunk)
        rows = await raw(f"SELECT public_id, personal FROM participant WHERE public_id IN ({marks})", *chunk)
        for row in rows:
            values = unseal(KIND, row["public_id"], row["personal"])
            out[row["public_id"]] = Demographics(
                values.get("gender", "undisclosed"), dt.date.fromisoformat(values["date_of_birth"])
            )
    return out
