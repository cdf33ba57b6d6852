"""The role x route matrix, generated from the app's own route table.

Every handler must declare its roles (or be on the short public list below). For every route, every role
outside its declaration is refused with 403, anonymous callers with 401 (or a sign-in redirect for pages),
and every role inside it gets past the guard. A new route without a guard fails here.
"""

from __future__ import annotations

import re

import pytest

from app.core.roles import ALL_ROLES, Role
from app.http.guards import declared_roles

PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/webhooks/stripe"),  # authenticated by the Stripe-Signature header
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/{file_path:path}"),
    ("HEAD", "/static/{file_path:path}"),
}
PARAM = re.compile(r"\{([a-z_]+):([a-z]+)\}")
DUMMY_ID = "zzz_0000000000000000"


def _routes(app):
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                yield method, route.path, handler


def _guarded(app):
    return [
        (method, path, handler)
        for method, path, handler in _routes(app)
        if declared_roles(handler) is not None
    ]


def _url(path: str) -> str:
    return PARAM.sub(lambda m: "1" if m.group(2) == "int" else DUMMY_ID, path)


def test_every_route_declares_its_roles(app):
    undeclared = []
    for method, path, handler in _routes(app):
        roles = declared_roles(handler)
        is_public = roles is None and method != "OPTIONS"
        if is_public and (method, path) not in PUBLIC_ROUTES and not path.startswith("/schema"):
            undeclared.append(f"{method} {path} is public but not on the public list")
        if roles is not None and not roles:
            undeclared.append(f"{method} {path} declares no roles: nobody can use it")
    assert not undeclared, "\n".join(undeclared)


def test_the_matrix_is_not_empty(app):
    guarded = _guarded(app)
    assert len(guarded) >= 30
    assert {m for m, _, _ in guarded} >= {"GET", "POST", "PATCH"}


def test_wrong_roles_are_refused_everywhere(app, people):
    failures = []
    for method, path, handler in _guarded(app):
        allowed = declared_roles(handler)
        for role in sorted(ALL_ROLES - allowed):
            response = people.call(role, method, _url(path), json={} if method != "GET" else None)
            if response.status_code != 403:
                failures.append(f"{role} {method} {path}: {response.status_code} (expected 403)")
            elif response.headers.get("content-type", "").startswith("application/json"):
                assert response.json()["error"]["code"] == "forbidden"
    assert not failures, "\n".join(failures)


def test_anonymous_callers_are_refused_everywhere(app, client):
    failures = []
    for method, path, _handler in _guarded(app):
        response = client.request(method, _url(path), follow_redirects=False)
        expected = {401} if path.startswith("/api/") else {302, 303}
        if response.status_code not in expected:
            failures.append(f"anonymous {method} {path}: {response.status_code}")
        if response.status_code in (302, 303):
            assert response.headers["location"].startswith("/login")
    assert not failures, "\n".join(failures)


def test_allowed_roles_get_past_the_guard_without_errors(app, people):
    failures = []
    for method, path, handler in _guarded(app):
        for role in sorted(declared_roles(handler)):
            response = people.call(
                role,
                method,
                _url(path),
                json={} if method != "GET" else None,
                headers={"Origin": "http://testserver.local"},
            )
            if response.status_code in (401, 403) or response.status_code >= 500:
                failures.append(f"{role} {method} {path}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", sorted(Role))
def test_each_role_reaches_its_own_profile(people, role):
    response = people.call(role, "GET", "/api/v1/me")
    assert response.status_code == 200
    assert response.json()["roles"] == [role.value]
