"""End to end over HTTP: a budget is loaded, a caseworker registers a family, decides eligibility and
issues a childcare voucher; the provider claims a month by CSV with some bad lines; a finance officer
approves; the ledger's budget position shows every cent where it should be."""

from __future__ import annotations

import datetime as dt

from app.core.roles import Role
from tests.support import PERSON_EXAMPLE

L, E, V, C = "/api/v1/ledger", "/api/v1/eligibility", "/api/v1/vouchers", "/api/v1/claims"


def ok(response, status=(200, 201)):
    assert response.status_code in status, response.text
    return response.json()


def test_caseworker_provider_and_finance_officer_journey(people, monkeypatch):
    monkeypatch.setattr("app.vouchers.api.today", lambda: dt.date(2026, 4, 10))
    budget, caseworker, provider, finance = (
        Role.BUDGET_HOLDER,
        Role.CASEWORKER,
        Role.PROVIDER,
        Role.FINANCE_OFFICER,
    )

    # The budget holder sets up the fund, the programme and 10,000.00 of budget.
    ok(people.call(budget, "POST", f"{L}/funds", json={"code": "ESF", "name": "ESF", "currency": "EUR"}))
    ok(
        people.call(
            budget,
            "POST",
            f"{L}/programmes",
            json={"code": "CHILDCARE", "name": "Childcare", "currency": "EUR"},
        )
    )
    load = {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "amount": "10000.00",
        "effective_date": "2026-01-05",
        "description": "2026 allocation",
    }
    ok(people.call(budget, "POST", f"{L}/budgets", json=load, headers={"Idempotency-Key": "load-2026"}))

    # The caseworker registers the family and decides eligibility for the registered participant.
    household = ok(people.call(caseworker, "POST", "/api/v1/households", json={"region": "North"}))["id"]
    participant = ok(
        people.call(
            caseworker,
            "POST",
            "/api/v1/participants",
            json={"personal": PERSON_EXAMPLE, "household": household},
        )
    )["id"]
    child_personal = {"given_name": "Ada", "family_name": "Quillfeather", "date_of_birth": "2024-05-10"}
    child = ok(
        people.call(
            caseworker, "POST", f"/api/v1/households/{household}/children", json={"personal": child_personal}
        )
    )["id"]
    case = {  # the household: the participant (a parent in training) and her child
        "members": [
            {
                "id": participant,
                "role": "parent",
                "birth_date": "1990-01-01",
                "activity": "training",
                "weekly_activity_hours": 20,
                "activity_start": "2026-01-12",
                "monthly_income": "1500.00",
            },
            {"id": child, "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 32},
        ]
    }
    decision = ok(
        people.call(
            caseworker,
            "POST",
            f"{E}/programmes/childcare_voucher/evaluate",
            json={"input": case, "date": "2026-03-02", "participant": participant},
        )
    )
    assert decision["eligible"] and decision["outputs"]["amount"] == "234.00"  # 260.00 less the 10% band

    # A twelve-week voucher commits 12 x 234.00 = 2,808.00.
    voucher = ok(
        people.call(
            caseworker,
            "POST",
            V,
            json={
                "decision": decision["id"],
                "fund": "ESF",
                "valid_from": "2026-03-02",
                "valid_until": "2026-05-24",
                "child": child,
            },
        )
    )
    assert voucher["total"] == "2808.00"

    # The provider (licensed) claims March: one good line, one over the rate, one with a wrong birth date.
    admin = Role.ADMIN
    ok(
        people.call(
            admin,
            "POST",
            f"/api/v1/providers/{people.provider_org}/licences",
            json={"licence_number": "CC-1", "valid_from": "2025-01-01", "valid_until": "2027-12-31"},
        )
    )
    csv = (
        "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"
        f"{voucher['code']},2024-05-10,2026-03-02,2026-03-20,15,702.00\n"
        f"{voucher['code']},2024-05-10,2026-03-23,2026-03-27,5,300.00\n"
        f"{voucher['code']},2024-05-11,2026-03-30,2026-03-31,2,50.00\n"
    )
    claim = ok(
        people.call(
            provider,
            "POST",
            f"{C}/csv?period_start=2026-03-01&period_end=2026-03-31",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        )
    )
    assert [(ln["outcome"], ln["accepted"], ln["reason"]) for ln in claim["lines"]] == [
        ("accepted", "702.00", None),
        ("reduced", "234.00", "exceeds_rate_for_attendance"),
        ("rejected", "0.00", "child_mismatch"),
    ]

    # The finance officer approves; the expenditure is posted.
    approved = ok(people.call(finance, "POST", f"{C}/{claim['id']}/approve", json={}))
    assert approved["status"] == "approved" and approved["approved"] == "936.00"

    position = ok(people.call(finance, "GET", f"{L}/budget-position"))
    row = next(p for p in position["data"] if p["fund"] == "ESF" and p["programme"] == "CHILDCARE")
    assert (row["budget"], row["committed"], row["expended"], row["paid"], row["available"]) == (
        "10000.00",
        "1872.00",
        "936.00",
        "0.00",
        "7192.00",
    )
    voucher_now = ok(people.call(caseworker, "GET", f"{V}/{voucher['id']}"))
    assert (voucher_now["status"], voucher_now["claimed"], voucher_now["remaining"]) == (
        "partly_claimed",
        "936.00",
        "1872.00",
    )
    assert ok(people.call(Role.AUDITOR, "GET", f"{L}/verify"))["ok"] is True
