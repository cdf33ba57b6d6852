"""The staff pages through real HTTP, without a browser (so without JavaScript): the caseworker's search by
part of a name, the approval queue and a decision on the demo's claims, the ledger and admin pages, and
who is refused where."""

from __future__ import annotations

import msgspec
import pytest

from app.core.roles import Role
from app.demo import seed_demo
from app.demo.story import DEMO_DEBTOR
from app.registry import participants
from app.registry.personal import ParticipantPersonal
from app.vouchers import claims as voucher_claims
from tests.support import PERSON_EXAMPLE, SYSTEM, post_form, run

STAFF_PAGES = {
    "/approvals": {Role.FINANCE_OFFICER, Role.APPROVER},
    "/ledger": {Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN},
    "/ledger/accounts": {Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN},
    "/admin/users": {Role.ADMIN},
    "/admin/organisations": {Role.ADMIN},
    "/decisions/dec_0000000000000000": {Role.CASEWORKER},
    "/vouchers/vch_0000000000000000": {Role.CASEWORKER},
}


def _sign_in(client, people, role: Role) -> None:
    person = people.make(role)
    response = post_form(client, "/login", {"email": person.email, "password": "correct horse battery"})
    assert response.status_code in (200, 303), response.text


def test_each_page_admits_its_roles_only(people):
    for path, allowed in STAFF_PAGES.items():
        for role in Role:
            response = people.call(role, "GET", path)
            if role in allowed:
                assert response.status_code in (200, 404), (role, path, response.status_code)
            else:
                assert response.status_code == 403, (role, path, response.status_code)
                assert "Not allowed" in response.text


def test_search_by_part_of_a_name_works_without_javascript(client, people):
    run(participants.register(SYSTEM, msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal)))
    _sign_in(client, people, Role.CASEWORKER)
    found = client.get("/participants", params={"q": "quillf"})
    assert found.status_code == 200 and "Zephyrine Quillfeather" in found.text
    assert "Zephyrine" not in client.get("/participants", params={"q": "bright"}).text
    refused = client.get("/participants", params={"q": "-"})
    assert "write at least one letter of the name" in refused.text


@pytest.fixture
def demo(monkeypatch):
    for name, value in DEMO_DEBTOR.items():
        monkeypatch.setenv(name, value)
    run(seed_demo())


def test_a_claim_is_approved_in_part_by_a_plain_form_post(client, people, demo):
    waiting = run(voucher_claims.list_claims(SYSTEM, "submitted", 10, None))[0][0]["id"]
    forged = people.call(Role.PROVIDER, "POST", f"/approvals/{waiting}/approve", data={"scope": "all"})
    assert forged.status_code == 403
    _sign_in(client, people, Role.FINANCE_OFFICER)
    queue = client.get("/approvals", params={"kind": "voucher"})
    assert waiting in queue.text and "Demo provider" in queue.text
    review = client.get(f"/approvals/{waiting}")
    assert "the date of birth does not match the voucher&#39;s holder" in review.text
    nothing = post_form(client, f"/approvals/{waiting}/approve", {"scope": "lines"})
    assert nothing.status_code == 400 and "Tick the lines to approve." in nothing.text
    done = post_form(client, f"/approvals/{waiting}/approve", {"scope": "lines", "line": "3"})
    assert done.status_code == 200 and "Your approval is recorded." in done.text  # after the redirect
    claim = run(voucher_claims.get(SYSTEM, waiting))
    assert claim["status"] == "partly_approved"
    assert [line["approved"] != "0.00" for line in claim["lines"]] == [False, False, True]
    again = post_form(client, f"/approvals/{waiting}/approve", {"scope": "all"})
    assert again.status_code == 409 and "already" in again.text


def test_the_ledger_and_admin_pages_render(client, people, demo):
    _sign_in(client, people, Role.AUDITOR)
    ledger = client.get("/ledger")
    assert "The ledger verifies." in ledger.text
    accounts = client.get("/ledger/accounts", params={"code": "2110"})
    assert accounts.status_code == 200 and "/ledger/accounts/acc_" in accounts.text
    assert client.get("/ledger/accounts/acc_999999").status_code == 404
    assert client.get("/ledger", params={"as_of": "31/03/2026"}).text.count("Write the date as") == 1


def test_staff_pages_speak_french_with_roles_and_statuses_in_words(client, people, demo):
    """Issue 12: French staff pages, the codes said in words (seen failing before: the roles were shown
    as `finance officer`, participant statuses as the bare code, and the texts untranslated)."""
    _sign_in(client, people, Role.ADMIN)
    french = {"Accept-Language": "fr"}
    users = client.get("/admin/users", headers=french).text
    assert "Utilisateurs" in users and "agent financier" in users and "administrateur" in users
    assert "> finance officer</label>" not in users and "> agent financier</label>" in users
    _sign_in(client, people, Role.AUDITOR)
    ledger = client.get("/ledger", headers=french).text
    assert "Le grand livre se vérifie." in ledger
