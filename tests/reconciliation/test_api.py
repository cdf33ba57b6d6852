"""The reconciliation API as its users use it: a finance officer imports the bank's statement and runs
reconciliation, assigns the return to a colleague, resolves it as re-issued, an approver approves; an
auditor reads the dashboard and the queue but changes nothing; wrong roles are refused on every route; a
bad statement is refused naming the line, and changes nothing."""

from __future__ import annotations

from app.core.roles import Role
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, returned, statement_for
from tests.support import row_counts, run

R = "/api/v1/reconciliation"
XML = {"Content-Type": "application/xml"}


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_a_return_resolved_through_the_api(people, tmp_path):
    _, payments = paid_run(tmp_path, payees=2)
    statement = statement_for(payments)
    statement.entries.append(returned(payments[0][0], payments[0][1]))
    imported = _ok(
        people.call(Role.FINANCE_OFFICER, "POST", f"{R}/statements", content=camt053(statement), headers=XML)
    )
    assert imported["matched_bookings"] == 2 and imported["exceptions_opened"] == 1
    first = _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{R}/runs", json={}))
    assert not first["ok"]  # the returned money is back at the bank, not yet in the ledger

    queue = _ok(people.call(Role.AUDITOR, "GET", f"{R}/exceptions", params={"kind": "return"}))["data"]
    assert len(queue) == 1 and queue[0]["evidence"]["return_reason"] == "AC04"
    exc = queue[0]["id"]
    colleague = people.make(Role.FINANCE_OFFICER, key="colleague")
    assigned = _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{R}/exceptions/{exc}/assign",
                               json={"assignee": colleague.user_id, "due_date": "2030-01-31"}))  # fmt: skip
    assert assigned["state"] == "assigned" and assigned["assignee"] == colleague.user_id
    proposed = _ok(people.client.post(f"{R}/exceptions/{exc}/resolve", headers=colleague.headers,
                                      json={"resolution": "reissued", "reason": "new IBAN confirmed"}))  # fmt: skip
    assert proposed["state"] == "pending_resolution"
    own = people.client.post(f"{R}/exceptions/{exc}/approve", headers=colleague.headers)
    assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes"
    done = _ok(people.call(Role.APPROVER, "POST", f"{R}/exceptions/{exc}/approve"))
    assert done["state"] == "resolved" and done["resolution"] == "reissued"

    final = _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{R}/runs", json={}))
    assert final["ok"], [c for c in final["checks"] if not c["ok"]]
    sheet = people.call(Role.AUDITOR, "GET", f"{R}/exceptions.xlsx")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    dry = _ok(people.call(Role.FINANCE_OFFICER, "POST", f"{R}/exceptions/decisions", content=sheet.content))
    assert dry == {"dry_run": True, "decisions": 0, "changes": []}
    board = _ok(people.call(Role.AUDITOR, "GET", f"{R}/dashboard"))
    assert board["last_run"]["ok"] and board["match_rate"]["matched"] == 2
    detail = _ok(people.call(Role.AUDITOR, "GET", f"{R}/exceptions/{exc}"))
    assert detail["booking_detail"]["return_reason"] == "AC04" and detail["frozen_evidence"]


def test_wrong_roles_are_refused(people):
    cases = [
        (Role.AUDITOR, "POST", f"{R}/statements"),
        (Role.APPROVER, "POST", f"{R}/runs"),
        (Role.PROVIDER, "GET", f"{R}/dashboard"),
        (Role.CASEWORKER, "GET", f"{R}/exceptions"),
        (Role.EMPLOYER, "GET", f"{R}/exceptions/exc_x"),
        (Role.AUDITOR, "POST", f"{R}/exceptions/exc_x/assign"),
        (Role.APPROVER, "POST", f"{R}/exceptions/exc_x/resolve"),
        (Role.AUDITOR, "POST", f"{R}/exceptions/exc_x/approve"),
        (Role.BUDGET_HOLDER, "POST", f"{R}/exceptions/exc_x/refuse"),
        (Role.PROVIDER, "GET", f"{R}/exceptions.xlsx"),
        (Role.ADMIN, "POST", f"{R}/stripe"),
        (Role.AUDITOR, "POST", f"{R}/exceptions/decisions"),
    ]
    for role, method, path in cases:
        assert people.call(role, method, path, json={}).status_code == 403, (role, path)
    assert people.call(None, "GET", f"{R}/dashboard").status_code == 401


def test_bad_requests_are_refused_by_name_and_change_nothing(people):
    people.make(Role.FINANCE_OFFICER)
    people.make(Role.AUDITOR)
    before = run(row_counts())
    bad = people.call(
        Role.FINANCE_OFFICER, "POST", f"{R}/statements", content=b"<Document>\n<BkToCstmrStmt>", headers=XML
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_xml"
    assert "line" in bad.json()["error"]["message"]
    nope = people.call(Role.FINANCE_OFFICER, "POST", f"{R}/exceptions/exc_missing/resolve",
                       json={"resolution": "accepted", "reason": "x"})  # fmt: skip
    assert nope.status_code == 404
    wrong = people.call(Role.FINANCE_OFFICER, "POST", f"{R}/exceptions/exc_missing/resolve",
                        json={"resolution": "shrug", "reason": "x"})  # fmt: skip
    assert wrong.status_code == 400
    listing = people.call(Role.AUDITOR, "GET", f"{R}/exceptions", params={"kind": "weird"})
    assert listing.status_code == 400 and listing.json()["error"]["param"] == "kind"
    assert run(row_counts()) == before
