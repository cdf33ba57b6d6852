"""The money wage subsidies keep outside the ledger, recomputed from the ledger (`grants ledger verify`).

An agreement's `max_total_minor` is what its signing committed and `released_minor` what its end gave
back (both posted with the agreement as reference); its `expended_minor` is what its approved claim
lines hold, and never more than is left. An employer's claim's `approved_minor` is what its approval
expended (posted with the claim as reference) and the sum of its lines' approved amounts.
"""

from __future__ import annotations

from app.core.db import raw
from app.ledger.queries import committed_by_reference
from app.ledger.verify import Problem, claims_against_ledger, unknown_references

_AGREEMENTS = (
    "SELECT a.public_id, a.max_total_minor, a.expended_minor, a.released_minor, "
    "COALESCE(x.amount, 0) AS lines_minor FROM wage_agreement a "
    "LEFT JOIN (SELECT agreement, SUM(amount_approved_minor) AS amount FROM wage_claim_line "
    "GROUP BY agreement) x ON x.agreement = a.public_id ORDER BY a.id"
)


async def check_agreements() -> list[Problem]:
    ledger = await committed_by_reference("wage_agreement")
    rows = await raw(_AGREEMENTS)
    found = [p for row in rows for p in _check_agreement(row, ledger)]
    return found + unknown_references(ledger, {r["public_id"] for r in rows}, "agreement")


def _check_agreement(row: dict, ledger: dict[tuple[str, str], int]) -> list[Problem]:
    agr, total, expended, released = (
        row["public_id"],
        row["max_total_minor"],
        row["expended_minor"],
        row["released_minor"],
    )
    committed = ledger.get((agr, "commit"), 0)
    given_back = -ledger.get((agr, "release"), 0)
    lines = int(row["lines_minor"])
    checks = (
        (
            total != committed,
            "agreement_total_mismatch",
            f"{agr} commits {total} but the ledger committed {committed} for it",
        ),
        (
            released != given_back,
            "agreement_released_mismatch",
            f"{agr} says {released} went back to the budget but the ledger released {given_back}",
        ),
        (
            expended != lines,
            "agreement_expended_mismatch",
            f"{agr} says {expended} was expended but its approved claim lines hold {lines}",
        ),
        (
            expended + released > total or expended < 0,
            "agreement_overspent",
            f"{agr} has {expended} expended and {released} released of {total}",
        ),
    )
    return [Problem(kind, agr, message) for failed, kind, message in checks if failed]


async def check_claims() -> list[Problem]:
    """Each employer claim's approved amount against its expenditure in the ledger and its lines."""
    return await claims_against_ledger("wage_claim", "wage_claim", "wage claim")
