"""No total the system keeps can overflow BIGINT; amounts and dates outside their ranges are refused."""

from __future__ import annotations

import datetime as dt

import msgspec.inspect as mi
import pytest

from app.core.dates import check_date
from app.core.errors import ValidationFailed
from app.core.money import MAX_BALANCE, MAX_MINOR, to_minor
from app.core.roles import Role
from app.ledger.errors import LedgerRefusal
from app.ledger.operations import Kind
from tests.core.test_bad_input import _body_handlers
from tests.ledger.helpers import do, setup_dimensions
from tests.support import run

BIGINT = 2**63 - 1


def _longest_lists(struct: type, depth: int = 0) -> list[int]:
    """The maximum lengths of the lists of structs that a body can hold (a claim's lines, a batch)."""
    found = []
    for field in mi.type_info(struct).fields:
        kind = field.type
        while isinstance(kind, mi.UnionType | mi.Metadata):
            kind = kind.type if isinstance(kind, mi.Metadata) else kind.types[0]
        if isinstance(kind, mi.ListType) and kind.max_length and isinstance(kind.item_type, mi.StructType):
            found.append(kind.max_length)
        if isinstance(kind, mi.StructType) and depth < 3:
            found += _longest_lists(kind.cls, depth + 1)
    return found


def test_no_body_can_sum_past_bigint(app):
    """A claim of 10,000 lines at the per-line maximum (10^15) summed to 10^19, past BIGINT: a 500 on
    PostgreSQL (this test failed then)."""
    longest = max(n for *_, struct in _body_handlers(app) for n in _longest_lists(struct))
    assert longest * MAX_MINOR <= MAX_BALANCE < BIGINT // 10


def test_amounts_beyond_the_maximum_are_refused():
    assert to_minor("100000000000.00", "EUR") == MAX_MINOR
    with pytest.raises(ValidationFailed) as refused:
        to_minor("100000000000.01", "EUR")
    assert refused.value.code == "amount_out_of_range"
    with pytest.raises(ValidationFailed) as refused:
        to_minor("\u0661\u0662\u0663", "EUR")  # Decimal() reads Arabic-Indic digits as 123
    assert refused.value.code == "invalid_amount"


async def test_a_balance_past_the_bound_is_refused():
    from app.core.db import raw

    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1000)
    await raw("UPDATE ledger_account SET balance = balance + {} WHERE balance > 0", MAX_BALANCE - 1000)
    with pytest.raises(LedgerRefusal) as refused:
        await do(Kind.BUDGET_LOAD, 1)
    assert refused.value.code == "balance_out_of_range"


def test_dates_outside_the_plausible_range_are_refused():
    assert check_date(dt.date(1900, 1, 1), "d") == dt.date(1900, 1, 1)
    for day in (dt.date.min, dt.date.max, dt.date(1899, 12, 31), dt.date(2201, 1, 1)):
        with pytest.raises(ValidationFailed) as refused:
            check_date(day, "d")
        assert refused.value.code == "date_out_of_range"


def test_non_ascii_digits_in_money_are_400(people):
    """ "١٢٣" matched `\\d` and posted 123.00 (this test failed then)."""
    run(setup_dimensions())
    body = {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "amount": "\u0661\u0662\u0663",
        "effective_date": "2026-10-01",
        "description": "d",
        "reference_id": "r",
    }
    response = people.call(
        Role.BUDGET_HOLDER, "POST", "/api/v1/ledger/budgets", json=body, headers={"Idempotency-Key": "b1"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "amount"


def test_a_month_outside_the_range_is_refused(people):
    response = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/ledger/periods/0000-10/close")
    assert response.status_code in (400, 404), response.text
    response = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/ledger/periods/9999-10/close")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "date_out_of_range"
