"""A reconciliation world: approved claims paid by a released SEPA run, the pain.001 file read back, and
a camt.053 for that file built the way the bank would report it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree

from app.core.db import today
from app.disbursements import release, runs, sepa
from app.ledger import queries
from tests.disbursements.world import (
    APPROVER,
    DEBTOR_IBAN,
    FINANCE,
    PROGRAMME,
    RELEASER,
    approved_claims,
    confirmed_bank,
    providers,
)
from tests.reconciliation.statements import Entry, Statement, Tx
from tests.support import run

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def paid_run(tmp_path: Path, payees: int = 4, amount: int = 10_000) -> tuple[str, list[tuple[str, int, str]]]:
    """A released SEPA run; its payments as (EndToEndId, amount in minor units, creditor name) from the file."""
    ids = run(providers(payees))
    run(approved_claims(ids, 1, amount))
    for payee in ids:
        run(confirmed_bank(payee))
    created = run(runs.create_run(FINANCE, PROGRAMME, today()))
    run(runs.approve_run(APPROVER, created["id"]))
    run(release.release_run(RELEASER, created["id"]))
    payments = []
    for path in run(sepa.export_run(created["id"], tmp_path)):
        tree = etree.parse(str(path))
        for tx in tree.xpath("//p:CdtTrfTxInf", namespaces=NS):
            e2e = tx.xpath("string(p:PmtId/p:EndToEndId)", namespaces=NS)
            value = tx.xpath("string(p:Amt/p:InstdAmt)", namespaces=NS)
            name = tx.xpath("string(p:Cdtr/p:Nm)", namespaces=NS)
            payments.append((e2e, int(value.replace(".", "")), name))
    return created["id"], payments


def cash_at_bank(as_of: dt.date | None = None) -> int:
    return sum(a.balance for a in run(queries.account_balances(as_of, code="1010")))


def statement_for(payments: list[tuple[str, int, str]], sequence: int = 1, **changes) -> Statement:
    """One debit entry per payment, as booked today; `changes` maps an EndToEndId to a new amount."""
    entries = [
        Entry(
            f"BANK-{e2e}",
            changes.get(e2e, amount),
            booked=today(),
            txs=(Tx(e2e, changes.get(e2e, amount), name),),
        )
        for e2e, amount, name in payments
    ]
    return Statement(DEBTOR_IBAN, statement_id=f"STMT-{sequence:03d}", sequence=sequence,
                     opening_minor=cash_at_bank(), day=today(), entries=entries)  # fmt: skip


def returned(e2e: str, amount: int, reason: str = "AC04") -> Entry:
    return Entry(f"RTN-{e2e}", amount, debit=False, booked=today(), family="RRTN", sub_family="RRTN",
                 txs=(Tx(e2e, amount, "", reason),))  # fmt: skip
