"""Gathering a report: the facts as of a date, participant counts, pooled allocations and the notes.

Reads only through the owning domains' functions; writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core.db import today
from app.core.errors import ValidationFailed
from app.eligibility.service import list_versions
from app.ledger import chart, dimensions
from app.ledger.movements import budgetary_movements, chain_head, first_posting_date
from app.ledger.queries import account_balances
from app.registry.demographics import demographics
from app.reports.facts import Fact, Position, build_facts, month_of, positions
from app.reports.participants import CountFact, ParticipantTable, Taking, count_facts, published_tables
from app.reports.pooled import Allocation, pooled_allocations, unallocated
from app.reports.suppression import DEFAULT_K, MIN_K
from app.vouchers.participation import voucher_participation
from app.wage_subsidies.participation import job_participation


@dataclass(frozen=True)
class Report:
    as_of: dt.date
    fund: str | None
    k: int
    first_month: dt.date
    facts: list[Fact]
    positions: list[Position]
    participant_facts: list[CountFact]
    participant_tables: list[ParticipantTable]
    allocations: list[Allocation]
    unallocated: dict[tuple[str, str], int]  # (programme, currency) -> expenditure not yet allocated
    chain_entries: int
    chain_hash: str
    rule_versions: dict[str, list[str]]
    generated_at: dt.date


async def _check_fund(fund: str | None) -> None:
    if fund is None:
        return
    known = {d.code for d in await dimensions.list_all("fund")}
    if fund not in known:
        raise ValidationFailed("unknown_fund", f"no fund {fund!r}", "fund")


def _check_k(k: int) -> None:
    if k < MIN_K:
        raise ValidationFailed(
            "k_too_small", f"k must be at least {MIN_K}, so a group of one is never shown", "k"
        )


async def build_report(as_of: dt.date | None = None, fund: str | None = None, k: int = DEFAULT_K) -> Report:
    _check_k(k)
    await _check_fund(fund)
    as_of = as_of or today()
    first = await first_posting_date()
    if first is None:
        raise ValidationFailed("empty_ledger", "the ledger has no postings yet: nothing to report", "as_of")
    if as_of < first:
        raise ValidationFailed(
            "as_of_before_first_posting",
            f"as_of {as_of.isoformat()} is before the first posting ({first.isoformat()})",
            "as_of",
        )
    facts = build_facts(await budgetary_movements(as_of, fund))
    programmes = {f.programme for f in facts}
    takings = await _takings(as_of, programmes)
    people = await demographics({t.participant for t in takings})
    participant_facts = count_facts(takings, people, as_of)
    allocations = await _allocations(as_of, facts, fund)
    expended: dict[tuple[str, str], int] = {}
    for f in facts:
        if f.stage == "expended":
            expended[(f.programme, f.currency)] = expended.get((f.programme, f.currency), 0) + f.amount
    head = await chain_head()
    versions = await list_versions()
    return Report(
        as_of=as_of,
        fund=fund,
        k=k,
        first_month=month_of(first),
        facts=facts,
        positions=positions(facts),
        participant_facts=participant_facts,
        participant_tables=published_tables(participant_facts, k),
        allocations=allocations,
        unallocated=unallocated(allocations, expended),
        chain_entries=head.entries,
        chain_hash=head.hash,
        rule_versions={p: [v["version"] for v in vs] for p, vs in sorted(versions.items())},
        generated_at=today(),
    )


async def _takings(as_of: dt.date, programmes: set[str]) -> list[Taking]:
    takings = [
        Taking(v.participant, v.programme, v.start, used_voucher=v.used)
        for v in await voucher_participation(as_of)
        if v.programme in programmes
    ]
    takings += [
        Taking(j.participant, j.programme, j.hire_date, hire_date=j.hire_date, end_date=j.end_date)
        for j in await job_participation(as_of)
        if j.programme in programmes
    ]
    return takings


async def _allocations(as_of: dt.date, facts: list[Fact], fund: str | None) -> list[Allocation]:
    """Contributions from the facts; allocated expenditure read back from the ledger (memo 9100)."""
    contributions: dict[tuple[str, str, str], int] = {}
    for f in facts:
        if f.stage == "budget":
            key = (f.programme, f.fund, f.currency)
            contributions[key] = contributions.get(key, 0) + f.amount
    allocated = {
        (b.programme, b.fund, b.currency): b.balance
        for b in await account_balances(as_of, fund=fund, code=chart.POOLED_ALLOCATED)
        if b.balance
    }
    return pooled_allocations(contributions, allocated)
