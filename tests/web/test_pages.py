"""The pages, through real HTTP: sign-in form, dashboard by role, participant search and registration."""

from __future__ import annotations

from app.core.roles import Role
from tests.support import PERSON_EXAMPLE, post_form


def _sign_in(client, people, role: Role):
    person = people.make(role)
    response = post_form(
        client,
        "/login",
        {"email": person.email, "password": "correct horse battery", "next": "/participants"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


def test_login_page_renders_with_local_assets_only(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert "https://" not in response.text  # no CDN: works offline


def test_pages_redirect_to_sign_in(client):
    response = client.get("/participants", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"] == "/login?next=/participants"


def test_wrong_password_shows_the_form_again(client, people):
    person = people.make(Role.CASEWORKER)
    response = post_form(client, "/login", {"email": person.email, "password": "nope"})
    assert response.status_code == 401
    assert "Wrong e-mail or password" in response.text


def test_sign_in_goes_to_next_and_never_off_site(client, people):
    assert _sign_in(client, people, Role.CASEWORKER).headers["location"] == "/participants"
    person = people.make(Role.AUDITOR)
    response = post_form(
        client,
        "/login",
        {"email": person.email, "password": "correct horse battery", "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_dashboard_shows_what_the_role_can_do(client, people):
    _sign_in(client, people, Role.CASEWORKER)
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/participants"' in page.text
    assert 'href="/audit"' not in page.text


def test_caseworker_registers_and_finds_a_participant(client, people):
    _sign_in(client, people, Role.CASEWORKER)
    form = {
        "given_name": "Zephyrine",
        "family_name": "Quillfeather",
        "date_of_birth": "1990-04-17",
        "gender": "female",
        "national_id": "XQ-1",
        "address_line1": "1 Lane",
        "address_city": "Town",
        "address_country": "gb",
    }
    response = post_form(client, "/participants", form, follow_redirects=False)
    assert response.status_code == 303, response.text
    detail = client.get(response.headers["location"])
    assert "Quillfeather" in detail.text
    assert "participant.create" in detail.text
    participant_id = response.headers["location"].rsplit("/", 1)[1]
    fragment = client.get("/participants", params={"q": participant_id[:8]}, headers={"HX-Request": "true"})
    assert participant_id in fragment.text
    assert "<html" not in fragment.text  # HTMX gets the rows only


def test_registration_form_errors_are_shown_and_nothing_saved(client, people):
    _sign_in(client, people, Role.CASEWORKER)
    response = post_form(
        client,
        "/participants",
        {"given_name": "A", "family_name": "B", "date_of_birth": "not a date", "gender": "female"},
    )
    assert response.status_code == 400
    assert "date" in response.text.lower()
    assert people.call(Role.CASEWORKER, "GET", "/api/v1/participants").json()["data"] == []


def test_auditor_reads_the_audit_page(client, people):
    people.call(Role.CASEWORKER, "POST", "/api/v1/participants", json={"personal": PERSON_EXAMPLE})
    _sign_in(client, people, Role.AUDITOR)
    page = client.get("/audit")
    assert page.status_code == 200
    assert "participant.create" in page.text
    assert "Quillfeather" not in page.text


def test_wrong_role_gets_a_403_page(client, people):
    _sign_in(client, people, Role.PROVIDER)
    page = client.get("/participants")
    assert page.status_code == 403
    assert "Not allowed" in page.text


def test_api_docs_are_served_offline(client):
    page = client.get("/schema")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    spec = client.get("/schema/openapi.json").json()
    assert "/api/v1/participants" in spec["paths"]
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_budget_page_shows_the_position(client, people):
    from app.ledger.operations import Kind
    from tests.ledger.helpers import do, setup_dimensions
    from tests.support import run

    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 123_456))
    _sign_in(client, people, Role.BUDGET_HOLDER)
    assert 'href="/budget"' in client.get("/").text
    page = client.get("/budget")
    assert page.status_code == 200
    assert "CHILDCARE" in page.text and "€1,234.56" in page.text
    assert "balances" in page.text
