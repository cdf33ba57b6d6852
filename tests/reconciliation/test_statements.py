"""Statement files: our streaming parser reads what pycamt reads; bad files are refused with the line or
element and nothing is imported; imports are idempotent, overlapping exports count each booking once; a
camt.054 return notification becomes a return exception."""

from __future__ import annotations

import datetime as dt

import pytest
from pycamt.parser import Camt053Parser

from app.core.errors import ValidationFailed
from app.reconciliation import camt, queries, service
from tests.disbursements.world import DEBTOR_IBAN, FINANCE
from tests.reconciliation.statements import Entry, Statement, Tx, camt053, camt054
from tests.reconciliation.world import paid_run, returned, statement_for
from tests.support import row_counts, run

OTHER_IBAN = "DE02120300000000202051"


def _sample() -> Statement:
    return Statement(
        DEBTOR_IBAN,
        opening_minor=1_000_000,
        entries=[
            Entry("R1", 12_345, txs=(Tx("pin_a", 12_345, "Little Stars Ltd"),)),
            Entry("R2", 30_000, txs=(Tx("pin_b", 10_000, "B"), Tx("pin_c", 20_000, "C"))),
            Entry(
                "R3",
                5_000,
                debit=False,
                family="RRTN",
                sub_family="RRTN",
                txs=(Tx("pin_d", 5_000, "", "AC04"),),
            ),
            Entry("R4", 250, family="CHRG", sub_family="BCHG", info="bank charges"),
        ],
    )


def test_the_parser_reads_what_pycamt_reads():
    data = camt053(_sample())
    ours = camt.parse(data)
    theirs = Camt053Parser(data).get_transactions()
    flat = []
    for e in ours.entries:
        for t in e.txs or (None,):
            flat.append(
                (e.reference, t.end_to_end_id if t else None, t.amount_minor if t else abs(e.amount_minor))
            )
    assert flat == [
        (t["TransactionID"], t.get("EndToEndId"), int(t["Amount"].replace(".", ""))) for t in theirs
    ]
    assert (
        ours.balance("OPBD").amount_minor == 1_000_000
        and ours.balance("CLBD").amount_minor == 1_000_000 - 37_595
    )
    assert ours.entries[2].is_return and ours.entries[2].txs[0].return_reason == "AC04"
    assert [e.amount_minor for e in ours.entries] == [-12_345, -30_000, 5_000, -250]


def _refused(data: bytes, code: str, where: str) -> None:
    before = run(row_counts())
    with pytest.raises(ValidationFailed) as info:
        run(service.import_statement(FINANCE, data))
    assert info.value.code == code, info.value.message
    assert where in f"{info.value.message} {info.value.param}", info.value.message
    assert run(row_counts()) == before  # nothing imported


def test_bad_statements_are_refused_with_where_and_nothing_is_imported():
    good = camt053(_sample())
    _refused(good.replace(b"</Ntry>", b"</Ntr>", 1), "invalid_xml", "line 9")
    _refused(camt053(Statement(OTHER_IBAN)), "unknown_account", "Acct/Id/IBAN")
    three = _sample()
    three.entries[0] = Entry("R1", 12_345, raw_amount="123.455", txs=(Tx("pin_a", 12_345),))
    _refused(camt053(three), "invalid_amount", "line 9: Ntry/Amt: '123.455' has more than 2 decimals")
    _refused(b"<Document><Other/></Document>", "not_a_statement", "Other")
    wrong = _sample()
    wrong.closing_minor = 1
    _refused(camt053(wrong), "statement_does_not_add_up", "Bal")


def test_a_gap_in_statement_numbers_is_refused():
    run(service.import_statement(FINANCE, camt053(Statement(DEBTOR_IBAN, statement_id="S1", sequence=1))))
    _refused(
        camt053(Statement(DEBTOR_IBAN, statement_id="S3", sequence=3)),
        "statement_gap",
        "statement 3 follows statement 1: statement(s) 2",
    )
    run(service.import_statement(FINANCE, camt053(Statement(DEBTOR_IBAN, statement_id="S2", sequence=2))))


def test_the_same_file_and_overlapping_exports_count_each_booking_once(tmp_path):
    _, payments = paid_run(tmp_path, payees=3)
    first = statement_for(payments[:2])
    assert run(service.import_statement(FINANCE, camt053(first)))["new_bookings"] == 2
    assert run(service.import_statement(FINANCE, camt053(first)))["already_imported"] is True
    overlapping = statement_for(payments)  # a re-export of the day, with one entry more
    overlapping.statement_id, overlapping.opening_minor = first.statement_id, first.opening_minor
    result = run(service.import_statement(FINANCE, camt053(overlapping)))
    assert result["new_bookings"] == 1 and result["already_known"] == 2
    assert run(service.run(FINANCE))["ok"]


def test_a_camt054_return_becomes_a_return_exception(tmp_path):
    _, payments = paid_run(tmp_path, payees=2)
    run(service.import_statement(FINANCE, camt053(statement_for(payments))))
    e2e, amount, _ = payments[0]
    result = run(
        service.import_statement(FINANCE, camt054(DEBTOR_IBAN, "NTF-1", [returned(e2e, amount, "MD07")]))
    )
    assert result["kind"] == "camt.054" and result["exception_bookings"] == 1
    found = run(queries.list_exceptions(FINANCE, kind="return"))["data"]
    assert [(e["instruction"], e["evidence"]["return_reason"]) for e in found] == [(e2e, "MD07")]


def test_statement_dates_and_amounts_are_exact():
    statement = camt.parse(camt053(Statement(DEBTOR_IBAN, opening_minor=-5, day=dt.date(2030, 2, 1))))
    assert statement.balance("OPBD") == camt.Balance("OPBD", -5, dt.date(2030, 2, 1))
