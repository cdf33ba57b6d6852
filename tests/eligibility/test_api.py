"""Eligibility over HTTP: programmes, one case with its explanation, batches, stored decisions re-run."""

from __future__ import annotations

from app.core.roles import Role
from tests.support import row_counts, run

E = "/api/v1/eligibility"
CASE = {
    "activity": "employment",
    "weekly_activity_hours": 30,
    "activity_start": "2025-06-01",
    "household_size": 3,
    "household_monthly_income": "1200.00",
    "child_birth_date": "2024-05-10",
    "weekly_care_hours": 35,
}


def _evaluate(people, case=CASE, role=Role.CASEWORKER, **extra):
    body = {"input": case, "date": "2026-03-02", **extra}
    return people.call(role, "POST", f"{E}/programmes/childcare_voucher/evaluate", json=body)


def test_programmes_lists_the_three_rule_files(people):
    response = people.call(Role.BUDGET_HOLDER, "GET", f"{E}/programmes")
    assert response.status_code == 200, response.text
    ids = {p["id"] for p in response.json()}
    assert {"childcare_voucher", "transport_voucher", "wage_subsidy"} <= ids
    detail = people.call(Role.AUDITOR, "GET", f"{E}/programmes/childcare_voucher").json()
    limit = next(p for p in detail["parameters"] if p["name"] == "income_limit")
    assert [v["since"] for v in limit["versions"]] == ["2026-01-01", "2026-07-01"]
    assert limit["versions"][0]["value"][0] == {"from": 1, "value": "1900.00"}
    assert {i["name"] for i in detail["inputs"]} >= {"activity", "household_monthly_income"}


def test_one_case_is_decided_explained_and_stored(people):
    response = _evaluate(people)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["eligible"] is True
    assert body["outputs"]["amount"] == "260.00"
    assert body["id"].startswith("dec_")
    conditions = {c["id"]: c for c in body["explanation"]["conditions"]}
    income = conditions["income_under_limit"]
    assert income["met"] is True
    assert income["values"] == {"household_monthly_income": "1200.00", "household_income_limit": "2700.00"}
    counts = run(row_counts())
    assert counts["eligibility_decision"] == 1
    assert counts["eligibility_rule_version"] == 1


def test_a_failed_condition_gives_its_reason_with_the_figures(people):
    case = {**CASE, "household_monthly_income": "2700.00"}
    body = _evaluate(people, case).json()
    assert body["eligible"] is False
    assert body["failed"] == ["income_under_limit"]
    assert body["outputs"]["amount"] == "0.00"
    reason = next(c["reason"] for c in body["explanation"]["conditions"] if c["id"] == "income_under_limit")
    assert "2700.00" in reason and "household of 3" in reason


def test_store_false_writes_nothing(people):
    people.make(Role.CASEWORKER)
    before = run(row_counts())
    body = _evaluate(people, store=False).json()
    assert body["id"] is None and body["eligible"] is True
    assert run(row_counts()) == before


def test_bad_inputs_are_refused_with_every_field_named_and_nothing_written(people):
    people.make(Role.CASEWORKER)
    before = run(row_counts())
    case = {**CASE, "household_size": 0, "child_birth_date": "10/05/2024", "activty": "x"}
    case.pop("activity")
    response = _evaluate(people, case)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    params = {d["param"] for d in error["details"]}
    assert params == {"input.household_size", "input.child_birth_date", "input.activity", "input.activty"}
    assert "did you mean 'activity'" in response.text
    assert run(row_counts()) == before


def test_a_date_before_the_rules_apply_is_refused(people):
    response = people.call(
        Role.CASEWORKER,
        "POST",
        f"{E}/programmes/childcare_voucher/evaluate",
        json={"input": CASE, "date": "2025-01-01"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rule_not_in_force"


def test_unknown_programme_is_404_with_a_suggestion(people):
    response = people.call(
        Role.CASEWORKER, "POST", f"{E}/programmes/childcare_vouchr/evaluate", json={"input": CASE}
    )
    assert response.status_code == 404
    assert "childcare_voucher" in response.json()["error"]["message"]


def test_stored_decision_is_shown_and_reproduced(people):
    decision_id = _evaluate(people).json()["id"]
    response = people.call(Role.CASEWORKER, "GET", f"{E}/decisions/{decision_id}?rerun=true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["inputs"]["household_monthly_income"] == "1200.00"
    assert body["rerun"]["reproduced"] is True
    assert body["rerun"]["outputs"] == body["outputs"]


def test_auditors_see_decisions_without_personal_data(people):
    decision_id = _evaluate(people).json()["id"]
    body = people.call(Role.AUDITOR, "GET", f"{E}/decisions/{decision_id}?rerun=true").json()
    assert body["inputs"] is None and body["explanation"] is None
    assert body["eligible"] is True and body["rerun"]["reproduced"] is True


def test_personal_inputs_are_sealed_in_the_database(people):
    _evaluate(people, {**CASE, "child_birth_date": "2024-05-17"})
    from app.eligibility.tables import Decision

    row = run(Decision.select().first())
    assert "2024-05-17" not in str(row)
    assert row["sealed"].startswith("v1:") or ":" in row["sealed"]


def test_unknown_decision_is_404(people):
    response = people.call(Role.AUDITOR, "GET", f"{E}/decisions/dec_0000000000000000")
    assert response.status_code == 404


def test_decision_for_an_unknown_participant_is_refused(people):
    people.make(Role.CASEWORKER)
    before = run(row_counts())
    response = _evaluate(people, participant="par_0000000000000000")
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "participant"
    assert run(row_counts()) == before


def test_batch_decides_good_cases_and_lists_bad_ones_by_index(people):
    cases = [CASE, {**CASE, "household_size": "three"}, {**CASE, "household_monthly_income": "9000.00"}]
    response = people.call(
        Role.CASEWORKER,
        "POST",
        f"{E}/programmes/childcare_voucher/batch",
        json={"cases": cases, "date": "2026-03-02", "store": True},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decided"] == 2 and body["rejected"] == 1
    assert [r["index"] for r in body["results"]] == [0, 2]
    assert [r["eligible"] for r in body["results"]] == [True, False]
    assert body["errors"] == [
        {
            "index": 1,
            "param": "cases[1].household_size",
            "code": "invalid_input",
            "message": "household_size: 'three' is not a whole number",
        }
    ]
    assert run(row_counts())["eligibility_decision"] == 2
    assert body["batch"].startswith("dbt_")


def test_providers_and_employers_cannot_decide_or_read(people):
    for role in (Role.PROVIDER, Role.EMPLOYER):
        assert _evaluate(people, role=role).status_code == 403
        assert people.call(role, "GET", f"{E}/programmes").status_code == 403


def test_decision_for_a_registered_participant_is_linked_to_her(people):
    import msgspec

    from app.registry.participants import register
    from app.registry.personal import ParticipantPersonal
    from tests.support import PERSON_EXAMPLE, SYSTEM

    participant = run(register(SYSTEM, msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal))).id
    response = _evaluate(people, participant=participant)
    assert response.status_code == 200, response.text
    decision_id = response.json()["id"]
    stored = people.call(Role.CASEWORKER, "GET", f"{E}/decisions/{decision_id}").json()
    assert stored["participant"] == participant
