"""`grants reconcile run --date D`: every check is computed as at D, the ledger's balances at the end of D
against the records as they stood then. One timeline, each step on its own day (tests/reconciliation/
travel.py), then every check is run as at each day afterwards and must give that day's figures:

- 1 April: three provider claims of 100.00 approved (payables 300.00); a live voucher of 50.00 issued;
- 10 April: the claims paid by a released SEPA run (in transit 300.00); a second voucher of 30.00;
- 20 April: the bank's camt.053 settles the run (cash at bank moves; in transit 0);
- 25 April: an overpayment of 12.34 raised as a receivable; a claim of 5.00 approved beyond its voucher's
  value (entitlements fail from that day on, payables 5.00, commitments 5.00 less).
"""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.ids import new_ids
from app.core.sql import Sql
from app.disbursements import release, runs, sepa
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.reconciliation import checks, service
from tests.disbursements.world import (
    APPROVER,
    FINANCE,
    FUND,
    PROGRAMME,
    RELEASER,
    approved_claims,
    confirmed_bank,
    providers,
)
from tests.reconciliation.statements import camt053
from tests.reconciliation.travel import on
from tests.reconciliation.world import NS, statement_for
from tests.support import run

APR_1, APR_10, APR_20, APR_25 = (dt.date(2026, 4, d) for d in (1, 10, 20, 25))


async def _voucher(amount: int, day: dt.date, provider: str, status: str = "active", total: int = 0) -> str:
    """A voucher row issued now (the travelled day) and its commitment in the ledger on that day."""
    [voucher] = new_ids("vch", 1)
    now = utcnow()
    async with write_transaction():
        await Sql().insert_many(
            "voucher",
            ("public_id", "kind", "decision", "participant", "provider", "mode", "fund", "programme", "currency",
             "period", "value_minor", "authorised_hours", "valid_from", "valid_until", "total_minor",
             "claimed_minor", "released_minor", "status", "status_reason", "code_index", "code_sealed",
             "holder_check", "created_by", "created_at", "updated_at"),
            [(voucher, "childcare", f"dec_{voucher[4:]}", "par_0000000000000000", provider, "provider", FUND,
              PROGRAMME, "EUR", "week", amount, 0, dt.date(2026, 1, 1), dt.date(2026, 12, 31), amount, 0, 0,
              status, "", voucher, "", "", "tests", now, now)],
        )  # fmt: skip
    commit = Operation(
        Kind.COMMIT, Target(FUND, PROGRAMME), amount, f"commit:{voucher}", day, "", "voucher", voucher
    )
    await ledger.apply_one(Actor.system(), commit)
    return voucher


async def _claim_beyond(voucher: str, provider: str, amount: int, day: dt.date) -> None:
    """An approved claim of `amount` on an exhausted voucher (no approval row: approved at submission)."""
    [claim] = new_ids("clm", 1)
    async with write_transaction():
        sql = Sql()
        await sql.insert_many(
            "voucher_claim",
            ("public_id", "provider", "period_start", "period_end", "status", "source", "currency",
             "claimed_minor", "accepted_minor", "approved_minor", "decided_reason", "submitted_by", "submitted_at"),
            [(claim, provider, dt.date(2026, 4, 1), dt.date(2026, 4, 24), "approved", "api", "EUR", amount, amount,
              amount, "", "tests", utcnow())],
        )  # fmt: skip
        await sql.insert_many(
            "voucher_claim_line",
            ("claim", "line_no", "voucher", "service_start", "service_end", "days_attended",
             "amount_claimed_minor", "amount_accepted_minor", "amount_approved_minor", "outcome", "reason",
             "message"),
            [(claim, 1, voucher, dt.date(2026, 4, 1), dt.date(2026, 4, 24), 5, amount, amount, amount, "accepted",
              "", "")],
        )  # fmt: skip
    expend = Operation(Kind.EXPEND, Target(FUND, PROGRAMME, provider), amount, f"claim:{claim}:expend", day,
                       "", "voucher_claim", claim)  # fmt: skip
    await ledger.apply_one(Actor.system(), expend)


async def _overpayment(employer: str, amount: int, day: dt.date) -> None:
    async with write_transaction():
        await Sql().insert_many(
            "wage_overpayment",
            ("public_id", "employer", "agreement", "fund", "programme", "currency", "amount_minor",
             "receivable_minor", "recovered_minor", "disallowed_minor", "status", "reason", "created_at"),
            [(new_ids("ovp", 1)[0], employer, "agr_x", FUND, PROGRAMME, "EUR", amount, amount, 0, 0, "open",
              "test", utcnow())],
        )  # fmt: skip
    raised = Operation(Kind.RECEIVABLE, Target(FUND, PROGRAMME, employer), amount, "ovp:test", day)
    await ledger.apply_one(Actor.system(), raised)


