"""Pooled programmes: the dated cost-sharing key, allocations posted to the ledger as memo entries
(append-only, corrected by reversal), and the Pooled fund sheet reading them back.

The world: programme POOL paid into by fund DA (budget 600.00) and fund DB (400.00), so pro rata is
60 / 40, and from 16 March a key of fixed shares DA 1 : DB 2 (below A is DA and B is DB). Expenditure: 10 Feb A 100.00; 5 Mar B 50.00;
20 Mar A 100.00. Allocated: February 100.00 pro rata -> A 60.00, B 40.00; 1-15 March 50.00 pro rata ->
A 30.00, B 20.00; 16-31 March 100.00 at 1 : 2 -> 33.333… and 66.666…: A 33.33, B 66.66, and the cent left
over goes to the larger remainder (B, 2/3 against A's 1/3): B 66.67. So A 123.33 + B 126.67 = 250.00.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from click.testing import CliRunner

from app.cli import main
from app.core.actor import Actor
from app.core.errors import Forbidden, ValidationFailed
from app.core.roles import Role
from app.ledger import dimensions, entries, pooled, service
from app.ledger.operations import Kind, Operation, Target
from app.ledger.queries import account_balances
from app.reports.service import build_report
from tests.support import SYSTEM, run

_keys = itertools.count(1)
FINANCE = Actor(1, "usr_finance0000000001", "finance", frozenset({Role.FINANCE_OFFICER}))
AUDITOR = Actor(2, "usr_auditor0000000002", "auditor", frozenset({Role.AUDITOR}))
MAR_31 = dt.date(2026, 3, 31)


def op(kind: Kind, fund: str, amount: int, day: dt.date, party: str = "") -> Operation:
    return Operation(
        kind, Target(fund, "POOL", party), amount, f"pool-{next(_keys)}", day, "", "test", "pool"
    )


@pytest.fixture
def pool():
    for code in ("DA", "DB"):
        run(dimensions.create(SYSTEM, "fund", code, f"Donor {code}", "EUR"))
    run(dimensions.create(SYSTEM, "programme", "POOL", "Pooled programme", "EUR"))
    run(service.apply(SYSTEM, [
        op(Kind.BUDGET_LOAD, "DA", 600_00, dt.date(2026, 1, 5)),
        op(Kind.BUDGET_LOAD, "DB", 400_00, dt.date(2026, 1, 5)),
        op(Kind.COMMIT, "DA", 300_00, dt.date(2026, 1, 6)),
        op(Kind.COMMIT, "DB", 300_00, dt.date(2026, 1, 6)),
        op(Kind.EXPEND, "DA", 100_00, dt.date(2026, 2, 10), "prv_a"),
        op(Kind.EXPEND, "DB", 50_00, dt.date(2026, 3, 5), "prv_b"),
        op(Kind.EXPEND, "DA", 100_00, dt.date(2026, 3, 20), "prv_a"),
    ]))  # fmt: skip
    run(
        pooled.set_key(
            FINANCE, "POOL", dt.date(2026, 3, 16), "shares", {"DA": 1, "DB": 2}, "donors' addendum"
        )
    )


def _allocated(as_of: dt.date = MAR_31) -> dict[str, int]:
    return {b.fund: b.balance for b in run(account_balances(as_of, code="9100", programme="POOL"))}


def test_a_key_change_mid_year_applies_from_its_date_and_the_shares_add_up_to_the_cent(pool):
    result = run(pooled.allocate(FINANCE, MAR_31))
    assert result == {"periods": 3, "posted": 3, "reversed": 0}
    assert _allocated() == {"DA": 123_33, "DB": 126_67}
    assert _allocated(dt.date(2026, 2, 28)) == {"DA": 60_00, "DB": 40_00}  # February alone: pro rata
    charged = {b.fund: -b.balance for b in run(account_balances(MAR_31, code="9190", programme="POOL"))}
    assert charged == {"DA": 200_00, "DB": 50_00} and sum(charged.values()) == sum(_allocated().values())
    # the Pooled fund sheet reads the same figures back from the ledger
    report = run(build_report(MAR_31))
    rows = {a.fund: a for a in report.allocations if a.programme == "POOL"}
    assert {f: a.allocated for f, a in rows.items()} == {"DA": 123_33, "DB": 126_67}
    assert {f: a.contribution for f, a in rows.items()} == {"DA": 600_00, "DB": 400_00}
    expended = sum(p.stages["expended"] for p in report.positions if p.programme == "POOL")
    assert sum(a.allocated for a in rows.values()) == expended == 250_00
    assert report.unallocated[("POOL", "EUR")] == 0


def test_re_running_posts_nothing_and_a_late_claim_is_corrected_by_a_reversal(pool):
    run(pooled.allocate(FINANCE, MAR_31))
    assert run(pooled.allocate(FINANCE, MAR_31)) == {"periods": 3, "posted": 0, "reversed": 0}
    run(service.apply(SYSTEM, [op(Kind.EXPEND, "DB", 10_00, dt.date(2026, 2, 20), "prv_b")]))  # dated back
    assert run(build_report(MAR_31)).unallocated[("POOL", "EUR")] == 10_00  # shown until allocated
    assert run(pooled.allocate(FINANCE, MAR_31)) == {"periods": 3, "posted": 1, "reversed": 1}
    assert _allocated(dt.date(2026, 2, 28)) == {"DA": 66_00, "DB": 44_00}  # 110.00 at 60 / 40
    assert _allocated() == {"DA": 129_33, "DB": 130_67}
    feb = [e for e in run(_pool_entries()) if e.reference_id == "POOL:EUR:2026-02-01"]
    assert len(feb) == 3 and sum(1 for e in feb if e.reverses) == 1  # posted, reversed, posted again


def test_a_key_set_later_for_an_earlier_date_corrects_what_was_allocated(pool):
    run(pooled.allocate(FINANCE, MAR_31))
    run(
        pooled.set_key(
            FINANCE, "POOL", dt.date(2026, 1, 1), "shares", {"DA": 1, "DB": 1}, "equal from the start"
        )
    )
    result = run(pooled.allocate(FINANCE, MAR_31))
    assert result["reversed"] == 2 and result["posted"] == 2  # February and 1-15 March; 16-31 March stays
    assert _allocated() == {"DA": 75_00 + 33_33, "DB": 75_00 + 66_67}


async def _pool_entries():
    from app.core.db import raw

    rows = await raw("SELECT id FROM ledger_entry WHERE reference_type = 'pooled_allocation' ORDER BY id")
    return await entries.load_entries([r["id"] for r in rows])


def test_bad_keys_and_the_wrong_role_are_refused(pool):
    cases = [
        (("NOPE", dt.date(2026, 1, 1), "pro_rata", None), "unknown_programme"),
        (("POOL", dt.date(2026, 1, 1), "equal", None), "invalid_method"),
        (("POOL", dt.date(2026, 1, 1), "shares", {"Z": 1}), "unknown_fund"),
        (("POOL", dt.date(2026, 1, 1), "shares", {"DA": -1}), "invalid_share"),
        (("POOL", dt.date(2026, 1, 1), "shares", {"DA": 0}), "invalid_share"),
        (("POOL", dt.date(2026, 1, 1), "pro_rata", {"DA": 1}), "unexpected_shares"),
    ]
    for args, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            run(pooled.set_key(FINANCE, *args))
        assert refused.value.code == code, args
    with pytest.raises(Forbidden):
        run(pooled.set_key(AUDITOR, "POOL", dt.date(2026, 1, 1), "pro_rata"))
    with pytest.raises(Forbidden):
        run(pooled.allocate(AUDITOR, MAR_31))
    assert run(pooled.keys())["POOL"] == [
        pooled.Key("POOL", dt.date(2026, 3, 16), "shares", {"DA": 1, "DB": 2})
    ]


def test_the_command_line_sets_a_key_and_allocates(pool, people):
    people.make(Role.FINANCE_OFFICER, key="fin")
    invoke = CliRunner().invoke
    done = invoke(main, ["ledger", "cost-key", "POOL", "--from", "2026-04-01", "--shares", "DA=3,DB=1",
                         "--reason", "year 2", "--as", "fin@example.org"])  # fmt: skip
    assert done.exit_code == 0 and "POOL from 2026-04-01: DA 3, DB 1" in done.output, done.output
    bad = invoke(main, ["ledger", "cost-key", "POOL", "--from", "2026-04-01", "--shares", "DA=x",
                        "--as", "fin@example.org"])  # fmt: skip
    assert bad.exit_code != 0 and "invalid_share" in bad.output
    posted = invoke(main, ["ledger", "allocate-pooled", "--through", "2026-03-31", "--as", "fin@example.org"])
    assert posted.exit_code == 0 and "3 period(s); 3 entr(ies) posted, 0 reversed" in posted.output, (
        posted.output
    )
    assert _allocated() == {"DA": 123_33, "DB": 126_67}


def test_the_api_sets_a_key_and_allocates_and_refuses_the_wrong_role(pool, people):
    made = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/ledger/cost-keys", json={
        "programme": "POOL", "effective_from": "2026-04-01", "method": "shares", "shares": {"DA": 3, "DB": 1},
        "reason": "year 2"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["shares"] == {"DA": 3, "DB": 1}
    bad = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/ledger/cost-keys",
                      json={"programme": "POOL", "effective_from": "2026-04-01", "method": "shares",
                            "shares": {"ZZ": 1}})  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "shares.ZZ", bad.text
    listed = people.call(Role.AUDITOR, "GET", "/api/v1/ledger/cost-keys").json()["POOL"]
    assert [k["effective_from"] for k in listed] == ["2026-03-16", "2026-04-01"]
    done = people.call(Role.FINANCE_OFFICER, "POST", "/api/v1/ledger/pooled-allocations",
                       json={"through": "2026-03-31"})  # fmt: skip
    assert done.status_code == 200 and done.json() == {"periods": 3, "posted": 3, "reversed": 0}, done.text
    assert _allocated() == {"DA": 123_33, "DB": 126_67}
    for method, path in (("POST", "/api/v1/ledger/cost-keys"), ("POST", "/api/v1/ledger/pooled-allocations")):
        assert people.call(Role.AUDITOR, method, path, json={}).status_code == 403, path
    assert people.call(Role.PROVIDER, "GET", "/api/v1/ledger/cost-keys").status_code == 403
