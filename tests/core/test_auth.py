"""Signing in and out, sessions, API tokens, lockout, and the same-origin check for cookie writes."""

from __future__ import annotations

import datetime as dt

from app.core.credentials import MAX_FAILED_LOGINS
from app.core.roles import Role
from app.core.tables import ApiToken, User
from tests.support import run

LOGIN = "/api/v1/auth/login"
ORIGIN = {"Origin": "http://testserver.local"}


def _login(client, email, password="correct horse battery"):
    return client.post(LOGIN, json={"email": email, "password": password})


def test_password_login_sets_a_session_cookie_that_works(people, client):
    person = people.make(Role.CASEWORKER)
    response = _login(client, person.email.upper())
    assert response.status_code == 200
    assert "HttpOnly" in response.headers["set-cookie"]
    assert "SameSite=Lax" in response.headers["set-cookie"]
    assert client.get("/api/v1/me").json()["id"] == person.user_id


def test_wrong_password_and_unknown_user_get_the_same_answer(people, client):
    person = people.make(Role.CASEWORKER)
    wrong = _login(client, person.email, "not the password")
    unknown = _login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_account_locks_after_repeated_failures(people, client):
    person = people.make(Role.CASEWORKER)
    for _ in range(MAX_FAILED_LOGINS):
        assert _login(client, person.email, "wrong password!").status_code == 401
    assert _login(client, person.email).status_code == 401  # right password, but locked
    locked = run(User.select(User.locked_until).where(User.email == person.email).first())
    assert locked["locked_until"] is not None


def test_logout_ends_the_session(people, client):
    person = people.make(Role.CASEWORKER)
    _login(client, person.email)
    assert client.post("/api/v1/auth/logout", headers=ORIGIN).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_cookie_writes_need_a_same_site_origin(people, client):
    person = people.make(Role.CASEWORKER)
    _login(client, person.email)
    household = {"region": "North"}
    no_origin = client.post("/api/v1/households", json=household)
    assert no_origin.status_code == 403
    assert "cross-site" in no_origin.json()["error"]["message"]
    evil = client.post("/api/v1/households", json=household, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert client.post("/api/v1/households", json=household, headers=ORIGIN).status_code == 201


def test_bearer_tokens_need_no_origin(people):
    response = people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={"region": "N"})
    assert response.status_code == 201


def test_user_creates_lists_and_revokes_own_token(people, client):
    person = people.make(Role.PROVIDER)
    created = people.call(Role.PROVIDER, "POST", "/api/v1/me/tokens", json={"name": "claims upload"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    token_id = created.json()["token"]["id"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json()["organisation"] == person.organisation
    listed = people.call(Role.PROVIDER, "GET", "/api/v1/me/tokens").json()["data"]
    assert token_id in [t["id"] for t in listed]
    assert all("secret" not in t and "token_hash" not in t for t in listed)
    assert people.call(Role.PROVIDER, "DELETE", f"/api/v1/me/tokens/{token_id}").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_cannot_revoke_someone_elses_token(people):
    other = people.call(Role.CASEWORKER, "POST", "/api/v1/me/tokens", json={"name": "x"}).json()
    response = people.call(Role.PROVIDER, "DELETE", f"/api/v1/me/tokens/{other['token']['id']}")
    assert response.status_code == 404


def test_expired_token_is_refused(people, client):
    person = people.make(Role.AUDITOR)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    run(ApiToken.update({ApiToken.expires_at: past}).where(ApiToken.user.public_id == person.user_id))
    assert client.get("/api/v1/me", headers=person.headers).status_code == 401


def test_garbage_credentials_are_401_not_500(client):
    for header in ("Bearer", "Bearer x", "Basic abc", "Bearer " + "x" * 5000, "bearer grt_"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header
    assert client.get("/api/v1/me", headers={"Cookie": "grants_session=nonsense"}).status_code == 401


def test_deactivated_user_loses_access_at_once(people, client):
    person = people.make(Role.CASEWORKER)
    response = people.call(Role.ADMIN, "PATCH", f"/api/v1/users/{person.user_id}", json={"active": False})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=person.headers).status_code == 401
    assert _login(client, person.email).status_code == 401


def test_change_own_password(people, client):
    person = people.make(Role.APPROVER)
    wrong = people.call(
        Role.APPROVER,
        "PUT",
        "/api/v1/me/password",
        json={"current_password": "nope", "new_password": "a brand new password"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["param"] == "current_password"
    right = people.call(
        Role.APPROVER,
        "PUT",
        "/api/v1/me/password",
        json={"current_password": "correct horse battery", "new_password": "a brand new password"},
    )
    assert right.status_code == 200
    assert _login(client, person.email, "a brand new password").status_code == 200
