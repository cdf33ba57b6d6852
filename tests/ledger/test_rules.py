"""Idempotency, reversals, closed periods and all-or-nothing batches."""

from __future__ import annotations

import datetime as dt

import pytest

from app.ledger import periods, queries, service
from app.ledger.entries import load_entries
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import AccountKey, Kind, Leg
from app.ledger.verify import verify
from tests.ledger.helpers import DAY, FUND, PROGRAMME, TARGET, do, op, setup_dimensions
from tests.support import SYSTEM


async def _position():
    (pos,) = await queries.budget_position(fund=FUND, programme=PROGRAMME)
    return pos


async def test_same_key_twice_posts_once_and_returns_the_first_result():
    await setup_dimensions()
    first = await do(Kind.BUDGET_LOAD, 500, key="load-1")
    again = await do(Kind.BUDGET_LOAD, 500, key="load-1")
    assert again == first
    assert (await _position()).budget == 500
    entries, _ = await queries.list_entries(10)
    assert len(entries) == 1


async def test_same_key_with_a_different_body_is_refused():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 500, key="load-1")
    with pytest.raises(LedgerRefusal) as refused:
        await do(Kind.BUDGET_LOAD, 501, key="load-1")
    assert refused.value.refusal is Refusal.IDEMPOTENCY_KEY_REUSED
    assert refused.value.status_code == 409
    assert "je_1" in refused.value.message


async def test_reversal_restores_balances_and_points_to_the_original():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000)
    commit = await do(Kind.COMMIT, 400)
    reversal = await service.reverse(SYSTEM, commit.seq, idempotency_key="rev-1", reason="issued in error")
    assert reversal.reverses == commit.id
    assert reversal.kind == "reversal"
    assert [leg.amount for leg in reversal.legs] == [-leg.amount for leg in commit.legs]
    assert (await _position()).available == 1_000
    with pytest.raises(LedgerRefusal) as twice:
        await service.reverse(SYSTEM, commit.seq, idempotency_key="rev-2", reason="again")
    assert twice.value.refusal is Refusal.ALREADY_REVERSED
    with pytest.raises(LedgerRefusal) as of_reversal:
        await service.reverse(SYSTEM, reversal.seq, idempotency_key="rev-3", reason="undo")
    assert of_reversal.value.refusal is Refusal.CANNOT_REVERSE_REVERSAL


async def test_reversing_a_budget_load_that_was_spent_is_refused():
    await setup_dimensions()
    load = await do(Kind.BUDGET_LOAD, 1_000)
    await do(Kind.COMMIT, 600)
    with pytest.raises(LedgerRefusal) as refused:
        await service.reverse(SYSTEM, load.seq, idempotency_key="rev", reason="wrong fund")
    assert refused.value.refusal is Refusal.INSUFFICIENT_AVAILABLE_BUDGET


async def test_closed_month_refuses_postings_and_corrections_go_to_an_open_month():
    await setup_dimensions()
    october = await do(Kind.BUDGET_LOAD, 1_000, day=dt.date(2026, 10, 3))
    await periods.close_month(SYSTEM, dt.date(2026, 10, 1))
    with pytest.raises(LedgerRefusal) as refused:
        await do(Kind.COMMIT, 10, day=dt.date(2026, 10, 31))
    assert refused.value.refusal is Refusal.PERIOD_CLOSED
    with pytest.raises(LedgerRefusal):
        await service.reverse(
            SYSTEM, october.seq, idempotency_key="r", reason="x", effective_date=dt.date(2026, 10, 5)
        )
    fix = await service.reverse(
        SYSTEM, october.seq, idempotency_key="r2", reason="wrong amount", effective_date=dt.date(2026, 11, 2)
    )
    assert fix.effective_date == dt.date(2026, 11, 2)
    with pytest.raises(LedgerRefusal) as again:
        await periods.close_month(SYSTEM, dt.date(2026, 10, 1))
    assert again.value.refusal is Refusal.PERIOD_ALREADY_CLOSED


async def test_a_batch_posts_all_or_nothing_and_names_the_refused_entry():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000)
    batch = [op(Kind.COMMIT, 300), op(Kind.COMMIT, 300), op(Kind.COMMIT, 500), op(Kind.COMMIT, 1)]
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply(SYSTEM, batch)
    assert refused.value.index == 2
    assert refused.value.refusal is Refusal.INSUFFICIENT_AVAILABLE_BUDGET
    assert (await _position()).committed == 0
    posted = await service.apply(SYSTEM, batch[:2] + batch[3:])
    assert [e.seq for e in posted] == [2, 3, 4]
    assert (await _position()).committed == 601
    assert await service.apply(SYSTEM, batch[:2] + batch[3:]) == posted  # the retry returns the same


async def test_a_batch_may_not_repeat_a_key():
    await setup_dimensions()
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply(SYSTEM, [op(Kind.BUDGET_LOAD, 1, key="k"), op(Kind.BUDGET_LOAD, 2, key="k")])
    assert refused.value.refusal is Refusal.IDEMPOTENCY_KEY_REUSED
    assert refused.value.index == 1


