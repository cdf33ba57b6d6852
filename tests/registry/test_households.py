"""Households and children: membership, children's sealed data, who may see it."""

from __future__ import annotations

from app.core.roles import Role
from tests.support import PERSON_EXAMPLE

CHILD = {
    "given_name": "Mira",
    "family_name": "Quillfeather",
    "date_of_birth": "2023-05-01",
    "has_disability": True,
}


def test_household_with_members_and_children(people):
    household = people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={"region": "North"}).json()
    participant = people.call(
        Role.CASEWORKER,
        "POST",
        "/api/v1/participants",
        json={"personal": PERSON_EXAMPLE, "household": household["id"]},
    ).json()
    child = people.call(
        Role.CASEWORKER, "POST", f"/api/v1/households/{household['id']}/children", json={"personal": CHILD}
    )
    assert child.status_code == 201, child.text
    assert child.json()["personal"]["has_disability"] is True
    fetched = people.call(Role.FINANCE_OFFICER, "GET", f"/api/v1/households/{household['id']}").json()
    assert fetched["members"] == [participant["id"]]
    assert fetched["children"] == [child.json()["id"]]
    hidden = people.call(Role.FINANCE_OFFICER, "GET", f"/api/v1/children/{child.json()['id']}").json()
    assert hidden["personal"] is None


def test_update_child_and_audit_redacts(people):
    household = people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={}).json()
    child = people.call(
        Role.CASEWORKER, "POST", f"/api/v1/households/{household['id']}/children", json={"personal": CHILD}
    ).json()
    response = people.call(
        Role.CASEWORKER,
        "PATCH",
        f"/api/v1/children/{child['id']}",
        json={"personal": {"has_disability": False}},
    )
    assert response.status_code == 200
    assert response.json()["personal"]["has_disability"] is False
    assert response.json()["personal"]["given_name"] == "Mira"
    events = people.call(Role.AUDITOR, "GET", "/api/v1/audit-events", params={"entity_id": child["id"]})
    assert events.json()["data"][0]["after"] == {"has_disability": "[redacted]"}


def test_child_in_unknown_household_is_404_and_writes_nothing(people):
    response = people.call(
        Role.CASEWORKER, "POST", "/api/v1/households/hh_0000000000000000/children", json={"personal": CHILD}
    )
    assert response.status_code == 404


def test_participant_in_unknown_household_is_refused_with_the_field(people):
    response = people.call(
        Role.CASEWORKER,
        "POST",
        "/api/v1/participants",
        json={"personal": PERSON_EXAMPLE, "household": "hh_0000000000000000"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "household"
    listed = people.call(Role.CASEWORKER, "GET", "/api/v1/participants").json()["data"]
    assert listed == []