def _timeline(monkeypatch, tmp_path) -> None:
    with on(monkeypatch, APR_1):
        payees = run(providers(3))
        run(approved_claims(payees, 1, 10_000))
        [voucher_of_first] = run(_vouchers_of(payees[0]))
        for payee in payees:
            run(confirmed_bank(payee))
        run(_voucher(5_000, APR_1, payees[1]))
    with on(monkeypatch, APR_10):
        created = run(runs.create_run(FINANCE, PROGRAMME, APR_10))
        run(runs.approve_run(APPROVER, created["id"]))
        run(release.release_run(RELEASER, created["id"]))
        payments = []
        for path in run(sepa.export_run(created["id"], tmp_path)):
            for tx in etree.parse(str(path)).xpath("//p:CdtTrfTxInf", namespaces=NS):
                payments.append((tx.xpath("string(p:PmtId/p:EndToEndId)", namespaces=NS), 10_000,
                                 tx.xpath("string(p:Cdtr/p:Nm)", namespaces=NS)))  # fmt: skip
        run(_voucher(3_000, APR_10, payees[2]))
    with on(monkeypatch, APR_20):
        imported = run(service.import_statement(FINANCE, camt053(statement_for(payments))))
        assert imported["matched_bookings"] == 3, imported
    with on(monkeypatch, APR_25):
        run(_overpayment(payees[0], 1_234, APR_25))
        run(_claim_beyond(voucher_of_first, payees[0], 500, APR_25))


async def _vouchers_of(provider: str) -> list[str]:
    async with write_transaction():
        rows = await Sql().fetch("SELECT public_id FROM voucher WHERE provider = $1", provider)
    return [r["public_id"] for r in rows]


async def _as_of(day: dt.date) -> dict[str, checks.CheckResult]:
    async with write_transaction():
        return {r.name: r for r in await checks.run_all(Sql(), day)}


# check -> day -> (holds, ledger figure, records figure)
EXPECTED = {
    "in_transit": {APR_1: (True, 0, 0), APR_10: (True, 30_000, 30_000), APR_20: (True, 0, 0),
                   APR_25: (True, 0, 0)},
    "payables": {APR_1: (True, 30_000, 30_000), APR_10: (True, 0, 0), APR_20: (True, 0, 0),
                 APR_25: (True, 500, 500)},
    "commitments": {APR_1: (True, 5_000, 5_000), APR_10: (True, 8_000, 8_000), APR_20: (True, 8_000, 8_000),
                    APR_25: (True, 7_500, 7_500)},
    "entitlements": {APR_1: (True, 0, 0), APR_10: (True, 0, 0), APR_20: (True, 0, 0), APR_25: (False, 500, 0)},
    "receivables": {APR_1: (True, 0, 0), APR_10: (True, 0, 0), APR_20: (True, 0, 0),
                    APR_25: (True, 1_234, 1_234)},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_check_as_at_a_date_gives_the_figures_of_that_date(monkeypatch, tmp_path, name):
    _timeline(monkeypatch, tmp_path)
    for day, (holds, books, records) in EXPECTED[name].items():
        result = run(_as_of(day))[name]
        assert (result.ok, result.books_minor, result.records_minor) == (holds, books, records), (day, result)


def test_the_bank_check_as_at_a_date_reads_that_date(monkeypatch, tmp_path):
    _timeline(monkeypatch, tmp_path)
    before = run(_as_of(APR_10))["bank_balance"]
    assert before.ok and before.note == "no bank statement imported yet"
    after = run(_as_of(APR_25))["bank_balance"]
    assert after.ok and after.books_minor == after.records_minor == 10**12 - 30_000


def test_the_run_command_path_takes_the_date(monkeypatch, tmp_path):
    """service.run (what `grants reconcile run --date D` calls) records the as-of date and its figures."""
    _timeline(monkeypatch, tmp_path)
    result = run(service.run(FINANCE, APR_10))
    assert result["as_of"] == APR_10 and result["ok"]
    transit = next(c for c in result["checks"] if c["name"] == "in_transit")
    assert transit["ledger"] == "300.00"
