"""Issue 17, point 7 (pages): security headers on every response, a CSRF token on every form (sign-in
too), and a password change or reset ends the user's other sessions and tokens."""

from __future__ import annotations

from app.core.roles import Role
from tests.support import csrf_token, post_form

PASSWORD = "correct horse battery"


def _session(client, people, role: Role) -> str:
    person = people.make(role)
    response = post_form(
        client, "/login", {"email": person.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client.cookies["grants_session"]


def test_security_headers_on_pages_api_errors_and_static(client):
    for path in ("/login", "/api/v1/me", "/health", "/static/css/app.css", "/no/such/page"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, path
        assert "unsafe-inline" not in policy, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain HTTP unless secure cookies are on


def test_hsts_when_secure_cookies_are_on(monkeypatch):
    from app.http.security_headers import headers_for

    assert "strict-transport-security" in headers_for("/login", secure_cookies=True)
    assert "strict-transport-security" not in headers_for("/login", secure_cookies=False)


def test_pages_contain_no_inline_script_or_style(client, people):
    _session(client, people, Role.CASEWORKER)
    for path in ("/", "/account", "/participants"):
        html = client.get(path).text
        assert "<script>" not in html and "style=" not in html and "<style" not in html, path


def test_every_form_carries_the_csrf_token(client, people):
    _session(client, people, Role.CASEWORKER)
    for path in ("/login", "/", "/account", "/participants"):
        html = client.get(path).text
        forms = html.count("<form")
        post_forms = html.count('method="post"')
        assert html.count('name="_csrf_token"') >= post_forms >= 1, path
        assert forms >= post_forms


def test_sign_in_without_the_csrf_token_is_refused(client, people):
    person = people.make(Role.CASEWORKER)
    csrf_token(client)  # the browser has the cookie, but the form lacks the token
    response = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD},
        headers={"Origin": "http://testserver.local"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "reload the page" in response.text
    assert "grants_session" not in response.cookies
    french = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD},
        headers={"Origin": "http://testserver.local", "Accept-Language": "fr"},
        follow_redirects=False,
    )
    assert french.status_code == 403 and "rechargez la page" in french.text  # issue 12: said in French
    assert "reload the page" not in french.text


def test_a_forged_token_is_refused_for_signed_in_forms(client, people):
    _session(client, people, Role.CASEWORKER)
    response = client.post(
        "/account/tokens",
        data={"name": "forged", "_csrf_token": "0" * 128},
        headers={"Origin": "http://testserver.local"},
    )
    assert response.status_code == 403
    assert people.call(Role.CASEWORKER, "GET", "/api/v1/me/tokens").json()["data"][0]["name"] == "tests"


def test_password_change_on_the_page_ends_other_sessions_and_tokens(client, app, people):
    from litestar.testing import TestClient

    person = people.make(Role.PROVIDER)
    with TestClient(app, base_url="http://testserver.local") as other:
        post_form(other, "/login", {"email": person.email, "password": PASSWORD})
        assert other.get("/account").status_code == 200
        post_form(client, "/login", {"email": person.email, "password": PASSWORD})
        changed = post_form(
            client,
            "/account/password",
            {"current": PASSWORD, "new": "another long one", "again": "another long one"},
        )
        assert changed.status_code == 200, changed.text
        assert "signed out everywhere else" in changed.text
        assert client.get("/account").status_code == 200  # this browser stays signed in
        assert other.get("/account", follow_redirects=False).status_code in (302, 303)  # the other is out
    assert client.get("/api/v1/me", headers=person.headers).status_code == 401  # the token is revoked


def test_wrong_current_password_changes_nothing(client, people):
    person = people.make(Role.EMPLOYER)
    post_form(client, "/login", {"email": person.email, "password": PASSWORD})
    refused = post_form(client, "/account/password", {"current": "nope", "new": "x" * 12, "again": "x" * 12})
    assert refused.status_code == 400
    assert "current password is wrong" in refused.text
    assert client.get("/api/v1/me", headers=person.headers).status_code == 200


def test_admin_reset_ends_every_session_and_token(client, app, people):
    person = people.make(Role.CASEWORKER)
    post_form(client, "/login", {"email": person.email, "password": PASSWORD})
    assert client.get("/participants").status_code == 200
    reset = people.call(
        Role.ADMIN,
        "PUT",
        f"/api/v1/users/{person.user_id}/password",
        json={"new_password": "reset by admin 1"},
    )
    assert reset.status_code == 200, reset.text
    assert client.get("/participants", follow_redirects=False).status_code in (302, 303)
    assert client.get("/api/v1/me", headers=person.headers).status_code == 401


def test_api_password_change_keeps_the_asking_token_out_too(client, people):
    person = people.make(Role.AUDITOR)
    changed = client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "new long password"},
        headers=person.headers,
    )
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/me", headers=person.headers).status_code == 401
