"""The named checks that run every time (`grants reconcile run`): each compares a figure of the ledger with
the same figure built from the records it summarises, and reports the drift with evidence when they differ.

- bank_balance: the bank's closing balance in the latest statement = the ledger's cash at bank (1010) at
  that date;
- in_transit: payments in transit (2120) = the instructions submitted and not yet settled;
- payables: payables (2110) = approved, unpaid claims (provider and employer) and stipends due, less what
  instructions already took to the bank;
- commitments: committed budget (8300) = what live vouchers and agreements still hold;
- entitlements: no voucher's or agreement's approved claims exceed it; every settled instruction pays only
  approved amounts;
- receivables: receivables (1310) = overpayments paid and not yet recovered.

Every check is computed as at a date D (`grants reconcile run --date D`, today by default): the ledger's
balances at the end of D, and the records as they stood then (instructions submitted, settled or ended
before the end of D, claims approved by then, vouchers issued and stipends paid by then …; see the
`until` reads of each domain).

Ledger balances are debit positive: a liability's or a credit-normal budget account's figure is minus its
balance. A balance as at D is the account's kept balance (the sum of all its postings, kept in each posting
transaction) less the postings dated after D: exact, and it reads only the postings after D (`grants
ledger verify` checks that kept balances equal their postings). Reads only; one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from app.core.db import end_of_day
from app.core.sql import Sql
from app.disbursements import reads as payments
from app.ledger import chart
from app.reconciliation.matching import money
from app.vouchers import payables as voucher_payables
from app.vouchers import standing as vouchers
from app.wage_subsidies import payables as wage_payables
from app.wage_subsidies import standing as agreements

EVIDENCE_ROWS = 20


class CheckResult(NamedTuple):
    name: str
    title: str
    ok: bool
    currency: str
    books_minor: int  # what the ledger says
    records_minor: int  # what the records (statement, instructions, claims …) say
    evidence: tuple[dict[str, Any], ...] = ()
    note: str = ""

    @property
    def drift_minor(self) -> int:
        return self.books_minor - self.records_minor

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "currency": self.currency,
            "ledger": money(self.books_minor),
            "records": money(self.records_minor),
            "drift": money(self.drift_minor),
            "drift_minor": self.drift_minor,
            "evidence": list(self.evidence),
            "note": self.note,
        }


_LEDGER_GROUP = (
    "FROM ledger_account a JOIN ledger_chart ch ON ch.id = a.chart JOIN ledger_fund f ON f.id = a.fund "
    "JOIN ledger_programme p ON p.id = a.programme"
)
_LEDGER_KEY = "a.currency, f.code AS fund, p.code AS programme, a.party"


async def _ledger_by(sql: Sql, code: str, as_of: dt.date) -> dict[tuple[str, str, str, str], int]:
    """Balance per (currency, fund, programme, party) of one chart code at the end of `as_of`: the kept
    balance less the postings dated after `as_of`."""
    kept = await sql.fetch(
        f"SELECT {_LEDGER_KEY}, SUM(a.balance) AS balance {_LEDGER_GROUP} WHERE ch.code = $1 "
        "GROUP BY a.currency, f.code, p.code, a.party",
        code,
    )
    later = await sql.fetch(
        f"SELECT {_LEDGER_KEY}, SUM(t.amount) AS balance {_LEDGER_GROUP} "
        "JOIN ledger_posting t ON t.account = a.id WHERE ch.code = $1 AND t.effective_date > $2 "
        "GROUP BY a.currency, f.code, p.code, a.party",
        code,
        as_of if sql.postgres else as_of.isoformat(),
    )
    out: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for rows, sign in ((kept, 1), (later, -1)):
        for r in rows:
            out[(r["currency"], r["fund"], r["programme"], r["party"])] += sign * int(r["balance"] or 0)
    return dict(out)


async def ledger_from_postings(sql: Sql, code: str, as_of: dt.date) -> dict[tuple[str, str, str, str], int]:
    """The same balances summed from every posting dated up to `as_of` (what `_ledger_by` must equal;
    the benchmark compares them)."""
    rows = await sql.fetch(
        f"SELECT {_LEDGER_KEY}, SUM(t.amount) AS balance {_LEDGER_GROUP} "
        "JOIN ledger_posting t ON t.account = a.id WHERE ch.code = $1 AND t.effective_date <= $2 "
        "GROUP BY a.currency, f.code, p.code, a.party",
        code,
        as_of if sql.postgres else as_of.isoformat(),
    )
    return {(r["currency"], r["fund"], r["programme"], r["party"]): int(r["balance"] or 0) for r in rows}


def _by_currency(balances: dict[tuple, int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, amount in balances.items():
        out[key[0]] += amount
    return dict(out)


def _differences(books: dict, records: dict, label: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    """The keys where the ledger and the records differ, biggest first."""
    rows = []
    for key in set(books) | set(records):
        drift = books.get(key, 0) - records.get(key, 0)
        if drift:
            rows.append((-abs(drift), key, drift))
    rows.sort()
    return tuple(
        dict(zip(label, key, strict=True))
        | {"ledger": money(books.get(key, 0)), "records": money(records.get(key, 0)), "drift": money(drift)}
        for _, key, drift in rows[:EVIDENCE_ROWS]
    )


def _per_currency(
    name: str,
    title: str,
    books: dict[tuple, int],
    records: dict[tuple, int],
    label: tuple[str, ...],
    note: str = "",
) -> list[CheckResult]:
    currencies = sorted({k[0] for k in books} | {k[0] for k in records}) or ["EUR"]
    out = []
    for currency in currencies:
        b = {k: v for k, v in books.items() if k[0] == currency}
        r = {k: v for k, v in records.items() if k[0] == currency}
        total_b, total_r = sum(b.values()), sum(r.values())
        evidence = _differences(b, r, label)
        out.append(
            CheckResult(
                name, title, not evidence and total_b == total_r, currency, total_b, total_r, evidence, note
            )
        )
    return out


async def bank_balance(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    """The latest camt.053 closing balance of each account, on or before `as_of`, against cash at bank."""
    rows = await sql.fetch(
        "SELECT s.account, s.currency, s.closing_minor, s.closing_date, s.public_id FROM recon_statement s "
        "WHERE s.kind = 'camt.053' AND s.closing_minor IS NOT NULL AND s.closing_date <= $1 "
        "ORDER BY s.closing_date DESC, s.sequence DESC, s.id DESC",
        as_of if sql.postgres else as_of.isoformat(),
    )
    latest: dict[str, dict] = {}
    for r in rows:
        latest.setdefault(r["currency"], r)  # one bank account per currency
    title = "Bank closing balance = ledger cash at bank"
    if not latest:
        return [CheckResult("bank_balance", title, True, "EUR", 0, 0, (), "no bank statement imported yet")]
    out = []
    for currency, r in sorted(latest.items()):
        day = (
            r["closing_date"]
            if isinstance(r["closing_date"], dt.date)
            else dt.date.fromisoformat(r["closing_date"])
        )
        books = _by_currency(await _ledger_by(sql, chart.CASH, day)).get(currency, 0)
        statement = int(r["closing_minor"])
        evidence = (
            ({"account": r["account"], "statement": r["public_id"], "date": day.isoformat(),
              "bank_closing": money(statement), "ledger_1010": money(books)},)
            if books != statement else ()
        )  # fmt: skip
        note = f"statement {r['public_id']} of {r['account']}, closing {day.isoformat()}"
        out.append(
            CheckResult("bank_balance", title, books == statement, currency, books, statement, evidence, note)
        )
    return out


async def in_transit(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    # keyed by currency alone (the account has no party): minus the balance of a credit-normal account
    books = {(c,): -v for c, v in _by_currency(await _ledger_by(sql, chart.IN_TRANSIT, as_of)).items()}
    until = end_of_day(as_of)
    records = {(c,): amount for c, (_, amount) in (await payments.in_transit(sql, until)).items()}
    return _per_currency(
        "in_transit",
        "Payments in transit = instructions submitted, not settled",
        books,
        records,
        ("currency",),
    )


async def _approved_payables(sql: Sql, as_of: dt.date) -> dict[tuple[str, str, str, str], int]:
    out: dict[tuple[str, str, str, str], int] = defaultdict(int)
    until = end_of_day(as_of)
    found = [
        *await voucher_payables.approved_claims(sql, None, None, until),
        *await voucher_payables.stipends(sql, None, None, until),
        *await wage_payables.approved_claims(sql, None, None, until),
    ]
    posted = await payments.posted_lines(sql, until)
    for p in found:
        left = p.amount_minor - posted.get((p.payee, p.fund, p.programme, p.key), 0)
        if left:
            out[(p.currency, p.fund, p.programme, p.payee)] += left
    return dict(out)


async def payables(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    books = {k: -v for k, v in (await _ledger_by(sql, chart.PAYABLE, as_of)).items() if v}
    records = {k: v for k, v in (await _approved_payables(sql, as_of)).items() if v}
    return _per_currency(
        "payables",
        "Payables = approved, unpaid claims and stipends due",
        books,
        records,
        ("currency", "fund", "programme", "payee"),
    )


async def commitments(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    books: dict[tuple, int] = defaultdict(int)
    for (currency, fund, programme, _), v in (await _ledger_by(sql, chart.COMMITTED, as_of)).items():
        books[(currency, fund, programme)] -= v  # a credit-normal account: what is held is minus its balance
    records: dict[tuple, int] = defaultdict(int)
    until = end_of_day(as_of)
    for source in (await vouchers.commitments(sql, until), await agreements.commitments(sql, until)):
        for (fund, programme, currency), v in source.items():
            records[(currency, fund, programme)] += v
    return _per_currency(
        "commitments",
        "Commitments = what live vouchers and agreements still hold",
        {k: v for k, v in books.items() if v},
        {k: v for k, v in records.items() if v},
        ("currency", "fund", "programme"),
    )


async def entitlements(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    until = end_of_day(as_of)
    over = [
        *await vouchers.over_entitlement(sql, until=until),
        *await agreements.over_entitlement(sql, until=until),
    ]
    lines = await payments.settled_lines(sql, until)
    approved = {
        **{f"voucher_claim:{k}": v for k, v in (await vouchers.approved_amounts(
            sql, [r["source_id"] for r in lines if r["source_type"] == "voucher_claim"], until)).items()},
        **{f"wage_claim:{k}": v for k, v in (await agreements.approved_amounts(
            sql, [r["source_id"] for r in lines if r["source_type"] == "wage_claim"], until)).items()},
    }  # fmt: skip
    paid: dict[str, int] = defaultdict(int)
    for r in lines:
        if r["source_type"] in ("voucher_claim", "wage_claim"):
            paid[f"{r['source_type']}:{r['source_id']}"] += int(r["amount"])
    unapproved = [
        {"claim": key.split(":", 1)[1], "paid": money(amount), "approved": money(approved.get(key, 0))}
        for key, amount in sorted(paid.items())
        if amount > approved.get(key, 0)
    ]
    excess = sum(o["approved_minor"] - o["entitlement_minor"] for o in over)
    excess += sum(
        amount - approved.get(key, 0) for key, amount in paid.items() if amount > approved.get(key, 0)
    )
    evidence = tuple(
        [{k: (money(v) if k.endswith("_minor") else v) for k, v in o.items()} for o in over][:EVIDENCE_ROWS]
        + unapproved[:EVIDENCE_ROWS]
    )
    return [
        CheckResult(
            "entitlements",
            "Approved claims within entitlements; settled payments pay only approved amounts",
            not evidence,
            "EUR",
            excess,
            0,
            evidence,
            "ledger = the amount beyond entitlements or approvals",
        )
    ]


async def receivables(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    books = {k: v for k, v in (await _ledger_by(sql, chart.RECEIVABLE, as_of)).items() if v}
    records = {}
    currency_of = {(k[1], k[2]): k[0] for k in books}
    for (fund, programme, employer), v in (await agreements.receivables(sql, end_of_day(as_of))).items():
        if v:
            records[(currency_of.get((fund, programme), "EUR"), fund, programme, employer)] = v
    return _per_currency(
        "receivables",
        "Receivables = overpayments not yet recovered",
        books,
        records,
        ("currency", "fund", "programme", "party"),
    )


CHECKS: tuple[tuple[str, Callable[[Sql, dt.date], Awaitable[list[CheckResult]]]], ...] = (
    ("bank_balance", bank_balance),
    ("in_transit", in_transit),
    ("payables", payables),
    ("commitments", commitments),
    ("entitlements", entitlements),
    ("receivables", receivables),
)


async def run_all(sql: Sql, as_of: dt.date) -> list[CheckResult]:
    out: list[CheckResult] = []
    for _, check in CHECKS:
        out += await check(sql, as_of)
    return out
