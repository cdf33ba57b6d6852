"""Posting through the budget stages, with the balances and refusals they must produce."""

from __future__ import annotations

import pytest

from app.ledger import queries
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.operations import Kind
from app.ledger.verify import verify
from tests.ledger.helpers import FUND, PROGRAMME, do, setup_dimensions

PROVIDER = "prv_0000000000000001"


def position():
    async def get():
        (pos,) = await queries.budget_position(fund=FUND, programme=PROGRAMME)
        return pos

    return get()


async def test_a_voucher_through_every_stage():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 100_000)
    await do(Kind.COMMIT, 30_000)
    await do(Kind.EXPEND, 12_000, PROVIDER)
    await do(Kind.PAY, 12_000, PROVIDER)
    await do(Kind.RELEASE, 5_000)
    pos = await position()
    assert (pos.budget, pos.available, pos.committed, pos.expended, pos.paid) == (
        100_000,
        75_000,
        13_000,
        12_000,
        12_000,
    )
    assert pos.budget == pos.available + pos.committed + pos.expended + pos.recoveries_pending
    tb = await queries.trial_balance()
    assert tb.balanced
    assert tb.totals["EUR"]["debit"] == tb.totals["EUR"]["credit"]
    cash = await queries.account_balances(code="1010")
    assert cash[0].balance == 100_000 - 12_000
    assert (await verify()).ok


async def test_commitment_beyond_available_is_refused_and_writes_nothing():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000)
    with pytest.raises(LedgerRefusal) as refused:
        await do(Kind.COMMIT, 1_001)
    assert refused.value.refusal is Refusal.INSUFFICIENT_AVAILABLE_BUDGET
    assert "1000" in refused.value.message
    pos = await position()
    assert (pos.available, pos.committed) == (1_000, 0)
    entries, _ = await queries.list_entries(10)
    assert len(entries) == 1


async def test_overpayment_recovered_by_offset_against_the_next_claim():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    await do(Kind.COMMIT, 6_000)
    await do(Kind.EXPEND, 2_000, PROVIDER)
    await do(Kind.PAY, 2_000, PROVIDER)
    await do(Kind.RECEIVABLE, 500, PROVIDER)  # one month was paid after employment ended
    await do(Kind.EXPEND, 2_000, PROVIDER)  # the next valid claim
    await do(Kind.RECOVERY_OFFSET, 500, PROVIDER)
    await do(Kind.PAY, 1_500, PROVIDER)
    pos = await position()
    assert pos.recoveries_pending == 0
    assert pos.expended == pos.paid == 3_500
    assert pos.available == 10_000 - 6_000 + 500
    receivable = await queries.account_balances(code="1310", party=PROVIDER)
    payable = await queries.account_balances(code="2110", party=PROVIDER)
    assert receivable[0].balance == 0 and payable[0].balance == 0
    cash = (await queries.account_balances(code="1010"))[0].balance
    assert cash == 10_000 - 3_500
    assert (await queries.trial_balance()).balanced


async def test_paying_more_than_is_owed_is_refused():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    await do(Kind.COMMIT, 5_000)
    await do(Kind.EXPEND, 1_000, PROVIDER)
    with pytest.raises(LedgerRefusal) as refused:
        await do(Kind.PAY, 1_001, PROVIDER)
    assert refused.value.refusal is Refusal.BALANCE_WOULD_GO_NEGATIVE


async def test_unknown_fund_and_currency_mismatch_are_named():
    from app.ledger import dimensions, service
    from app.ledger.operations import Target
    from tests.ledger.helpers import op
    from tests.support import SYSTEM

    await setup_dimensions()
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply_one(SYSTEM, op(Kind.BUDGET_LOAD, 5, target=Target("NOPE", PROGRAMME)))
    assert refused.value.refusal is Refusal.UNKNOWN_FUND
    await dimensions.create(SYSTEM, "fund", "USAID", "US donor", "USD")
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply_one(SYSTEM, op(Kind.BUDGET_LOAD, 5, target=Target("USAID", PROGRAMME)))
    assert refused.value.refusal is Refusal.CURRENCY_MISMATCH


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount = amount + 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_entry SET description = 'changed'",
        "DELETE FROM ledger_entry",
    ],
)
async def test_the_database_itself_refuses_changes_to_posted_rows(statement):
    from app.core.db import engine

    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 100)
    with pytest.raises(Exception, match="append-only"):
        await engine().run_ddl(statement)
    assert (await verify()).ok


async def test_an_unpaid_amount_found_not_due_is_disallowed():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    await do(Kind.COMMIT, 6_000)
    await do(Kind.EXPEND, 2_000, PROVIDER)
    await do(Kind.DISALLOW, 700, PROVIDER)  # approved for a month after the employment ended, not yet paid
    pos = await position()
    assert (pos.available, pos.committed, pos.expended) == (4_700, 4_000, 1_300)
    payable = await queries.account_balances(code="2110", party=PROVIDER)
    assert payable[0].balance == -1_300
    with pytest.raises(LedgerRefusal):  # never more than is owed to the party
        await do(Kind.DISALLOW, 1_301, PROVIDER)
    assert (await queries.trial_balance()).balanced


async def test_an_unknown_programme_is_named_as_such_in_a_batch():
    """The accounts query pairs funds with programmes: an unknown programme used to be reported as an
    unknown fund (seen failing: unknown_fund)."""
    from app.ledger import service
    from app.ledger.operations import Target
    from tests.ledger.helpers import op
    from tests.support import SYSTEM

    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 100)
    unknown = Target(FUND, "NOPE")
    with pytest.raises(LedgerRefusal) as refused:
        await service.apply(SYSTEM, [op(Kind.COMMIT, 5, target=unknown), op(Kind.COMMIT, 6, target=unknown)])
    assert refused.value.refusal is Refusal.UNKNOWN_PROGRAMME
    assert (refused.value.param, refused.value.index) == ("programme", 0)
