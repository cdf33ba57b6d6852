"""The money vouchers keep outside the ledger, recomputed from the ledger (`grants ledger verify`).

A voucher's `total_minor` is what its issue committed, `released_minor` what expiry or revocation gave
back, and its stipends what their monthly expenditures moved: each is posted with the voucher as
reference, so the ledger says what they must be. A claim's `approved_minor` is what its approval expended
(posted with the claim as reference) and the sum of its lines' approved amounts. `claimed_minor` is what
the claims still standing took (their accepted lines) plus the stipends paid, and never more than what
is left. A row edited in the database shows up here even though the ledger's own chain is intact.
"""

from __future__ import annotations

from app.core.db import raw
from app.ledger.queries import committed_by_reference
from app.ledger.verify import Problem, claims_against_ledger, unknown_references

Mismatch = Problem  # the name this module's callers used

# The claim lines that hold part of a voucher: not rejected, and not left out of a part approval.
_STANDING = (
    "l.outcome <> 'rejected' AND c.status <> 'rejected' "
    "AND NOT (c.status = 'partly_approved' AND l.amount_approved_minor = 0)"
)
_VOUCHERS = (
    "SELECT v.public_id, v.total_minor, v.claimed_minor, v.released_minor, "
    "COALESCE(cl.amount, 0) AS lines_minor, COALESCE(st.amount, 0) AS stipends_minor FROM voucher v "
    "LEFT JOIN (SELECT l.voucher, SUM(l.amount_accepted_minor) AS amount FROM voucher_claim_line l "
    f"JOIN voucher_claim c ON c.public_id = l.claim WHERE {_STANDING} GROUP BY l.voucher) cl "
    "ON cl.voucher = v.public_id "
    "LEFT JOIN (SELECT voucher, SUM(amount_minor) AS amount FROM voucher_stipend_payment "
    "GROUP BY voucher) st ON st.voucher = v.public_id ORDER BY v.id"
)


async def check_vouchers() -> list[Problem]:
    ledger = await committed_by_reference("voucher")
    rows = await raw(_VOUCHERS)
    found = [m for row in rows for m in _check(row, ledger)]
    return found + unknown_references(ledger, {r["public_id"] for r in rows}, "voucher")


async def check_claims() -> list[Problem]:
    """Each provider claim's approved amount against its expenditure in the ledger and its lines."""
    return await claims_against_ledger("voucher_claim", "claim", "voucher claim")


def _check(row: dict, ledger: dict[tuple[str, str], int]) -> list[Problem]:
    vch = row["public_id"]
    committed = ledger.get((vch, "commit"), 0)
    released = -ledger.get((vch, "release"), 0)
    stipends = -ledger.get((vch, "expend"), 0)
    claimed = int(row["lines_minor"]) + int(row["stipends_minor"])
    checks = (
        (
            row["total_minor"] != committed,
            "voucher_total_mismatch",
            f"{vch} is worth {row['total_minor']} but the ledger committed {committed} for it",
        ),
        (
            row["released_minor"] != released,
            "voucher_released_mismatch",
            f"{vch} says {row['released_minor']} went back to the budget but the ledger released {released}",
        ),
        (
            int(row["stipends_minor"]) != stipends,
            "voucher_stipend_mismatch",
            f"{vch} paid {int(row['stipends_minor'])} in stipends but the ledger expended {stipends}",
        ),
        (
            row["claimed_minor"] != claimed,
            "voucher_claimed_mismatch",
            f"{vch} says {row['claimed_minor']} is claimed but its standing claim lines and stipends "
            f"hold {claimed}",
        ),
        (
            row["claimed_minor"] + row["released_minor"] > row["total_minor"] or row["claimed_minor"] < 0,
            "voucher_overclaimed",
            f"{vch} has {row['claimed_minor']} claimed and {row['released_minor']} released of "
            f"{row['total_minor']}",
        ),
    )
    return [Problem(kind, vch, message) for failed, kind, message in checks if failed]
