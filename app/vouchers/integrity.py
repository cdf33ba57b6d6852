"""The money vouchers keep outside the ledger, recomputed from the ledger (`grants ledger verify`).

A voucher's `total_minor` is what its issue committed, and `released_minor` what expiry or revocation
gave back: both are posted with the voucher as reference, so the ledger says what they must be. A row
edited in the database (a voucher made worth more than was committed) shows up here even though the
ledger's own chain is intact. `claimed_minor` is checked against what is left: claimed and released
together never exceed the total.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.db import raw
from app.ledger.queries import committed_by_reference

CHUNK = 20_000


@dataclass(frozen=True)
class Mismatch:
    kind: str  # voucher_total_mismatch, voucher_released_mismatch, voucher_overclaimed
    where: str
    message: str


async def check_vouchers() -> list[Mismatch]:
    ledger = await committed_by_reference("voucher")
    found: list[Mismatch] = []
    after = 0
    while True:
        rows = await raw(
            "SELECT id, public_id, total_minor, claimed_minor, released_minor FROM voucher "
            "WHERE id > {} ORDER BY id LIMIT {}",
            after,
            CHUNK,
        )
        found += [m for row in rows for m in _check(row, ledger)]
        if len(rows) < CHUNK:
            return found
        after = rows[-1]["id"]


def _check(row: dict, ledger: dict[tuple[str, str], int]) -> list[Mismatch]:
    vch = row["public_id"]
    committed = ledger.get((vch, "commit"), 0)
    released = -ledger.get((vch, "release"), 0)
    out = []
    if row["total_minor"] != committed:
        out.append(
            Mismatch(
                "voucher_total_mismatch",
                vch,
                f"{vch} is worth {row['total_minor']} but the ledger committed {committed} for it",
            )
        )
    if row["released_minor"] != released:
        out.append(
            Mismatch(
                "voucher_released_mismatch",
                vch,
                f"{vch} says {row['released_minor']} went back to the budget but the ledger released "
                f"{released}",
            )
        )
    if row["claimed_minor"] + row["released_minor"] > row["total_minor"] or row["claimed_minor"] < 0:
        out.append(
            Mismatch(
                "voucher_overclaimed",
                vch,
                f"{vch} has {row['claimed_minor']} claimed and {row['released_minor']} released of "
                f"{row['total_minor']}",
            )
        )
    return out