async def test_manual_journal_must_balance_on_each_track():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000)
    cash, income = AccountKey("1010", FUND, PROGRAMME), AccountKey("4100", FUND, PROGRAMME)
    available = AccountKey("8200", FUND, PROGRAMME)
    entry = await service.journal(
        SYSTEM,
        [Leg(cash, 25), Leg(income, -25)],
        idempotency_key="interest",
        effective_date=DAY,
        description="Bank interest",
    )
    assert entry.kind == "journal"
    with pytest.raises(LedgerRefusal) as refused:
        await service.journal(
            SYSTEM,
            [Leg(cash, 25), Leg(available, -25)],
            idempotency_key="bad",
            effective_date=DAY,
            description="Cash against budget",
        )
    assert refused.value.refusal is Refusal.UNBALANCED


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([Leg(AccountKey("1010", FUND, PROGRAMME), 5)], Refusal.TOO_FEW_POSTINGS),
        (
            [Leg(AccountKey("1010", FUND, PROGRAMME), 0), Leg(AccountKey("4100", FUND, PROGRAMME), 0)],
            Refusal.ZERO_AMOUNT,
        ),
        (
            [Leg(AccountKey("9999", FUND, PROGRAMME), 5), Leg(AccountKey("4100", FUND, PROGRAMME), -5)],
            Refusal.UNKNOWN_ACCOUNT,
        ),
        (
            [Leg(AccountKey("2110", FUND, PROGRAMME), 5), Leg(AccountKey("1010", FUND, PROGRAMME), -5)],
            Refusal.PARTY_REQUIRED,
        ),
        (
            [Leg(AccountKey("1010", FUND, PROGRAMME), 5), Leg(AccountKey("4100", FUND, PROGRAMME), -4)],
            Refusal.UNBALANCED,
        ),
    ],
)
async def test_malformed_entries_are_refused_by_name(legs, code):
    await setup_dimensions()
    with pytest.raises(LedgerRefusal) as refused:
        await service.journal(SYSTEM, legs, idempotency_key="x", effective_date=DAY, description="")
    assert refused.value.refusal is code
    assert (await verify()).entries == 0


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
async def test_operations_need_positive_whole_amounts(amount):
    await setup_dimensions()
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply_one(SYSTEM, op(Kind.BUDGET_LOAD, amount))
    assert refused.value.refusal is Refusal.AMOUNT_NOT_POSITIVE


async def test_point_in_time_balances_come_from_postings():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000, day=dt.date(2026, 9, 1))
    await do(Kind.COMMIT, 100, day=dt.date(2026, 9, 20))
    await do(Kind.COMMIT, 200, day=dt.date(2026, 10, 5))
    (september,) = await queries.budget_position(as_of=dt.date(2026, 9, 30))
    assert (september.committed, september.available) == (100, 900)
    (now,) = await queries.budget_position()
    assert (now.committed, now.available) == (300, 700)
    assert (await queries.trial_balance(as_of=dt.date(2026, 9, 30))).balanced


async def test_account_history_runs_a_balance_across_pages():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000, day=dt.date(2026, 9, 1))
    for day in (3, 1, 2):  # posted out of date order
        await do(Kind.COMMIT, 100 * day, day=dt.date(2026, 10, day))
    (available,) = await queries.account_balances(code="8200")
    account_id = int(available.id.split("_")[1])
    first, more = await queries.account_history(account_id, 2)
    assert more
    second, more = await queries.account_history(account_id, 2, first[-1].posting)
    assert not more
    lines = first + second
    assert [line.effective_date.day for line in lines] == [1, 1, 2, 3]
    assert [line.running_balance for line in lines] == [-1_000, -900, -700, -400]
    assert lines[-1].running_balance == available.balance
    assert TARGET.fund == FUND


async def test_a_large_batch_takes_the_bulk_path_and_verifies():
    from app.ledger.posting import COPY_FROM

    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000_000)
    batch = [op(Kind.COMMIT, 10 + i % 7) for i in range(COPY_FROM + 100)]
    posted = await service.apply(SYSTEM, batch)
    assert [e.seq for e in posted] == list(range(2, COPY_FROM + 102))
    expected = sum(10 + i % 7 for i in range(COPY_FROM + 100))
    assert (await _position()).committed == expected
    assert await service.apply(SYSTEM, batch) == await load_entries([e.seq for e in posted])
    result = await verify()
    assert result.ok and result.entries == COPY_FROM + 101


async def test_an_entry_must_balance_in_each_currency():
    from app.ledger import dimensions

    await setup_dimensions()
    await dimensions.create(SYSTEM, "fund", "USAID", "US donor", "USD")
    await dimensions.create(SYSTEM, "programme", "TRANSPORT", "Transport", "USD")
    legs = [
        Leg(AccountKey("1010", FUND, PROGRAMME), 100),
        Leg(AccountKey("4100", "USAID", "TRANSPORT"), -100),
    ]
    with pytest.raises(LedgerRefusal) as refused:
        await service.journal(SYSTEM, legs, idempotency_key="fx", effective_date=DAY, description="")
    assert refused.value.refusal is Refusal.UNBALANCED
    assert "EUR" in refused.value.message
