"""Eligibility over HTTP: programmes, one household with its explanation, batches, stored decisions
re-run. childcare_voucher decides a household: the household's inputs and a list of members."""

from __future__ import annotations

from app.core.roles import Role
from tests.support import row_counts, run

E = "/api/v1/eligibility"
PARENT = {
    "id": "parent",
    "role": "parent",
    "birth_date": "1990-04-01",
    "activity": "employment",
    "weekly_activity_hours": 30,
    "activity_start": "2025-06-01",
    "monthly_income": "1200.00",
}
CHILD = {"id": "chd_ada", "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 35}
OTHER = {"id": "grandma", "role": "other_adult", "birth_date": "1960-01-01"}
CASE = {"members": [PARENT, CHILD, OTHER]}


def household(parent: dict | None = None, child: dict | None = None, *more: dict) -> dict:
    return {"members": [{**PARENT, **(parent or {})}, {**CHILD, **(child or {})}, OTHER, *more]}


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
    members = detail["members"]
    assert {r["role"]: r["set"] for r in members["roles"]} == {
        "parent": "parents",
        "child": "children",
        "other_adult": "other_adults",
    }
    assert {i["name"] for i in members["inputs"]} >= {"activity", "monthly_income", "birth_date"}
    assert members["beneficiaries"] == "children"
    assert {c["id"] for c in members["conditions"]} == {"child_born", "child_under_age_limit", "care_needed"}
    assert any(v["name"] == "household_monthly_income" for v in detail["values"])


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
    case = household({"monthly_income": "2700.00"})
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
    parent = {**PARENT, "weekly_activity_hours": -1, "activty": "x"}
    case = {"members": [parent, {**CHILD, "birth_date": "10/05/2024"}, {"id": "grandma"}, {**CHILD}]}
    response = _evaluate(people, case)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    params = {d["param"] for d in error["details"]}
    assert params == {
        "input.members[0].weekly_activity_hours",
        "input.members[0].activty",
        "input.members[1].birth_date",
        "input.members[2].role",
        "input.members[2].birth_date",
        "input.members[3].id",
    }
    assert "did you mean 'activity'" in response.text
    assert "two members have the id 'chd_ada'" in response.text
    assert run(row_counts()) == before
    missing = _evaluate(people, {"members": "everyone"})
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "input.members"
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
    assert body["inputs"]["members"][0]["monthly_income"] == "1200.00"
    assert body["rerun"]["reproduced"] is True
    assert body["rerun"]["outputs"] == body["outputs"]
    assert body["rerun"]["members"] == body["members"]


def test_auditors_see_decisions_without_personal_data(people):
    decision_id = _evaluate(people).json()["id"]
    body = people.call(Role.AUDITOR, "GET", f"{E}/decisions/{decision_id}?rerun=true").json()
    assert body["inputs"] is None and body["explanation"] is None
    assert body["eligible"] is True and body["rerun"]["reproduced"] is True


def test_personal_inputs_are_sealed_in_the_database(people):
    _evaluate(people, household(child={"birth_date": "2024-05-17"}))
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
    cases = [CASE, household({"weekly_activity_hours": "thirty"}), household({"monthly_income": "9000.00"})]
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
            "param": "cases[1].members[0].weekly_activity_hours",
            "code": "invalid_input",
            "message": "weekly_activity_hours: 'thirty' is not a number",
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


def test_a_household_decision_names_each_child_and_its_amount(people):
    second = {**CHILD, "id": "chd_bo", "birth_date": "2022-01-15", "weekly_care_hours": 20}
    too_old = {**CHILD, "id": "chd_cy", "birth_date": "2013-01-01", "weekly_care_hours": 10}
    case = household({"monthly_income": "1900.00"}, None, second, too_old)
    response = _evaluate(people, case)
    assert response.status_code == 200, response.text
    body = response.json()
    # five people: limit 3500.00; 1900.00 is 54%, so the family pays 10% of 260.00 + 125.00
    assert body["outputs"]["amount"] == "346.50" and body["outputs"]["copayment"] == "38.50"
    assert body["outputs"]["children_covered"] == 2
    by_id = {m["id"]: m for m in body["members"]}
    assert by_id["chd_ada"]["outputs"]["amount"] == "234.00" and by_id["chd_ada"]["eligible"] is True
    assert by_id["chd_bo"]["outputs"]["amount"] == "112.50"
    assert by_id["chd_cy"] == {
        "id": "chd_cy",
        "role": "child",
        "eligible": False,
        "failed": ["child_under_age_limit"],
        "outputs": {"amount": "0.00", "full_value": "0.00", "copayment": "0.00", "authorised_hours": 0.0},
    }
    assert by_id["parent"]["eligible"] is False and by_id["parent"]["failed"] == []
    explanation = body["explanation"]
    covered = explanation["aggregates"]["count(children where eligible)"]
    assert covered == {"value": 2, "members": ["chd_ada", "chd_bo"]}
    adults = explanation["aggregates"]["sum(members where is_adult: monthly_income)"]
    assert adults == {"value": "1900.00", "members": ["parent", "grandma"]}
    shown = {m["id"]: m for m in explanation["members"]}
    assert shown["chd_cy"]["values"]["age_in_years"] == 13
    assert shown["chd_cy"]["beneficiary"] is True and "conditions" not in shown["grandma"]
    age = next(c for c in shown["chd_cy"]["conditions"] if c["id"] == "child_under_age_limit")
    assert age["met"] is False and age["reason"] == "The child must be younger than 12."
    assert age["values"] == {"age_in_years": 13, "age_limit": 12}
    stored = people.call(Role.AUDITOR, "GET", f"{E}/decisions/{body['id']}?rerun=true").json()
    assert stored["members"] == body["members"] and stored["explanation"] is None
    assert stored["rerun"]["reproduced"] is True


def test_a_household_with_no_child_covered_fails_what_its_children_failed(people):
    body = _evaluate(people, household(child={"weekly_care_hours": 0})).json()
    assert body["eligible"] is False and body["failed"] == ["care_needed"]
    nobody = _evaluate(people, {"members": [PARENT, OTHER]}).json()
    assert nobody["eligible"] is False and nobody["failed"] == ["no_beneficiary"]
