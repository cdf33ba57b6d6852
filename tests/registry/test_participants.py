"""Participants through the API: register, find, update; who sees personal data; what the audit log keeps."""

from __future__ import annotations

import copy

from app.core.roles import Role
from tests.support import PERSON_EXAMPLE

BASE = "/api/v1/participants"


def register(people, personal=None, **extra):
    body = {"personal": personal or PERSON_EXAMPLE, **extra}
    response = people.call(Role.CASEWORKER, "POST", BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_caseworker_registers_and_reads_back(people):
    created = register(people)
    assert created["id"].startswith("par_")
    assert created["personal"]["family_name"] == "Quillfeather"
    assert created["personal"]["address"]["city"] == "Marrowby"
    fetched = people.call(Role.CASEWORKER, "GET", f"{BASE}/{created['id']}").json()
    assert fetched == created


def test_other_staff_see_the_pseudonymous_record_only(people):
    created = register(people)
    for role in (Role.FINANCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN):
        body = people.call(role, "GET", f"{BASE}/{created['id']}").json()
        assert body["id"] == created["id"]
        assert body["personal"] is None, role
        listed = people.call(role, "GET", BASE).json()["data"]
        assert all(p["personal"] is None for p in listed)


def test_search_by_id_prefix_and_national_id(people):
    first = register(people)
    other = copy.deepcopy(PERSON_EXAMPLE) | {"national_id": "AB-123456"}
    second = register(people, other)
    by_prefix = people.call(Role.CASEWORKER, "GET", BASE, params={"q": first["id"][:10]}).json()["data"]
    assert [p["id"] for p in by_prefix] == [first["id"]]
    by_national = people.call(Role.CASEWORKER, "GET", BASE, params={"national_id": "ab-123 456"}).json()
    assert [p["id"] for p in by_national["data"]] == [second["id"]]


def test_national_id_search_is_for_caseworkers_only(people):
    register(people)
    response = people.call(Role.FINANCE_OFFICER, "GET", BASE, params={"national_id": "XQ-99887766"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "personal_data_forbidden"


def test_duplicate_national_id_is_refused(people):
    first = register(people)
    response = people.call(Role.CASEWORKER, "POST", BASE, json={"personal": PERSON_EXAMPLE})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "duplicate_national_id"
    assert error["param"] == "national_id"
    assert first["id"] in error["message"]


def test_partial_update_keeps_other_fields(people):
    created = register(people)
    response = people.call(
        Role.CASEWORKER, "PATCH", f"{BASE}/{created['id']}", json={"personal": {"phone": "+44 1"}}
    )
    assert response.status_code == 200, response.text
    personal = response.json()["personal"]
    assert personal["phone"] == "+44 1"
    assert personal["given_name"] == "Zephyrine"


def test_pagination_walks_every_record_once(people):
    made = []
    for i in range(5):
        made.append(register(people, copy.deepcopy(PERSON_EXAMPLE) | {"national_id": f"N-{i:04d}"})["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"starting_after": cursor} if cursor else {})
        page = people.call(Role.CASEWORKER, "GET", BASE, params=params).json()
        seen += [p["id"] for p in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert seen == list(reversed(made))


def test_audit_log_records_changes_with_personal_fields_redacted(people):
    created = register(people)
    people.call(
        Role.CASEWORKER,
        "PATCH",
        f"{BASE}/{created['id']}",
        json={"personal": {"family_name": "Brightwater"}, "status": "inactive"},
    )
    events = people.call(
        Role.AUDITOR, "GET", "/api/v1/audit-events", params={"entity_id": created["id"]}
    ).json()["data"]
    assert [e["action"] for e in events] == ["participant.update", "participant.create"]
    update, create = events
    assert update["actor"] == people[Role.CASEWORKER].user_id
    assert update["before"] == {"family_name": "[redacted]", "status": "active"}
    assert update["after"] == {"family_name": "[redacted]", "status": "inactive"}
    assert create["after"]["given_name"] == "[redacted]"
    text = str(events)
    for secret in ("Quillfeather", "Brightwater", "Zephyrine", "XQ-99887766", "Juniper"):
        assert secret not in text


def test_outside_users_cannot_see_participants_even_by_id(people):
    created = register(people)
    for role in (Role.PROVIDER, Role.EMPLOYER):
        response = people.call(role, "GET", f"{BASE}/{created['id']}")
        assert response.status_code == 403


def test_unknown_participant_is_404(people):
    response = people.call(Role.CASEWORKER, "GET", f"{BASE}/par_0000000000000000")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "code": "resource_missing",
        "message": "No such participant.",
        "param": "id",
    }
