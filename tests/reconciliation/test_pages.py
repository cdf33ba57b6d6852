"""The reconciliation pages through real HTTP with a signed-in session: a finance officer resolves a return
from the exception page (proposed, then approved by an approver on the same page), an auditor reads the
dashboard's checks and the queue but gets no forms, and other roles are refused."""

from __future__ import annotations

from app.core.roles import Role
from app.reconciliation import queries, service
from tests.disbursements.world import FINANCE
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, returned, statement_for
from tests.support import post_form, run


def _sign_in(client, people, role: Role, key: str | None = None):
    person = people.make(role, key=key)
    response = post_form(client, "/login", {"email": person.email, "password": "correct horse battery"},
                         follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text


def test_a_finance_officer_resolves_a_return_and_an_auditor_reads_the_checks(app, people, tmp_path):
    from litestar.testing import TestClient

    _, payments = paid_run(tmp_path, payees=2)
    statement = statement_for(payments)
    statement.entries.append(returned(payments[0][0], payments[0][1]))
    run(service.import_statement(FINANCE, camt053(statement)))
    run(service.run(FINANCE))
    [exc] = run(queries.list_exceptions(FINANCE, kind="return"))["data"]

    with TestClient(app, base_url="http://testserver.local") as officer:
        _sign_in(officer, people, Role.FINANCE_OFFICER)
        queue = officer.get("/reconciliation/exceptions")
        assert queue.status_code == 200 and exc["id"] in queue.text
        page = officer.get(f"/reconciliation/exceptions/{exc['id']}")
        assert 'name="resolution"' in page.text and "AC04" in page.text
        empty = post_form(officer, f"/reconciliation/exceptions/{exc['id']}/resolve",
                          {"resolution": "reissued", "reason": " "})  # fmt: skip
        assert empty.status_code == 400 and "say why" in empty.text
        done = post_form(officer, f"/reconciliation/exceptions/{exc['id']}/resolve",
                         {"resolution": "reissued", "reason": "new IBAN"})  # fmt: skip
        assert done.status_code == 200 and "Awaiting a second person" in done.text
        assert "Approve and carry out" not in done.text  # not for the proposer

    with TestClient(app, base_url="http://testserver.local") as approver:
        _sign_in(approver, people, Role.APPROVER)
        approved = post_form(approver, f"/reconciliation/exceptions/{exc['id']}/approve")
        assert approved.status_code == 200 and 'data-field="resolution">reissued' in approved.text

    with TestClient(app, base_url="http://testserver.local") as officer:
        _sign_in(officer, people, Role.FINANCE_OFFICER)
        assert post_form(officer, "/reconciliation/run").status_code == 200

    with TestClient(app, base_url="http://testserver.local") as auditor:
        _sign_in(auditor, people, Role.AUDITOR)
        board = auditor.get("/reconciliation/")
        assert (
            board.status_code == 200
            and "all checks hold" in board.text
            and "Run reconciliation" not in board.text
        )
        assert 'data-check="bank_balance"' in board.text
        page = auditor.get(f"/reconciliation/exceptions/{exc['id']}")
        assert "frozen at resolution" in page.text and 'name="resolution"' not in page.text
        refused = post_form(auditor, f"/reconciliation/exceptions/{exc['id']}/resolve",
                            {"resolution": "accepted", "reason": "x"})  # fmt: skip
        assert refused.status_code == 403

    with TestClient(app, base_url="http://testserver.local") as provider:
        _sign_in(provider, people, Role.PROVIDER)
        assert provider.get("/reconciliation/", follow_redirects=False).status_code == 403
