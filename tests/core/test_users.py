"""User administration by admins: roles, organisations, and what may not be combined."""

from __future__ import annotations

from app.core.roles import Role

USERS = "/api/v1/users"


def _create(people, **body):
    payload = {"email": "new.person@example.org", "display_name": "New Person", "roles": ["approver"]}
    return people.call(Role.ADMIN, "POST", USERS, json=payload | body)


def test_admin_creates_a_staff_user_and_it_is_audited(people):
    response = _create(people, roles=["finance_officer", "approver"], password="long enough pw")
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["roles"] == ["approver", "finance_officer"]
    events = people.call(Role.AUDITOR, "GET", "/api/v1/audit-events", params={"entity_id": user["id"]})
    event = events.json()["data"][0]
    assert event["action"] == "user.create"
    assert event["after"]["email"] == "new.person@example.org"


def test_provider_user_needs_a_provider_organisation(people):
    missing = _create(people, roles=["provider"])
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "roles"
    wrong_kind = _create(people, roles=["provider"], organisation=people.employer_org)
    assert wrong_kind.status_code == 400
    right = _create(people, roles=["provider"], organisation=people.provider_org)
    assert right.status_code == 201
    assert right.json()["organisation"] == people.provider_org


def test_outside_roles_do_not_mix_with_staff_roles(people):
    response = _create(people, roles=["provider", "approver"], organisation=people.provider_org)
    assert response.status_code == 400
    assert "cannot be combined" in response.json()["error"]["message"]


def test_unknown_organisation_is_named(people):
    response = _create(people, roles=["employer"], organisation="emp_0000000000000000")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "organisation"


def test_duplicate_email_is_409(people):
    assert _create(people).status_code == 201
    again = _create(people, email="NEW.PERSON@example.org")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"


def test_weak_password_is_refused(people):
    response = _create(people, password="short")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "password"


def test_admin_cannot_deactivate_themselves(people):
    admin = people.make(Role.ADMIN)
    response = people.call(Role.ADMIN, "PATCH", f"{USERS}/{admin.user_id}", json={"active": False})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cannot_deactivate_self"


def test_empty_update_is_refused(people):
    user = _create(people).json()
    response = people.call(Role.ADMIN, "PATCH", f"{USERS}/{user['id']}", json={})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "empty_update"


def test_list_filters_by_role_and_auditor_reads(people):
    _create(people, roles=["budget_holder"])
    people.make(Role.CASEWORKER)
    listed = people.call(Role.AUDITOR, "GET", USERS, params={"role": "budget_holder"}).json()["data"]
    assert [u["email"] for u in listed] == ["new.person@example.org"]


def test_admin_issues_a_machine_token_for_a_user(people, client):
    user = _create(people).json()
    response = people.call(Role.ADMIN, "POST", f"{USERS}/{user['id']}/tokens", json={"name": "sync"})
    assert response.status_code == 202  # a token for another user waits for a second admin
    second = people.make(Role.ADMIN, key="admin_two")
    confirmed = client.post(f"/api/v1/admin-requests/{response.json()['id']}/confirm", headers=second.headers)
    secret = confirmed.json()["result"]["secret"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["id"] == user["id"]
