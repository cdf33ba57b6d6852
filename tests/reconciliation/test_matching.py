"""Matching strategies and rules, on the pure matcher and through the service: a batch booking (by its
payments' EndToEndIds or by our file's MsgId), one instruction paid in two bookings, a duplicate, a
tolerance proposal confirmed by hand under four eyes, an instruction the bank never shows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from app.core.errors import Forbidden, ValidationFailed
from app.disbursements import runs
from app.reconciliation import matching, queries, resolutions, service
from app.reconciliation.config import Tolerances
from app.reconciliation.matching import BookingIn, InstructionIn, Tx
from tests.disbursements.world import APPROVER, FINANCE
from tests.reconciliation.statements import Entry, camt053
from tests.reconciliation.statements import Tx as Paid
from tests.reconciliation.world import paid_run, statement_for
from tests.support import run

DAY = dt.date(2030, 1, 16)


def _ins(n: int, amount: int = 10_000, name: str = "Little Stars Ltd") -> InstructionIn:
    return InstructionIn(
        f"pin_{n}", amount, "EUR", name, DAY - dt.timedelta(days=1), "submitted", "prn_1-001"
    )


def _booking(n: int, amount: int, txs=(), batch: str = "", name: str = "") -> BookingIn:
    return BookingIn(f"bkg_{n}", -amount, "EUR", DAY, "payment", tuple(txs), batch, name)


def test_batch_booking_by_end_to_end_ids_is_one_to_many():
    ins = {i.instruction: i for i in (_ins(1), _ins(2, 5_000))}
    b = _booking(1, 15_000, [Tx("pin_1", 10_000, "", ""), Tx("pin_2", 5_000, "", "")])
    out = matching.match([b], ins, {}, Tolerances())
    assert [(m.strategy, m.rule, len(m.links)) for m in out.matches] == [("one_to_many", "end_to_end_id", 2)]
    assert out.findings == [] and out.booking_state == {"bkg_1": "matched"}


def test_batch_booking_by_message_id_pays_the_whole_file():
    ins = {i.instruction: i for i in (_ins(1), _ins(2, 5_000))}
    b = _booking(1, 15_000, batch="prn_1-001")
    out = matching.match([b], ins, {}, Tolerances(), {"prn_1-001": ["pin_1", "pin_2"]})
    assert [(m.strategy, m.rule) for m in out.matches] == [("one_to_many", "batch_message_id")]
    short = matching.match(
        [_booking(2, 14_999, batch="prn_1-001")], ins, {}, Tolerances(), {"prn_1-001": ["pin_1", "pin_2"]}
    )
    assert short.matches == [] and [f.kind for f in short.findings] == ["unmatched_booking"]


def test_two_bookings_paying_one_instruction_are_many_to_one():
    ins = {"pin_1": _ins(1)}
    parts = [
        _booking(1, 4_000, [Tx("pin_1", 4_000, "", "")]),
        _booking(2, 6_000, [Tx("pin_1", 6_000, "", "")]),
    ]
    out = matching.match(parts, ins, {}, Tolerances())
    assert [(m.strategy, len(m.links)) for m in out.matches] == [("many_to_one", 2)]


def test_the_same_payment_twice_is_a_duplicate_and_a_paid_instruction_is_not_paid_again():
    ins = {"pin_1": _ins(1)}
    twice = [_booking(1, 10_000, [Tx("pin_1", 0, "", "")]), _booking(2, 10_000, [Tx("pin_1", 0, "", "")])]
    out = matching.match(twice, ins, {}, Tolerances())
    assert [f.kind for f in out.findings] == ["duplicate"] and out.matches == []
    later = matching.match(
        [_booking(3, 10_000, [Tx("pin_1", 0, "", "")])], ins, {"pin_1": "bkg_0"}, Tolerances()
    )
    assert [f.kind for f in later.findings] == ["duplicate"]
    assert later.findings[0].evidence["already_paid_by"] == "bkg_0"


def test_tolerance_rules_only_propose():
    ins = {i.instruction: i for i in (_ins(1, 10_000, "Little Stars Ltd"), _ins(2, 10_000, "Other Ltd"))}
    rules = Tolerances(amount_minor=5, days=3, name_similarity=0.8)
    out = matching.match([_booking(1, 10_003, name="LITTLE STARS LTD")], ins, {}, rules)
    assert [(m.rule, m.proposed, m.links[0].instruction) for m in out.matches] == [
        ("tolerance", True, "pin_1")
    ]
    assert "name similarity 1.00" in out.matches[0].why and out.findings[0].kind == "unmatched_booking"
    far = matching.match([_booking(1, 10_010, name="Little Stars Ltd")], ins, {}, rules)
    assert far.matches == [] and far.findings[0].evidence.get("proposed_instruction") is None


def test_a_proposal_is_confirmed_by_hand_under_four_eyes(tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTS_RECON_AMOUNT_TOLERANCE_MINOR", "0")
    _, payments = paid_run(tmp_path, payees=2)
    statement = statement_for(payments)
    e2e, amount, _ = payments[0]
    statement.entries[0] = Entry(f"BANK-{e2e}", amount, booked=statement.day, txs=(Paid("", amount, ""),))
    run(service.import_statement(FINANCE, camt053(statement)))
    [found] = run(queries.list_exceptions(FINANCE, kind="unmatched_booking"))["data"]
    assert found["evidence"]["proposed_instruction"] == e2e
    with pytest.raises(ValidationFailed):
        run(resolutions.resolve(FINANCE, found["id"], "matched_by_hand", " "))  # a reason is needed
    proposed = run(resolutions.resolve(FINANCE, found["id"], "matched_by_hand", "remittance shows the claim"))
    assert proposed["state"] == "pending_resolution"  # it settles the instruction: money moves
    with pytest.raises(Forbidden):
        run(resolutions.approve(FINANCE, found["id"]))
    assert run(resolutions.approve(APPROVER, found["id"]))["state"] == "resolved"
    assert run(runs.get_instruction(FINANCE, e2e))["state"] == "settled"
    detail = run(queries.get_exception(FINANCE, found["id"]))
    assert [m["rule"] for m in detail["matches"] if m["status"] == "confirmed"] == ["by_hand"]
    assert run(service.run(FINANCE))["ok"]


def test_an_instruction_no_statement_shows_becomes_an_exception_and_clears_when_shown(tmp_path):
    _, payments = paid_run(tmp_path, payees=2)
    later = statement_for(payments[:1])
    later.day = later.day + dt.timedelta(days=7)
    later.entries = [dataclasses.replace(e, booked=later.day) for e in later.entries]
    run(service.import_statement(FINANCE, camt053(later)))
    run(service.run(FINANCE, later.day))
    [missing] = run(queries.list_exceptions(FINANCE, kind="unmatched_instruction"))["data"]
    assert missing["instruction"] == payments[1][0]
    shown = statement_for(payments[1:], sequence=2)
    shown.opening_minor, shown.day = later.closing(), later.day
    shown.entries = [dataclasses.replace(e, booked=later.day) for e in shown.entries]
    run(service.import_statement(FINANCE, camt053(shown)))
    result = run(service.run(FINANCE, later.day))
    assert result["ok"], result["checks"]
    cleared = run(queries.get_exception(FINANCE, missing["id"]))
    assert (cleared["state"], cleared["resolution"]) == ("resolved", "cleared")
