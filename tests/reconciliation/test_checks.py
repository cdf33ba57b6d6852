"""Each named check holds on a reconciled world and fails when its invariant is broken directly in the
database (each case says which row it broke); the failure becomes one failed_check exception with the drift
as evidence, refreshed (not copied) by the next run, and cleared once the check holds again."""

from __future__ import annotations

import pytest

from app.core.db import write_transaction
from app.core.sql import Sql
from app.reconciliation import queries, service
from tests.disbursements.world import FINANCE
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, statement_for
from tests.support import run


async def _sql(statement: str, *args) -> None:
    async with write_transaction():
        await Sql().execute(statement, *args)


def _reconciled(tmp_path, settle: bool = True) -> list[tuple[str, int, str]]:
    _, payments = paid_run(tmp_path, payees=3)
    if settle:
        run(service.import_statement(FINANCE, camt053(statement_for(payments))))
    result = run(service.run(FINANCE))
    assert result["ok"], [c for c in result["checks"] if not c["ok"]]
    return payments


def _failed(result: dict) -> dict[str, dict]:
    return {c["name"]: c for c in result["checks"] if not c["ok"]}


BREAKS = {
    # the bank's closing balance of the imported statement, one euro lower
    "bank_balance": ("UPDATE recon_statement SET closing_minor = closing_minor - 100", (), 100),
    # one settled instruction set back to submitted without any posting: records say 1 in transit
    "in_transit": ("UPDATE payment_instruction SET state = 'submitted', settled_at = NULL WHERE public_id = $1",
                   ("first",), -10_000),
    # one approved claim line raised by 1 cent: the records owe more than the ledger's payable
    "payables": ("UPDATE voucher_claim_line SET amount_approved_minor = amount_approved_minor + 1 "
                 "WHERE id = (SELECT MIN(id) FROM voucher_claim_line)", (), -1),
    # one voucher's value raised by 5.00 that the ledger never committed
    "commitments": ("UPDATE voucher SET total_minor = total_minor + 500 WHERE id = (SELECT MIN(id) FROM voucher)", (), -500),
    # one voucher's value cut to 1 cent: its approved claim now exceeds the entitlement
    "entitlements": ("UPDATE voucher SET total_minor = 1 WHERE id = (SELECT MIN(id) FROM voucher)", (), 9_999),
    # an overpayment recorded as paid (receivable 12.34) that the ledger never raised
    "receivables": ("INSERT INTO wage_overpayment (public_id, employer, agreement, fund, programme, currency, "
                    "amount_minor, receivable_minor, recovered_minor, disallowed_minor, status, reason, created_at) "
                    "VALUES ('ovp_test', 'emp_x', 'agr_x', 'ESF', 'CHILDCARE', 'EUR', 1234, 1234, 0, 0, 'open', 'test', "
                    "CURRENT_TIMESTAMP)", (), -1234),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_each_check_fails_when_its_invariant_is_broken(tmp_path, name):
    payments = _reconciled(tmp_path)
    statement, args, drift = BREAKS[name]
    run(_sql(statement, *[payments[0][0] if a == "first" else a for a in args]))
    result = run(service.run(FINANCE))
    failed = _failed(result)
    assert name in failed, result["checks"]
    assert failed[name]["drift_minor"] == drift and failed[name]["evidence"]
    open_ = run(queries.list_exceptions(FINANCE, kind="failed_check", state="open"))["data"]
    assert [e["check"] for e in open_ if e["check"] == name] == [name]
    again = run(service.run(FINANCE))
    assert again["exceptions_opened"] == 0 or name == "entitlements"  # same facts: refreshed, not copied
    same = run(queries.list_exceptions(FINANCE, kind="failed_check", state="open"))["data"]
    assert [e["id"] for e in same if e["check"] == name] == [e["id"] for e in open_ if e["check"] == name]


def test_a_settled_instruction_paying_an_unapproved_claim_fails_entitlements(tmp_path):
    _reconciled(tmp_path)
    # the first claim, already paid by a settled instruction, set back to rejected
    run(_sql("UPDATE voucher_claim SET status = 'rejected' WHERE id = (SELECT MIN(id) FROM voucher_claim)"))
    failed = _failed(run(service.run(FINANCE)))
    assert "entitlements" in failed
    assert any("claim" in e and e["approved"] == "0.00" for e in failed["entitlements"]["evidence"])


def test_a_failed_check_clears_itself_once_it_holds_again(tmp_path):
    _reconciled(tmp_path)
    run(_sql("UPDATE recon_statement SET closing_minor = closing_minor - 100"))
    run(service.run(FINANCE))
    run(_sql("UPDATE recon_statement SET closing_minor = closing_minor + 100"))
    result = run(service.run(FINANCE))
    assert result["ok"] and result["exceptions_cleared"] == 1
    cleared = run(queries.list_exceptions(FINANCE, kind="failed_check"))["data"][0]
    assert cleared["state"] == "resolved" and cleared["resolution"] == "cleared"
