"""One entry in one round trip on PostgreSQL (ledger_post_one): it refuses what the batch path refuses,
with the same code, message, parameter and index, writes the same rows, and chains into the same chain
as entries posted by the batch path."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.db import raw
from app.core.money import MAX_BALANCE
from app.ledger import dimensions, entries, periods, posting, service
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import AccountKey, Draft, Kind, Leg, Target, draft_for, reversal_draft
from app.ledger.verify import verify
from tests.ledger.helpers import DAY, FUND, PROGRAMME, do, op, setup_dimensions
from tests.support import SYSTEM

pytestmark = pytest.mark.postgres_only

PROVIDER = "prv_one"


def _statements_sent(monkeypatch) -> list[str]:
    """Every statement the posting module sends from now on, recorded."""
    sent: list[str] = []
    real = posting.post_one.call

    async def counting(*args):
        sent.append("ledger_post_one")
        return await real(*args)

    monkeypatch.setattr(posting.post_one, "call", counting)
    return sent


async def _refused_both_ways(draft: Draft) -> LedgerRefusal:
    """The refusal of the one-round-trip path, checked equal to the batch path's on the same state."""
    with pytest.raises(LedgerRefusal) as fast:
        await posting.post(SYSTEM, [draft])
    with pytest.raises(LedgerRefusal) as batch:
        await posting._post(SYSTEM, [draft])
    one, other = fast.value, batch.value
    assert (one.refusal, one.message, one.param, one.index, one.status_code) == (
        other.refusal,
        other.message,
        other.param,
        other.index,
        other.status_code,
    )
    return one


async def test_every_refusal_is_the_batch_paths(monkeypatch):
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000, key="load")
    sent = _statements_sent(monkeypatch)

    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 10_001)))
    assert refused.refusal is Refusal.INSUFFICIENT_AVAILABLE_BUDGET
    await do(Kind.COMMIT, 3_000)
    await do(Kind.EXPEND, 1_000, PROVIDER)
    refused = await _refused_both_ways(draft_for(op(Kind.PAY, 1_001, PROVIDER)))
    assert refused.refusal is Refusal.BALANCE_WOULD_GO_NEGATIVE

    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 5, key="load")))
    assert refused.refusal is Refusal.IDEMPOTENCY_KEY_REUSED and refused.index == 0

    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 5, target=Target("NOPE", PROGRAMME))))
    assert refused.refusal is Refusal.UNKNOWN_FUND
    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 5, target=Target(FUND, "NOPE"))))
    assert refused.refusal is Refusal.UNKNOWN_PROGRAMME
    await dimensions.create(SYSTEM, "programme", "DOLLARS", "A programme in dollars", "USD")
    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 5, target=Target(FUND, "DOLLARS"))))
    assert refused.refusal is Refusal.CURRENCY_MISMATCH

    await periods.close_month(SYSTEM, dt.date(2026, 9, 1))
    refused = await _refused_both_ways(draft_for(op(Kind.COMMIT, 5, day=dt.date(2026, 9, 30))))
    assert refused.refusal is Refusal.PERIOD_CLOSED

    legs = [Leg(AccountKey("8200", FUND, PROGRAMME), 5), Leg(AccountKey("8300", FUND, PROGRAMME), -5)]
    refused = await _refused_both_ways(reversal_draft(999, legs, "rev-unknown", DAY, "no such", "", ""))
    assert refused.refusal is Refusal.UNKNOWN_ENTRY
    commitment = await do(Kind.COMMIT, 100)
    reversal = await service.reverse(SYSTEM, commitment.seq, idempotency_key="rev-1", reason="wrong")
    refused = await _refused_both_ways(
        reversal_draft(commitment.seq, legs, "rev-2", DAY, "again", "test", "ref-1")
    )
    assert refused.refusal is Refusal.ALREADY_REVERSED
    refused = await _refused_both_ways(reversal_draft(reversal.seq, legs, "rev-3", DAY, "undo", "", ""))
    assert refused.refusal is Refusal.CANNOT_REVERSE_REVERSAL

    assert len(sent) == 14  # each single entry above went through the function, refused or not
    assert (await verify()).ok  # refusals wrote nothing: the chain and the kept balances still agree


async def test_posted_entries_read_back_as_returned_and_chain_with_batches():
    await setup_dimensions()
    loaded = await do(Kind.BUDGET_LOAD, 50_000)
    # A new party's accounts are opened by the function; then a batch, then single entries again.
    committed = (await service.apply(SYSTEM, [op(Kind.COMMIT, 4_000)]))[0]
    claim = await do(Kind.EXPEND, 1_500, PROVIDER)
    batch = await service.apply(SYSTEM, [op(Kind.COMMIT, 100), op(Kind.COMMIT, 200)])
    paid = await do(Kind.PAY, 1_500, PROVIDER)
    posted = [loaded, committed, claim, *batch, paid]
    assert [e.seq for e in posted] == list(range(1, 7))
    assert await entries.load_entries([e.seq for e in posted]) == posted
    again = await do(Kind.PAY, 1_500, PROVIDER, key=paid.idempotency_key)
    assert again == paid  # the same request twice: the first result
    result = await verify()
    assert result.ok and result.entries == 6
    balances = {
        r["code"]: r["balance"]
        for r in await raw(
            "SELECT ch.code, a.balance FROM ledger_account a JOIN ledger_chart ch ON ch.id = a.chart "
            "WHERE a.party = {}",
            PROVIDER,
        )
    }
    assert balances == {"2110": 0}


async def test_a_balance_past_the_bound_is_refused_as_the_batch_path_does():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1000)
    await raw("UPDATE ledger_account SET balance = balance + {} WHERE balance > 0", MAX_BALANCE - 1000)
    refused = await _refused_both_ways(draft_for(op(Kind.BUDGET_LOAD, 1)))
    assert refused.refusal is Refusal.BALANCE_OUT_OF_RANGE
