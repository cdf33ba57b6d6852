"""Hypothesis, through the service on the real database: for random instructions and a statement built
from them with random drops, duplicates, splits into batch bookings and small amount changes, every
instruction is matched or held by an open exception, no booking or instruction is in two confirmed
matches, and running reconciliation again changes nothing."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.db import today, utcnow, write_transaction
from app.core.sql import Sql
from app.reconciliation import service
from tests.disbursements.world import DEBTOR_IBAN, FINANCE
from tests.reconciliation.statements import Entry, Statement, Tx, camt053
from tests.support import empty_all_tables, run

FATES = st.sampled_from(["paid", "paid", "paid", "dropped", "twice", "batch", "off_by_one"])


async def _instructions(amounts: list[int]) -> list[str]:
    ids = [f"pin_{i:016d}" for i in range(len(amounts))]
    sent = utcnow() - dt.timedelta(days=10)
    async with write_transaction():
        await Sql().insert_many(
            "payment_instruction",
            ("public_id", "run", "payee", "payee_kind", "payee_name", "method", "detail", "currency",
             "amount_minor", "state", "message_id", "submitted_at", "settled_at"),
            [(i, "prn_0000000000000000", f"prv_{n:016d}", "provider", f"Provider {n}", "sepa", "pmd_x", "EUR",
              a, "settled", "prn_0000000000000000-001", sent, sent) for n, (i, a) in enumerate(zip(ids, amounts, strict=True))],
        )  # fmt: skip
    return ids


def _entries(ids: list[str], amounts: list[int], fates: list[str]) -> list[Entry]:
    entries, batch = [], []
    for i, (e2e, amount, fate) in enumerate(zip(ids, amounts, fates, strict=True)):
        if fate == "dropped":
            continue
        if fate == "batch":
            batch.append(Tx(e2e, amount))
            continue
        paid = amount + 1 if fate == "off_by_one" else amount
        entries.append(Entry(f"R{i}", paid, booked=today(), txs=(Tx(e2e, paid),)))
        if fate == "twice":
            entries.append(Entry(f"R{i}-again", paid, booked=today(), txs=(Tx(e2e, paid),)))
    if batch:
        entries.append(Entry("BATCH", sum(t.amount_minor for t in batch), booked=today(), txs=tuple(batch)))
    return entries


async def _state() -> dict:
    async with write_transaction():
        sql = Sql()
        return {
            "matches": sorted(tuple(r.values()) for r in await sql.fetch(
                "SELECT booking, instruction, status FROM recon_match")),
            "exceptions": sorted(tuple(r.values()) for r in await sql.fetch(
                "SELECT fingerprint, state, instruction, booking FROM recon_exception")),
            "bookings": sorted(tuple(r.values()) for r in await sql.fetch("SELECT public_id, state FROM recon_booking")),
            "groups_per_booking": await sql.fetch(
                "SELECT booking, COUNT(DISTINCT group_id) AS n FROM recon_match WHERE status = 'confirmed' "
                "GROUP BY booking HAVING COUNT(DISTINCT group_id) > 1"),
            "matches_per_instruction": await sql.fetch(
                "SELECT instruction, COUNT(*) AS n FROM recon_match WHERE status = 'confirmed' "
                "GROUP BY instruction HAVING COUNT(*) > 1"),
        }  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 50_000), FATES), min_size=1, max_size=12))
def test_every_instruction_is_matched_or_in_an_exception(plan):
    run(empty_all_tables())
    amounts, fates = [a for a, _ in plan], [f for _, f in plan]
    ids = run(_instructions(amounts))
    statement = Statement(DEBTOR_IBAN, day=today(), entries=_entries(ids, amounts, fates))
    run(service.import_statement(FINANCE, camt053(statement)))
    run(service.run(FINANCE))
    first = run(_state())
    matched = {m[1] for m in first["matches"] if m[2] == "confirmed"}
    held = {e[2] for e in first["exceptions"] if e[1] != "resolved"}
    assert set(ids) <= matched | held, (set(ids) - matched - held, fates)
    assert first["groups_per_booking"] == [] and first["matches_per_instruction"] == []
    assert all(state != "unmatched" for _, state in first["bookings"])
    run(service.run(FINANCE))
    assert run(_state()) == first
