"""Four eyes on a payment run by value band: above the band's limit a second, different approver; neither
the preparer nor an approver releases. An approver's rejection cancels the run and its payables wait for the
next one; a bank's rejection of a whole batch (PmtInfSts) reopens every payable in it."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.disbursements import config, release, runs, status_import
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


def _refused(error: type[Exception], code: str, awaitable) -> None:
    with pytest.raises(error) as refused:
        run(awaitable)
    assert refused.value.code == code


def test_a_run_above_the_band_needs_two_approvers_and_a_third_person_releases():
    payees = run(providers(2))
    run(approved_claims(payees, 2, 300_000))  # 4 x 3,000.00 = 12,000.00 > the 10,000.00 band (conftest)
    for payee in payees:
        run(confirmed_bank(payee))
    made = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert made["total"] == "12000.00" and made["approvers_required"] == 2
    _refused(Forbidden, "four_eyes", runs.approve_run(FINANCE, made["id"]))
    once = run(runs.approve_run(APPROVER, made["id"]))
    assert once["status"] == "pending_approval" and once["approved_by"] == [APPROVER.public_id]
    assert once["states"] == {"draft": 2}
    _refused(Conflict, "already_approved_by_you", runs.approve_run(APPROVER, made["id"]))
    _refused(Conflict, "run_status", release.release_run(RELEASER, made["id"]))  # not approved yet
    twice = run(runs.approve_run(APPROVER_2, made["id"]))
    assert twice["status"] == "approved" and twice["states"] == {"approved": 2}
    for approver in (APPROVER, APPROVER_2):
        _refused(Forbidden, "four_eyes", release.release_run(approver, made["id"]))
    _refused(Forbidden, "four_eyes", release.release_run(FINANCE, made["id"]))
    released = run(release.release_run(RELEASER, made["id"]))
    assert released["status"] == "released" and released["states"] == {"submitted": 2}
    assert released["released_by"] == RELEASER.public_id


def test_bands_pick_the_number_of_approvers(monkeypatch):
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "5000000:3, 1000000:2")
    assert [config.approvers_needed(t) for t in (1_000_000, 1_000_001, 5_000_000, 5_000_001)] == [1, 2, 2, 3]
    monkeypatch.setenv("GRANTS_PAYMENT_APPROVAL_BANDS", "1000000:two")
    with pytest.raises(ValidationFailed, match="1000000:two"):
        config.approvers_needed(1)


def test_a_rejected_run_cancels_its_instructions_and_the_payables_wait_for_the_next_run():
    payees = run(providers(1))
    run(approved_claims(payees, 2, 10_000))
    run(confirmed_bank(payees[0]))
    made = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    _refused(Forbidden, "four_eyes", runs.reject_run(FINANCE, made["id"], "mine"))
    rejected = run(runs.reject_run(APPROVER, made["id"], "pay date is a bank holiday"))
    assert rejected["status"] == "cancelled" and rejected["reason"] == "pay date is a bank holiday"
    assert rejected["states"] == {"cancelled": 1}
    _refused(Conflict, "run_status", runs.approve_run(APPROVER_2, made["id"]))
    again = run(runs.create_run(FINANCE_2, PROGRAMME, PAY_DATE))
    assert again["total"] == "200.00"
    follow = run(runs.get_run(FINANCE, again["id"], with_instructions=True))["instruction_list"][0]
    assert follow["follows"] == []  # a cancelled instruction was never paid: nothing to follow up


def test_a_batch_rejected_by_the_bank_reopens_every_payable_in_it():
    payees = run(providers(2))
    run(approved_claims(payees, 1, 10_000))
    for payee in payees:
        run(confirmed_bank(payee))
    made = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    run(runs.approve_run(APPROVER, made["id"]))
    run(release.release_run(RELEASER, made["id"]))
    report = pain002(f"{made['id']}-001", group="PART", batch="RJCT")
    result = run(status_import.import_status(FINANCE, report))
    assert result["rejected"] == 2 and result["settled"] == 0
    follow_up = run(runs.create_run(FINANCE_2, PROGRAMME, PAY_DATE))
    assert follow_up["instructions"] == 2 and follow_up["total"] == "200.00"
