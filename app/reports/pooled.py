"""Pooled funds: a programme's expenditure shared among the funds (donors) that pay into it.

The cost-sharing key is pro rata to contributions (each fund's revised budget for the programme).
Rounding rule for the last cent: every donor gets the whole minor units of its exact share, rounded down;
the minor units left over go one each to the donors with the largest remainders (ties: the larger
contribution, then the fund code). So the allocations always add up to the programme's expenditure.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allocation:
    programme: str
    fund: str
    currency: str
    contribution: int
    allocated: int  # minor units of the programme's expenditure borne by this fund


def allocate(total: int, contributions: dict[str, int]) -> dict[str, int]:
    """Split `total` minor units pro rata to `contributions` (largest remainder; exact to the unit)."""
    pool = sum(contributions.values())
    if pool <= 0:
        return dict.fromkeys(contributions, 0)
    shares = {fund: divmod(total * amount, pool) for fund, amount in contributions.items()}
    left = total - sum(whole for whole, _ in shares.values())
    order = sorted(contributions, key=lambda f: (-shares[f][1], -contributions[f], f))
    extra = {fund: 1 if i < left else 0 for i, fund in enumerate(order)}
    return {fund: shares[fund][0] + extra[fund] for fund in contributions}


def pooled_allocations(
    contributions: dict[tuple[str, str, str], int], expended: dict[tuple[str, str], int]
) -> list[Allocation]:
    """contributions: (programme, fund, currency) -> budget; expended: (programme, currency) -> total."""
    out = []
    for programme, currency in sorted(expended.keys() | {(p, c) for p, _, c in contributions}):
        funds = {f: amount for (p, f, c), amount in contributions.items() if (p, c) == (programme, currency)}
        split = allocate(expended.get((programme, currency), 0), funds)
        out.extend(Allocation(programme, fund, currency, funds[fund], split[fund]) for fund in sorted(funds))
    return out
