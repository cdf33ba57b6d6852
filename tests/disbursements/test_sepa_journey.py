"""A payment run paid by SEPA file: prepared, approved, released (payable -> in transit), the pain.001 files
valid against the XSD and byte-identical when made again, a pain.002 settling all but one transaction, whose
payable reopens and is paid by a follow-up run that points back to it; paid = settled in the budget
position; the ledger verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from app.core.errors import Forbidden
from app.disbursements import release, runs, sepa, status_import
from app.ledger import queries
from app.ledger.verify import verify
from tests.disbursements.world import (
    APPROVER,
    APPROVER_2,
    FINANCE,
    FINANCE_2,
    PROGRAMME,
    RELEASER,
    approved_claims,
    confirmed_bank,
    pain002,
    providers,
)
from tests.support import run

PAY_DATE = dt.date(2030, 1, 15)


def _xsd() -> etree.XMLSchema:
    from pathlib import Path

    import sepaxml

    path = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def _position():
    return run(queries.budget_position(fund="ESF", programme=PROGRAMME))[0]


def _in_transit() -> int:
    return -sum(a.balance for a in run(queries.account_balances(code="2120")))


def test_a_run_is_paid_by_sepa_file_and_a_rejection_is_paid_by_a_follow_up(monkeypatch, tmp_path):
    monkeypatch.setenv("GRANTS_SEPA_FILE_MAX_TRANSACTIONS", "2")
    payees = run(providers(3))
    run(approved_claims(payees, 2, 10_000))
    for payee in payees:
        run(confirmed_bank(payee))
    created = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert created["status"] == "pending_approval" and created["instructions"] == 3
    assert created["total"] == "600.00" and created["approvers_required"] == 1
    with pytest.raises(Forbidden):
        run(runs.approve_run(FINANCE, created["id"]))  # the preparer
    approved = run(runs.approve_run(APPROVER, created["id"]))
    assert approved["status"] == "approved"
    with pytest.raises(Forbidden):
        run(release.release_run(APPROVER, created["id"]))  # an approver
    released = run(release.release_run(RELEASER, created["id"]))
    assert released["status"] == "released" and released["sent_now"] == 3
    assert [f["transactions"] for f in released["files"]] == [2, 1]
    assert _in_transit() == 60_000 and _position().paid == 0
    again = run(release.release_run(RELEASER, created["id"]))
    assert again["sent_now"] == 0

    paths = run(sepa.export_run(created["id"], tmp_path / "one"))
    schema = _xsd()
    for path in paths:
        schema.assertValid(etree.parse(str(path)))
    twice = run(sepa.export_run(created["id"], tmp_path / "two"))
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in twice]
    first_file = etree.parse(str(paths[0]))
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    e2e = first_file.xpath("//p:EndToEndId/text()", namespaces=ns)
    assert first_file.xpath("//p:MsgId/text()", namespaces=ns) == [f"{created['id']}-001"]

    report = pain002(f"{created['id']}-001", transactions=((e2e[0], "ACSC", ""), (e2e[1], "RJCT", "AC04")))
    result = run(status_import.import_status(FINANCE, report))
    assert result["settled"] == 1 and result["rejected"] == 1
    assert run(status_import.import_status(FINANCE, report))["already_imported"] is True
    run(
        status_import.import_status(FINANCE, pain002(f"{created['id']}-002", group="ACSC", report_id="STS-2"))
    )
    assert _position().paid == 40_000 and _in_transit() == 0

    rejected = run(runs.get_instruction(FINANCE, e2e[1]))
    assert rejected["state"] == "rejected" and rejected["reason_code"] == "AC04"
    follow_up = run(runs.create_run(FINANCE_2, PROGRAMME, PAY_DATE))
    assert follow_up["instructions"] == 1 and follow_up["total"] == "200.00"
    detail = run(runs.get_run(FINANCE, follow_up["id"], with_instructions=True))["instruction_list"][0]
    assert detail["follows"] == [e2e[1]] and detail["payee"] == rejected["payee"]
    run(runs.approve_run(APPROVER_2, follow_up["id"]))
    run(release.release_run(RELEASER, follow_up["id"]))
    run(
        status_import.import_status(
            FINANCE, pain002(f"{follow_up['id']}-001", group="ACSC", report_id="STS-3")
        )
    )
    assert _position().paid == 60_000 == _position().expended
    assert run(verify()).ok
    with pytest.raises(Exception, match=r"no approved"):
        run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
