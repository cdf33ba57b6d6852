"""An employer's wage claims paid by payment runs, and an overpayment kept back from a later claim: the
run pays that claim net of the offset (issue: "wage claims net of offsets")."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.roles import Role
from app.disbursements import release, runs, status_import
from tests.disbursements.world import APPROVER, FINANCE, FINANCE_2, RELEASER, confirmed_bank, pain002
from tests.support import run
from tests.wage_subsidies.test_journey import P, W, _ok, agreed_placement, claim, set_up_budget

PROGRAMME = "WAGE-SUBSIDY"
PAY_DATE = dt.date(2030, 1, 15)


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))


def _approve(people, claim_id: str) -> dict:
    return _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{W}/{claim_id}/approve", json={}))


def _pay(preparer, run_id_holder: list) -> dict:
    made = run(runs.create_run(preparer, PROGRAMME, PAY_DATE))
    run(runs.approve_run(APPROVER, made["id"]))
    run(release.release_run(RELEASER, made["id"]))
    run_id_holder.append(made["id"])
    return made


def test_a_wage_claim_is_paid_net_of_the_overpayment_kept_back(people, frozen_today):
    set_up_budget(people)
    _ok(people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify"))
    run(confirmed_bank(people.employer_org))
    anna = agreed_placement(people, "2026-01-05", "1300.00")
    months = [claim(people, m, [{"placement": anna["id"], "gross_wage": "1300.00", "hours_worked": 160}])
              for m in ("2026-02", "2026-03")]  # fmt: skip
    for c in months:
        assert _approve(people, c["id"])["approved"] == "910.00"  # 70 % of the wage
    paid: list[str] = []
    first = _pay(FINANCE, paid)
    assert first["total"] == "1820.00" and first["instructions"] == 1
    run(status_import.import_status(FINANCE, pain002(f"{paid[0]}-001", group="ACSC")))

    # she left at the end of February: March was paid for nothing, an overpayment of 910.00
    ended = {"end_date": "2026-02-28", "reason": "resigned"}
    _ok(people.call(Role.EMPLOYER, "POST", f"{P}/{anna['id']}/separation", json=ended))
    ben = agreed_placement(people, "2026-03-02", "1500.00", agreement_date="2026-03-01")
    april = claim(people, "2026-04", [{"placement": ben["id"], "gross_wage": "1500.00", "hours_worked": 160}])
    approved = _approve(people, april["id"])
    assert (approved["approved"], approved["offset"]) == ("1000.00", "910.00")

    second = _pay(FINANCE_2, paid)
    assert second["total"] == "90.00"  # 1,000.00 approved less the 910.00 kept back
    lines = run(runs.get_run(FINANCE, second["id"], with_instructions=True))["instruction_list"][0]["lines"]
    assert [(ln["source_type"], ln["source_id"], ln["amount"]) for ln in lines] == [
        ("wage_claim", april["id"], "90.00")
    ]
