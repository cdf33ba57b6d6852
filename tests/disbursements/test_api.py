"""The payments API end to end as the people who use it: a finance officer prepares, an approver approves, a
second finance officer releases, the bank file downloads, the bank's status report imports; the provider
sees its payment. Bad status reports are refused by name and change nothing."""

from __future__ import annotations

import pytest

from app.core.roles import Role
from tests.disbursements.world import PROGRAMME, approved_claims, confirmed_bank, pain002
from tests.support import row_counts, run

R = "/api/v1/payment-runs"


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def released(people):
    payee = people.provider_org
    run(approved_claims([payee], 2, 7_500))
    run(confirmed_bank(payee))
    made = _ok(
        people.call(Role.FINANCE_OFFICER, "POST", R, json={"programme": PROGRAMME, "pay_date": "2030-01-15"}),
        201,
    )
    refused = people.call(Role.FINANCE_OFFICER, "POST", f"{R}/{made['id']}/approve")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "four_eyes"
    _ok(people.call(Role.APPROVER, "POST", f"{R}/{made['id']}/approve"))
    people.make(Role.FINANCE_OFFICER, key="releaser")
    releaser = people.make(Role.FINANCE_OFFICER, key="releaser")
    shown = _ok(people.client.post(f"{R}/{made['id']}/release", headers=releaser.headers))
    assert shown["status"] == "released" and shown["files"][0]["transactions"] == 1
    return shown


def test_a_run_through_the_api_and_the_payee_sees_its_payment(people, released):
    run_id = released["id"]
    one = people.call(Role.AUDITOR, "GET", f"{R}/{run_id}/files/1")
    two = people.call(Role.FINANCE_OFFICER, "GET", f"{R}/{run_id}/files/1")
    assert one.status_code == 200 and one.content == two.content and b"pain.001.001.09" in one.content
    assert people.call(Role.APPROVER, "GET", f"{R}/{run_id}/files/1").status_code == 403
    mine = _ok(people.call(Role.PROVIDER, "GET", f"/api/v1/payees/{people.provider_org}/payments"))
    assert [(p["status"], p["amount"]) for p in mine] == [("in_transit", "150.00")]
    instruction = mine[0]["id"]
    report = pain002(f"{run_id}-001", transactions=((instruction, "RJCT", "AC04"),))
    result = _ok(
        people.call(Role.FINANCE_OFFICER, "POST", f"{R}/status-reports", content=report,
                    headers={"Content-Type": "application/xml"})
    )  # fmt: skip
    assert result["rejected"] == 1
    mine = _ok(people.call(Role.PROVIDER, "GET", f"/api/v1/payees/{people.provider_org}/payments"))
    assert mine[0]["status"] == "failed" and "AC04" in mine[0]["reason"]
    other = people.call(Role.EMPLOYER, "GET", f"/api/v1/payees/{people.provider_org}/payments")
    assert other.status_code == 404
    assert people.call(Role.PROVIDER, "GET", f"/api/v1/payment-instructions/{instruction}").status_code == 200
    assert people.call(Role.EMPLOYER, "GET", f"/api/v1/payment-instructions/{instruction}").status_code == 404
    assert people.call(Role.PROVIDER, "GET", R).status_code == 403


def test_bad_status_reports_are_refused_by_name_and_change_nothing(people, released):
    run_id = released["id"]
    cases = [
        (b"<Document><CstmrPmtStsRpt>", "invalid_xml"),
        (b"not xml at all", "invalid_xml"),
        (b"<Other/>", "not_a_status_report"),
        (pain002("prn_0000000000000000-001", group="ACSC"), "unknown_message"),
        (
            pain002(f"{run_id}-001", transactions=(("pin_0000000000000000", "ACSC", ""),)),
            "unknown_transaction",
        ),
        (pain002(f"{run_id}-001", group="WHAT"), "unknown_status"),
    ]
    before = run(row_counts())
    for body, code in cases:
        response = people.call(Role.FINANCE_OFFICER, "POST", f"{R}/status-reports", content=body)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == code and error["message"]
        if code in ("invalid_xml", "unknown_transaction"):
            assert "line" in error["message"]
    assert run(row_counts()) == before


def test_bad_run_requests_are_refused_by_name(people):
    cases = [
        ({"pay_date": "2030-13-01"}, 400),
        ({"pay_date": "2020-01-01"}, 400),
        ({"pay_date": "2030-01-01", "programme": "NOPE"}, 404),
        ({"pay_date": "2030-01-01", "surprise": 1}, 400),
    ]
    for body, status in cases:
        response = people.call(Role.FINANCE_OFFICER, "POST", R, json=body)
        assert response.status_code == status, (body, response.text)
    bad_iban = people.call(
        Role.FINANCE_OFFICER,
        "POST",
        f"/api/v1/payees/{people.provider_org}/payment-details",
        json={"method": "sepa", "iban": "DE88370400440532013000", "holder": "X"},
    )
    assert bad_iban.status_code == 400 and bad_iban.json()["error"]["param"] == "iban"
