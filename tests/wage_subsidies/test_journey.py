"""End to end over HTTP: an employer verified, a placement and its agreement committed, six monthly claims
approved and paid, the 6-month bonus, an early separation with one overpaid month, and that month recovered
by offset against the next approved claim — all checked in the ledger's budget position."""

from __future__ import annotations

import datetime as dt
import itertools

import msgspec
import pytest

from app.core.roles import Role
from app.ledger import queries
from app.ledger.verify import verify
from app.registry.participants import register
from app.registry.personal import ParticipantPersonal
from tests.support import PERSON_EXAMPLE, SYSTEM, run

_NATIONAL_IDS = itertools.count(10_000_001)
L = "/api/v1/ledger"
P = "/api/v1/placements"
W = "/api/v1/wage-claims"
AGREEMENT = {
    "fund": "ESF",
    "agreement_date": "2026-01-05",
    "labour_law_declaration_signed": True,
    "layoffs_same_role_last_90_days": False,
    "employed_by_employer_last_12_months": False,
}


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def set_up_budget(people, amount="50000.00") -> None:
    for kind, code in (("funds", "ESF"), ("programmes", "WAGE-SUBSIDY")):
        body = {"code": code, "name": code, "currency": "EUR"}
        _ok(people.call(Role.BUDGET_HOLDER, "POST", f"{L}/{kind}", json=body), 201)
    load = {"fund": "ESF", "programme": "WAGE-SUBSIDY", "amount": amount, "effective_date": "2026-01-01"}
    headers = {"Idempotency-Key": "load"}
    _ok(people.call(Role.BUDGET_HOLDER, "POST", f"{L}/budgets", json=load, headers=headers), 201)


async def participant_async() -> str:
    person = dict(PERSON_EXAMPLE, national_id=f"XQ-{next(_NATIONAL_IDS)}")
    return (await register(SYSTEM, msgspec.convert(person, ParticipantPersonal), None)).id


def participant() -> str:
    return run(participant_async())


def agreed_placement(people, start: str, wage: str, agreement_date: str = "2026-01-05") -> dict:
    body = {
        "employer": people.employer_org,
        "participant": participant(),
        "role": "Warehouse assistant",
        "start_date": start,
        "contracted_weekly_hours": 40,
        "gross_wage": wage,
    }
    placement = _ok(people.call(Role.CASEWORKER, "POST", P, json=body), 201)
    terms = dict(AGREEMENT, agreement_date=agreement_date)
    return _ok(people.call(Role.CASEWORKER, "POST", f"{P}/{placement['id']}/agreement", json=terms), 201)


def claim(people, period: str, lines: list[dict]) -> dict:
    return _ok(people.call(Role.EMPLOYER, "POST", W, json={"period": period, "lines": lines}), 201)


def approve_and_pay(people, claim_id: str, key: str) -> dict:
    approved = _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{W}/{claim_id}/approve", json={}))
    payable = _minor(approved["approved"]) - _minor(approved["offset"])
    if payable:
        body = {
            "fund": "ESF",
            "programme": "WAGE-SUBSIDY",
            "party": people.employer_org,
            "amount": f"{payable / 100:.2f}",
            "effective_date": "2026-10-05",
        }
        headers = {"Idempotency-Key": key}
        _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{L}/payments", json=body, headers=headers), 201)
    return approved


def _minor(text: str) -> int:
    return round(float(text) * 100)


def _position() -> dict[str, int]:
    p = run(queries.budget_position(fund="ESF", programme="WAGE-SUBSIDY"))[0]
    return {
        "available": p.available,
        "committed": p.committed,
        "unpaid": p.expended - p.paid,
        "paid": p.paid,
        "recoveries_pending": p.recoveries_pending,
    }


