"""The Pooled fund sheet's rows, read back from the ledger: per programme and fund (donor), its
contributions (budget, from the fact table) and the expenditure allocated to it, which is the balance of
its memo account 9100 as of the report's date, posted by `grants ledger allocate-pooled` under the
programme's dated cost-sharing key (app/ledger/pooled.py states the key and the rounding rule). What the
programme spent after the last allocation is shown as not yet allocated."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allocation:
    programme: str
    fund: str
    currency: str
    contribution: int
    allocated: int  # minor units of the programme's expenditure borne by this fund (ledger 9100)


def pooled_allocations(
    contributions: dict[tuple[str, str, str], int],
    allocated: dict[tuple[str, str, str], int],
) -> list[Allocation]:
    """contributions and allocated: (programme, fund, currency) -> minor units."""
    return [
        Allocation(programme, fund, currency, contributions.get(key, 0), allocated.get(key, 0))
        for key in sorted(contributions.keys() | allocated.keys())
        for programme, fund, currency in [key]
    ]


def unallocated(
    allocations: list[Allocation], expended: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """(programme, currency) -> expenditure not yet allocated to donors (0 once allocated through)."""
    out = dict(expended)
    for a in allocations:
        out[(a.programme, a.currency)] = out.get((a.programme, a.currency), 0) - a.allocated
    return out
