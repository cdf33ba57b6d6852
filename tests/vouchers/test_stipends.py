"""Transport vouchers paid to the participant as a monthly stipend: once per month, never claimable."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from app.cli import main
from app.eligibility import service as eligibility
from app.ledger import dimensions, queries
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.vouchers import claim_rules, service
from tests.support import SYSTEM, run
from tests.vouchers.test_issue import _world

CASE = {
    "activity": "training",
    "activity_start": "2026-02-02",
    "attendance_days": 20,
    "distance_km": 8,
    "fare_per_trip": "2.10",
    "monthly_pass_price": "62.00",
}


async def _stipend_voucher(participant: str) -> dict:
    await dimensions.create(SYSTEM, "programme", "TRANSPORT", "Transport", "EUR")
    load = Operation(Kind.BUDGET_LOAD, Target("ESF", "TRANSPORT"), 100_000, "load-t", dt.date(2026, 1, 1))
    await ledger.apply_one(SYSTEM, load)
    decision = await eligibility.evaluate(SYSTEM, "transport_voucher", CASE, dt.date(2026, 3, 2), participant)
    request = service.IssueRequest(
        decision["id"], "ESF", dt.date(2026, 3, 2), dt.date(2026, 4, 30), stipend=True
    )
    return (await service.issue_many(SYSTEM, [request]))[0]


def test_stipends_are_paid_once_a_month_as_a_payable_to_the_participant():
    world = run(_world(0))
    voucher = run(_stipend_voucher(world["participant"]))
    assert voucher["mode"] == "stipend" and voucher["total"] == "124.00"  # 62.00 x March and April
    result = CliRunner().invoke(main, ["vouchers", "stipends", "--month", "2026-03"])
    assert result.exit_code == 0 and "1 stipend(s) for 2026-03: 62.00" in result.output
    again = CliRunner().invoke(main, ["vouchers", "stipends", "--month", "2026-03"])
    assert "0 stipend(s)" in again.output
    position = run(queries.budget_position(fund="ESF", programme="TRANSPORT"))[0]
    assert (position.committed, position.expended) == (6_200, 6_200)
    run(service.pay_stipends(SYSTEM, dt.date(2026, 4, 1)))
    assert run(service.get(voucher["id"]))["status"] == "exhausted"
    assert run(service.pay_stipends(SYSTEM, dt.date(2026, 5, 1)))["vouchers"] == 0


def test_a_stipend_voucher_cannot_be_claimed_by_a_provider():
    state = claim_rules.VoucherState(
        "vch_s",
        "active",
        None,
        dt.date(2026, 3, 2),
        dt.date(2026, 4, 30),
        "month",
        6_200,
        12_400,
        mode="stipend",
    )
    context = claim_rules.Context(
        "prv_x", dt.date(2026, 4, 10), 60, ((dt.date(2025, 1, 1), dt.date(2027, 1, 1)),)
    )
    line = claim_rules.Line(2, "vch_s", True, dt.date(2026, 3, 2), dt.date(2026, 3, 31), 20, 6_200)
    assert claim_rules.judge([line], {"vch_s": state}, context)[0].reason is claim_rules.Reason.STIPEND


def test_only_transport_vouchers_can_be_stipends():
    import pytest

    from app.core.errors import ValidationFailed
    from tests.vouchers.test_issue import _decision

    world = run(_world(1_000_000))
    decision = run(_decision(world["participant"]))
    request = service.IssueRequest(
        decision, "ESF", dt.date(2026, 3, 2), dt.date(2026, 5, 24), world["child"], stipend=True
    )
    with pytest.raises(ValidationFailed, match="only transport"):
        run(service.issue_many(SYSTEM, [request]))


def test_a_bad_month_is_refused_by_name():
    result = CliRunner().invoke(main, ["vouchers", "stipends", "--month", "2026-13"])
    assert result.exit_code == 1 and "not a month like 2026-03 (--month)" in result.output
