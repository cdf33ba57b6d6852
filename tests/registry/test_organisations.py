"""Providers and employers, and the wall between organisations: an outside user sees only its own."""

from __future__ import annotations

from app.core.roles import Role
from app.core.tables import Organisation
from tests.support import run

PROVIDERS = "/api/v1/providers"
EMPLOYERS = "/api/v1/employers"
LICENCE = {"licence_number": "CC-1", "valid_from": "2025-01-01", "valid_until": "2030-12-31"}


def _provider(people, name="Rival Nursery", **extra):
    response = people.call(Role.CASEWORKER, "POST", PROVIDERS, json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_staff_register_a_provider_with_a_licence(people):
    created = _provider(people, licence=LICENCE, contact_email="office@rival.example")
    assert created["id"].startswith("prv_")
    assert created["licences"] == [LICENCE]
    assert created["licensed_today"] is True


def test_licences_accumulate_and_decide_licensed_today(people):
    created = _provider(people, licence=LICENCE | {"valid_until": "2020-12-31", "valid_from": "2020-01-01"})
    assert created["licensed_today"] is False
    response = people.call(Role.ADMIN, "POST", f"{PROVIDERS}/{created['id']}/licences", json=LICENCE)
    assert response.status_code == 201
    assert len(response.json()["licences"]) == 2
    assert response.json()["licensed_today"] is True


def test_provider_user_sees_only_its_own_provider(people):
    own = people.make(Role.PROVIDER)
    rival = _provider(people)
    listed = people.call(Role.PROVIDER, "GET", PROVIDERS).json()["data"]
    assert [p["id"] for p in listed] == [own.organisation]
    assert people.call(Role.PROVIDER, "GET", f"{PROVIDERS}/{own.organisation}").status_code == 200
    for method, body in (("GET", None), ("PATCH", {"contact_phone": "+1 555"})):
        response = people.call(Role.PROVIDER, method, f"{PROVIDERS}/{rival['id']}", json=body)
        assert response.status_code == 404, method
        assert response.json()["error"]["message"] == "No such provider."


def test_guessed_and_foreign_kind_ids_look_the_same_as_missing_ones(people):
    people.make(Role.PROVIDER)
    rival = _provider(people)
    answers = set()
    for guess in (rival["id"], "prv_0000000000000000", people.employer_org, "prv_' OR 1=1 --"):
        response = people.call(Role.PROVIDER, "GET", f"{PROVIDERS}/{guess}")
        answers.add((response.status_code, response.json()["error"]["message"]))
    assert answers == {(404, "No such provider.")}


def test_cursor_cannot_probe_other_organisations(people):
    people.make(Role.PROVIDER)
    rival = _provider(people)
    response = people.call(Role.PROVIDER, "GET", PROVIDERS, params={"starting_after": rival["id"]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "starting_after"


def test_provider_may_edit_only_its_contact_details(people):
    own = people.make(Role.PROVIDER)
    ok = people.call(
        Role.PROVIDER, "PATCH", f"{PROVIDERS}/{own.organisation}", json={"contact_phone": "+44 1234"}
    )
    assert ok.status_code == 200
    assert ok.json()["contact_phone"] == "+44 1234"
    rename = people.call(Role.PROVIDER, "PATCH", f"{PROVIDERS}/{own.organisation}", json={"name": "Mine"})
    assert rename.status_code == 403
    assert rename.json()["error"]["param"] == "name"
    licence = people.call(Role.PROVIDER, "POST", f"{PROVIDERS}/{own.organisation}/licences", json=LICENCE)
    assert licence.status_code == 403
    name = run(Organisation.select(Organisation.name).where(Organisation.public_id == own.organisation))
    assert name[0]["name"] == "Own Provider"


def test_employer_user_sees_only_its_own_employer(people):
    own = people.make(Role.EMPLOYER)
    rival = people.call(
        Role.CASEWORKER, "POST", EMPLOYERS, json={"name": "Rival Ltd", "registration_number": "R-2"}
    ).json()
    assert [e["id"] for e in people.call(Role.EMPLOYER, "GET", EMPLOYERS).json()["data"]] == [
        own.organisation
    ]
    assert people.call(Role.EMPLOYER, "GET", f"{EMPLOYERS}/{rival['id']}").status_code == 404
    assert (
        people.call(Role.EMPLOYER, "PATCH", f"{EMPLOYERS}/{rival['id']}", json={"address": "x"}).status_code
        == 404
    )
    assert people.call(Role.EMPLOYER, "GET", f"{PROVIDERS}/{people.provider_org}").status_code == 403


def test_employer_registration_numbers_are_unique(people):
    body = {"name": "Twin Ltd", "registration_number": "R-1"}  # R-1 is the fixture employer's
    response = people.call(Role.ADMIN, "POST", EMPLOYERS, json=body)
    assert response.status_code == 409
    assert response.json()["error"]["param"] == "registration_number"


def test_changes_to_organisations_are_audited(people):
    rival = _provider(people)
    people.call(Role.ADMIN, "PATCH", f"{PROVIDERS}/{rival['id']}", json={"name": "Renamed Nursery"})
    events = people.call(Role.AUDITOR, "GET", "/api/v1/audit-events", params={"entity_id": rival["id"]})
    update = events.json()["data"][0]
    assert update["action"] == "provider.update"
    assert update["before"] == {"name": "Rival Nursery"}
    assert update["after"] == {"name": "Renamed Nursery"}
    assert update["actor"] == people[Role.ADMIN].user_id