def test_a_placement_from_agreement_to_an_overpayment_recovered_by_offset(people, frozen_today):
    set_up_budget(people)
    _ok(people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify"))
    anna = agreed_placement(people, "2026-01-12", "1800.00")
    assert anna["agreement"]["max_total"] == "11010.00"  # 12 months at 70/50/30%, capped, + 500 + 750
    assert _position()["committed"] == 1_101_000
    schedule = anna["agreement"]["schedule"]
    assert [
        (m["month"], m["rate"], m["amount"]) for m in (schedule[0], schedule[4], schedule[8], schedule[11])
    ] == [
        ("2026-01-01", "0.7", "1000.00"),  # 1,260.00 capped
        ("2026-05-01", "0.5", "900.00"),
        ("2026-09-01", "0.3", "540.00"),
        ("2026-12-01", "0.3", "540.00"),
    ]
    assert [(b["due"], b["amount"]) for b in anna["agreement"]["bonuses"]] == [
        ("2026-07-11", "500.00"),
        ("2027-01-11", "750.00"),
    ]

    def wage(paid: str, hours: float, **extra) -> dict:
        return {"placement": anna["id"], "gross_wage": paid, "hours_worked": hours, **extra}

    january = claim(people, "2026-01", [wage("1161.29", 112)])  # from the 12th: 20 of 31 days
    assert [(ln["outcome"], ln["accepted"], ln["employed_days"]) for ln in january["lines"]] == [
        ("accepted", "645.16", 20)
    ]
    expected = {"2026-02": "1000.00", "2026-03": "1000.00", "2026-04": "1000.00"}
    expected |= {"2026-05": "900.00", "2026-06": "900.00"}  # 50% from month 5
    claims = [january] + [claim(people, month, [wage("1800.00", 160)]) for month in expected]
    assert [c["lines"][0]["accepted"] for c in claims[1:]] == list(expected.values())
    for i, c in enumerate(claims):
        approve_and_pay(people, c["id"], f"pay-{i}")

    july = claim(people, "2026-07", [wage("1800.00", 160), wage("0", 0, kind="bonus")])
    assert [(ln["kind"], ln["accepted"]) for ln in july["lines"]] == [("wage", "900.00"), ("bonus", "500.00")]
    approve_and_pay(people, july["id"], "pay-july")
    august = claim(people, "2026-08", [wage("1800.00", 160)])
    approve_and_pay(people, august["id"], "pay-august")
    paid = 64_516 + 300_000 + 180_000 + 140_000 + 90_000
    assert _position() == {
        "available": 5_000_000 - 1_101_000,
        "committed": 1_101_000 - paid,
        "unpaid": 0,
        "paid": paid,
        "recoveries_pending": 0,
    }

    # the employer reports she left at the end of July: August was paid for nothing
    ended = {"end_date": "2026-07-31", "reason": "resigned"}
    _ok(people.call(Role.EMPLOYER, "POST", f"{P}/{anna['id']}/separation", json=ended))
    balance = _ok(people.call(Role.EMPLOYER, "GET", f"/api/v1/employers/{people.employer_org}/balance"))
    assert balance["owed_by_employer"] == "900.00"
    overpayment = balance["overpayments"][0]
    assert (overpayment["receivable"], overpayment["outstanding"]) == ("900.00", "900.00")
    assert "2026-08" in overpayment["reason"] and "2026-07-31" in overpayment["reason"]
    released = 1_101_000 - paid
    assert _position() == {
        "available": 5_000_000 - 1_101_000 + released,
        "committed": 0,
        "unpaid": 0,
        "paid": paid - 90_000,
        "recoveries_pending": 90_000,
    }
    refused = claim(people, "2026-09", [wage("1800.00", 160)])
    assert refused["lines"][0]["reason"] == "after_employment_ended"

    # her colleague's next claim is approved: the overpayment is kept back from it
    ben = agreed_placement(people, "2026-08-03", "1500.00", agreement_date="2026-08-01")
    assert ben["agreement"]["max_total"] == "10050.00"
    september = claim(
        people, "2026-09", [{"placement": ben["id"], "gross_wage": "1500.00", "hours_worked": 160}]
    )
    approved = approve_and_pay(people, september["id"], "pay-september")
    assert (approved["approved"], approved["offset"]) == ("1000.00", "900.00")
    balance = _ok(people.call(Role.EMPLOYER, "GET", f"/api/v1/employers/{people.employer_org}/balance"))
    assert balance["owed_by_employer"] == "0.00" and balance["overpayments"][0]["status"] == "recovered"
    assert _position() == {
        "available": 5_000_000 - 1_101_000 + released + 90_000 - 1_005_000,
        "committed": 1_005_000 - 100_000,
        "unpaid": 0,
        "paid": paid + 10_000,  # 900.00 of the 1,000.00 was settled by the offset, 100.00 paid
        "recoveries_pending": 0,
    }
    assert run(verify()).ok
