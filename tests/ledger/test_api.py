"""The ledger over HTTP: set-up, budget loads, journals, reversals, reports, exports, periods, verify."""

from __future__ import annotations

import csv
import io

from app.core.roles import Role
from app.ledger.operations import Kind
from tests.ledger.helpers import do, setup_dimensions
from tests.support import run

L = "/api/v1/ledger"


def _setup(people):
    for kind, code, name in (
        ("funds", "ESF", "European Social Fund"),
        ("programmes", "CHILDCARE", "Childcare"),
    ):
        response = people.call(
            Role.BUDGET_HOLDER, "POST", f"{L}/{kind}", json={"code": code, "name": name, "currency": "EUR"}
        )
        assert response.status_code == 201, response.text


def _load(people, amount="1000.00", key="load-1", role=Role.BUDGET_HOLDER):
    return people.call(
        role,
        "POST",
        f"{L}/budgets",
        headers={"Idempotency-Key": key},
        json={
            "fund": "ESF",
            "programme": "CHILDCARE",
            "amount": amount,
            "effective_date": "2026-10-01",
            "description": "Q4 allocation",
        },
    )


def test_budget_holder_sets_up_and_loads_a_budget(people):
    _setup(people)
    response = _load(people)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["id"] == "je_1"
    assert entry["kind"] == "budget_load"
    assert {(p["account_code"], p["debit"], p["credit"]) for p in entry["postings"]} == {
        ("8100", "1000.00", "0.00"),
        ("8200", "0.00", "1000.00"),
        ("1010", "1000.00", "0.00"),
        ("3100", "0.00", "1000.00"),
    }
    position = people.call(Role.AUDITOR, "GET", f"{L}/budget-position").json()["data"]
    assert position == [
        {
            "fund": "ESF",
            "programme": "CHILDCARE",
            "currency": "EUR",
            "budget": "1000.00",
            "committed": "0.00",
            "expended": "0.00",
            "paid": "0.00",
            "recoveries_pending": "0.00",
            "available": "1000.00",
        }
    ]


def test_retry_with_the_same_key_returns_the_same_entry(people):
    _setup(people)
    first = _load(people).json()
    again = _load(people)
    assert again.status_code == 201
    assert again.json() == first
    different = _load(people, amount="999.00")
    assert different.status_code == 409
    assert different.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_user(people):
    _setup(people)
    assert _load(people, role=Role.BUDGET_HOLDER).json()["id"] == "je_1"
    assert _load(people, role=Role.FINANCE_OFFICER).json()["id"] == "je_2"


