"""An admin cannot read personal data alone: roles that see it, and tokens for other users, need a second
admin's confirmation, flagged in the audit log."""

from __future__ import annotations

from app.core.roles import Role
from app.core.tables import AuditEvent
from tests.support import run

USERS = "/api/v1/users"
REQUESTS = "/api/v1/admin-requests"


def _second_admin(people):
    return people.make(Role.ADMIN, key="admin_two")


def test_giving_oneself_the_caseworker_role_needs_a_second_admin(people):
    """An admin could give itself the caseworker role and read personal data, alone (this test failed
    then: 200 and the role held at once)."""
    admin = people.make(Role.ADMIN)
    asked = people.call(
        Role.ADMIN, "PATCH", f"{USERS}/{admin.user_id}", json={"roles": ["admin", "caseworker"]}
    )
    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert (request["object"], request["kind"], request["status"]) == (
        "admin_request",
        "grant_roles",
        "pending",
    )
    assert people.call(Role.ADMIN, "GET", f"{USERS}/{admin.user_id}").json()["roles"] == ["admin"]

    alone = people.call(Role.ADMIN, "POST", f"{REQUESTS}/{request['id']}/confirm")
    assert alone.status_code == 403 and alone.json()["error"]["code"] == "four_eyes"

    second = _second_admin(people)
    confirmed = people.client.post(f"{REQUESTS}/{request['id']}/confirm", headers=second.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert sorted(people.call(Role.ADMIN, "GET", f"{USERS}/{admin.user_id}").json()["roles"]) == [
        "admin",
        "caseworker",
    ]
    again = people.client.post(f"{REQUESTS}/{request['id']}/confirm", headers=second.headers)
    assert again.status_code == 409
    flagged = run(AuditEvent.select(AuditEvent.action).where(AuditEvent.note.like("sensitive%")))
    assert {r["action"] for r in flagged} == {"admin_request.grant_roles", "admin_request.confirm"}


def test_creating_a_caseworker_holds_the_role_back(people):
    body = {
        "email": "cw@example.org",
        "display_name": "CW",
        "roles": ["caseworker", "approver"],
        "password": "long-enough-pw",
    }
    asked = people.call(Role.ADMIN, "POST", USERS, json=body)
    assert asked.status_code == 202
    user = people.call(Role.ADMIN, "GET", f"{USERS}/{asked.json()['subject']}").json()
    assert user["roles"] == ["approver"]
    staff_only = {**body, "email": "ap@example.org", "roles": ["approver"]}
    assert people.call(Role.ADMIN, "POST", USERS, json=staff_only).status_code == 201


def test_a_token_for_another_user_needs_a_second_admin(people):
    """An admin could mint a caseworker's token and act as them (this test failed then: 201 and a secret)."""
    caseworker = people.make(Role.CASEWORKER)
    asked = people.call(Role.ADMIN, "POST", f"{USERS}/{caseworker.user_id}/tokens", json={"name": "ops"})
    assert asked.status_code == 202
    assert "secret" not in asked.text
    second = _second_admin(people)
    confirmed = people.client.post(f"{REQUESTS}/{asked.json()['id']}/confirm", headers=second.headers)
    assert confirmed.status_code == 200
    secret = confirmed.json()["result"]["secret"]
    me = people.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["id"] == caseworker.user_id
    listed = people.call(Role.AUDITOR, "GET", REQUESTS, params={"status": "confirmed"})
    assert [r["id"] for r in listed.json()["data"]] == [asked.json()["id"]]


def test_other_roles_may_not_confirm(people):
    caseworker = people.make(Role.CASEWORKER)
    asked = people.call(Role.ADMIN, "POST", f"{USERS}/{caseworker.user_id}/tokens", json={"name": "ops"})
    for role in (Role.AUDITOR, Role.CASEWORKER, Role.FINANCE_OFFICER):
        assert people.call(role, "POST", f"{REQUESTS}/{asked.json()['id']}/confirm").status_code == 403
