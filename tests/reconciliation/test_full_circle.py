"""The full circle on both engines: claims approved -> payment run -> SEPA file -> a camt.053 for that file
with one return and one amount off by 0.01 -> import -> exactly those two exceptions, everything else
matched; both resolved (one re-issued, one fixed by a booking with a second approver) -> all checks green;
the returned payable is paid again by a follow-up run."""

from __future__ import annotations

import pytest

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.roles import Role
from app.disbursements import runs
from app.ledger.verify import verify
from app.reconciliation import queries, resolutions, service
from tests.disbursements.world import APPROVER, FINANCE, FINANCE_2, PROGRAMME
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import cash_at_bank, paid_run, returned, statement_for
from tests.support import run


def test_full_circle_two_exceptions_resolved_then_every_check_is_green(tmp_path):
    _run_id, payments = paid_run(tmp_path, payees=4)
    (off_e2e, off_amount, _), (ret_e2e, ret_amount, _) = payments[0], payments[1]
    statement = statement_for(payments, **{off_e2e: off_amount + 1})
    statement.entries.append(returned(ret_e2e, ret_amount))
    imported = run(service.import_statement(FINANCE, camt053(statement)))
    assert imported["new_bookings"] == 5 and imported["matched_bookings"] == 3

    open_ = run(queries.list_exceptions(FINANCE, state="open"))["data"]
    assert sorted((e["kind"], e["instruction"]) for e in open_) == sorted(
        [("amount_mismatch", off_e2e), ("return", ret_e2e)]
    )
    mismatch = next(e for e in open_ if e["kind"] == "amount_mismatch")
    assert mismatch["amount"] == "0.01" and mismatch["evidence"]["difference"] == "0.01"
    states = {p[0]: run(runs.get_instruction(FINANCE, p[0]))["state"] for p in payments}
    assert states[off_e2e] == "submitted" and [states[p[0]] for p in payments[1:]] == ["settled"] * 3

    # The same file again, and a run before anyone resolves anything: no second copy of either exception.
    assert run(service.import_statement(FINANCE, camt053(statement)))["already_imported"] is True
    first = run(service.run(FINANCE))
    assert not first["ok"]
    kinds = sorted(e["kind"] for e in run(queries.list_exceptions(FINANCE, state="open"))["data"])
    assert kinds.count("amount_mismatch") == 1 and kinds.count("return") == 1

    fixed = run(
        resolutions.resolve(FINANCE, mismatch["id"], "fixed_by_booking", "bank charged 0.01 fee on top")
    )
    assert fixed["state"] == "pending_resolution" and fixed["proposal"]["params"]["cash_minor"] == -1
    with pytest.raises(Forbidden):
        run(resolutions.approve(FINANCE, mismatch["id"]))  # the proposer
    done = run(resolutions.approve(APPROVER, mismatch["id"]))
    assert done["state"] == "resolved" and done["ledger_entry"].startswith("je_")
    assert done["approved_by"] == APPROVER.public_id and done["frozen_evidence"]["difference"] == "0.01"

    ret = next(e for e in open_ if e["kind"] == "return")
    run(resolutions.resolve(FINANCE, ret["id"], "reissued", "payee gave a new IBAN; pay again"))
    assert run(resolutions.approve(FINANCE_2, ret["id"]))["state"] == "resolved"
    assert run(runs.get_instruction(FINANCE, ret_e2e))["state"] == "returned"

    second = run(service.run(FINANCE))
    failed = [c for c in second["checks"] if not c["ok"]]
    assert failed == [], failed
    left = [e for e in run(queries.list_exceptions(FINANCE))["data"] if e["state"] != "resolved"]
    assert left == []
    assert cash_at_bank() == statement.closing()
    assert run(verify()).ok

    follow_up = run(runs.create_run(FINANCE_2, PROGRAMME, statement.day))
    assert (
        follow_up["instructions"] == 1 and follow_up["total"] == f"{ret_amount // 100}.{ret_amount % 100:02d}"
    )


def test_only_finance_officers_import_and_resolve(tmp_path):
    auditor = Actor(9, "usr_auditor0000000009", "auditor", frozenset({Role.AUDITOR}))
    with pytest.raises(Forbidden):
        run(service.import_statement(auditor, b"<Document/>"))
    with pytest.raises(Forbidden):
        run(service.run(auditor))