def test_missing_key_and_bad_amounts_are_named(people):
    _setup(people)
    response = people.call(
        Role.BUDGET_HOLDER,
        "POST",
        f"{L}/budgets",
        json={"fund": "ESF", "programme": "CHILDCARE", "amount": "1.00", "effective_date": "2026-10-01"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "Idempotency-Key"
    for amount, code in (
        ("1.005", "too_many_decimals"),
        ("1,00", "invalid_value"),
        ("-5", "invalid_value"),
        ("0", "amount_not_positive"),
    ):
        response = _load(people, amount=amount, key=f"k-{amount}")
        assert response.status_code in (400, 422), amount
        assert response.json()["error"]["code"] == code, (amount, response.json())
    unknown = people.call(
        Role.BUDGET_HOLDER,
        "POST",
        f"{L}/budgets",
        headers={"Idempotency-Key": "u"},
        json={"fund": "NOPE", "programme": "CHILDCARE", "amount": "1.00", "effective_date": "2026-10-01"},
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["param"] == "fund"
    assert people.call(Role.AUDITOR, "GET", f"{L}/entries").json()["data"] == []


def test_journal_and_reversal_by_a_finance_officer(people):
    _setup(people)
    _load(people)
    journal = {
        "effective_date": "2026-10-02",
        "description": "Bank interest",
        "postings": [
            {"account": "1010", "fund": "ESF", "programme": "CHILDCARE", "debit": "2.50"},
            {"account": "4100", "fund": "ESF", "programme": "CHILDCARE", "credit": "2.50"},
        ],
    }
    posted = people.call(
        Role.FINANCE_OFFICER, "POST", f"{L}/entries", json=journal, headers={"Idempotency-Key": "j1"}
    )
    assert posted.status_code == 201, posted.text
    unbalanced = dict(journal, postings=[journal["postings"][0], dict(journal["postings"][1], credit="2.00")])
    refused = people.call(
        Role.FINANCE_OFFICER, "POST", f"{L}/entries", json=unbalanced, headers={"Idempotency-Key": "j2"}
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unbalanced_entry"
    both = dict(journal, postings=[dict(journal["postings"][0], credit="1.00"), journal["postings"][1]])
    assert (
        people.call(
            Role.FINANCE_OFFICER, "POST", f"{L}/entries", json=both, headers={"Idempotency-Key": "j3"}
        ).status_code
        == 400
    )
    reversal = people.call(
        Role.FINANCE_OFFICER,
        "POST",
        f"{L}/entries/{posted.json()['id']}/reversal",
        json={"reason": "posted to the wrong fund"},
        headers={"Idempotency-Key": "r1"},
    )
    assert reversal.status_code == 201
    assert reversal.json()["reverses"] == posted.json()["id"]
    missing = people.call(
        Role.FINANCE_OFFICER,
        "POST",
        f"{L}/entries/je_999/reversal",
        json={"reason": "x"},
        headers={"Idempotency-Key": "r2"},
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "unknown_entry"


def test_trial_balance_accounts_and_history(people):
    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 100_000))
    for amount in (1_000, 2_000, 3_000):
        run(do(Kind.COMMIT, amount))
    tb = people.call(Role.AUDITOR, "GET", f"{L}/trial-balance").json()
    assert tb["balanced"] is True
    assert tb["totals"] == [{"currency": "EUR", "debit": "2000.00", "credit": "2000.00"}]
    by_account = people.call(Role.AUDITOR, "GET", f"{L}/trial-balance", params={"group": "account"}).json()
    assert by_account["balanced"] is True
    bad_group = people.call(Role.AUDITOR, "GET", f"{L}/trial-balance", params={"group": "planet"})
    assert bad_group.status_code == 400 and bad_group.json()["error"]["param"] == "group"
    (committed,) = people.call(Role.AUDITOR, "GET", f"{L}/accounts", params={"code": "8300"}).json()["data"]
    assert committed["credit"] == "60.00"
    page = people.call(
        Role.AUDITOR, "GET", f"{L}/accounts/{committed['id']}/history", params={"limit": 2}
    ).json()
    assert page["has_more"] is True
    rest = people.call(
        Role.AUDITOR,
        "GET",
        f"{L}/accounts/{committed['id']}/history",
        params={"starting_after": page["data"][-1]["posting"]},
    ).json()
    assert [x["balance"] for x in page["data"] + rest["data"]] == ["-10.00", "-30.00", "-60.00"]
    assert people.call(Role.AUDITOR, "GET", f"{L}/accounts/acc_9999").status_code == 404
    assert people.call(Role.AUDITOR, "GET", f"{L}/accounts/nonsense").status_code == 404


def test_csv_and_beancount_exports(people):
    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 100_000))
    run(do(Kind.COMMIT, 2_550))
    response = people.call(Role.AUDITOR, "GET", f"{L}/export/entries.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 6
    assert {r["entry"] for r in rows} == {"je_1", "je_2"}
    commit = next(r for r in rows if r["entry"] == "je_2" and r["account"] == "8300")
    assert (commit["credit"], commit["currency"]) == ("25.50", "EUR")
    dated = people.call(Role.AUDITOR, "GET", f"{L}/export/entries.csv", params={"from": "2027-01-01"})
    assert len(list(csv.DictReader(io.StringIO(dated.text)))) == 0
    bean = people.call(Role.AUDITOR, "GET", f"{L}/export/ledger.beancount")
    assert "balance Equity:Budget:Committed:ESF:CHILDCARE  -25.50" in bean.text


def test_periods_and_verify_over_http(people):
    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 100))
    closed = people.call(Role.FINANCE_OFFICER, "POST", f"{L}/periods/2026-10/close")
    assert closed.status_code == 201
    assert closed.json()["month"] == "2026-10"
    bad = people.call(Role.FINANCE_OFFICER, "POST", f"{L}/periods/October/close")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "month"
    assert people.call(Role.AUDITOR, "GET", f"{L}/periods").json()["data"][0]["month"] == "2026-10"
    check = people.call(Role.AUDITOR, "GET", f"{L}/verify").json()
    assert check["ok"] is True and check["entries"] == 1


def test_entries_list_filters_and_pages(people):
    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 100_000))
    for _ in range(3):
        run(do(Kind.COMMIT, 10))
    page = people.call(Role.APPROVER, "GET", f"{L}/entries", params={"limit": 2, "kind": "commit"}).json()
    assert [e["id"] for e in page["data"]] == ["je_4", "je_3"] and page["has_more"]
    rest = people.call(
        Role.APPROVER, "GET", f"{L}/entries", params={"starting_after": "je_3", "kind": "commit"}
    )
    assert [e["id"] for e in rest.json()["data"]] == ["je_2"]
    assert people.call(Role.APPROVER, "GET", f"{L}/entries/je_1").json()["kind"] == "budget_load"
    assert people.call(Role.APPROVER, "GET", f"{L}/entries/je_77").status_code == 404
    assert people.call(Role.APPROVER, "GET", f"{L}/entries", params={"kind": "gift"}).status_code == 400


def test_a_finance_officer_records_a_payment_against_a_payable(people):
    _setup(people)
    _load(people)
    run(do(Kind.COMMIT, 50_000))
    run(do(Kind.EXPEND, 30_000, "prv_paid"))
    body = {
        "fund": "ESF",
        "programme": "CHILDCARE",
        "party": "prv_paid",
        "amount": "200.00",
        "effective_date": "2026-10-05",
        "reference_id": "BANK-42",
    }
    paid = people.call(
        Role.FINANCE_OFFICER, "POST", f"{L}/payments", json=body, headers={"Idempotency-Key": "p1"}
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["kind"] == "pay"
    too_much = dict(body, amount="100.01")  # 100.00 is still owed
    refused = people.call(
        Role.FINANCE_OFFICER, "POST", f"{L}/payments", json=too_much, headers={"Idempotency-Key": "p2"}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "balance_would_go_negative"
    payable = people.call(Role.FINANCE_OFFICER, "GET", f"{L}/accounts?code=2110&party=prv_paid").json()
    assert (payable["data"][0]["debit"], payable["data"][0]["credit"]) == ("0.00", "100.00")
