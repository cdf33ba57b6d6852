"""Reading the ledger: entries, balances, trial balance, budget position, account history.

Current figures come from the balances kept with the accounts (a few hundred rows, whatever the number
of postings); figures at a past date are summed from postings through the (account, date) index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.core.db import as_date, raw
from app.core.errors import NotFound, ValidationFailed
from app.ledger import chart as c
from app.ledger.entries import PostedEntry, entry_public_id, load_entries


async def list_entries(
    limit: int, starting_after: int | None = None, *, reference_id: str | None = None, kind: str | None = None
) -> tuple[list[PostedEntry], bool]:
    where, args = ["1 = 1"], []
    if starting_after is not None:
        where.append("id < {}")
        args.append(starting_after)
    if reference_id:
        where.append("reference_id = {}")
        args.append(reference_id)
    if kind:
        where.append("kind = {}")
        args.append(kind)
    rows = await raw(
        f"SELECT id FROM ledger_entry WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT {{}}",
        *args,
        limit + 1,
    )
    seqs = [r["id"] for r in rows]
    return await load_entries(seqs[:limit]), len(seqs) > limit


# --- balances ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    id: str
    code: str
    name: str
    account_type: str
    track: str
    fund: str
    programme: str
    party: str
    currency: str
    balance: int  # debit positive
    debit: int
    credit: int


_ACCOUNTS_SQL = (
    "SELECT a.id, ch.code, ch.name, ch.account_type, ch.track, f.code AS fund, p.code AS programme, a.party, "
    "a.currency, a.balance FROM ledger_account a JOIN ledger_chart ch ON ch.id = a.chart "
    "JOIN ledger_fund f ON f.id = a.fund JOIN ledger_programme p ON p.id = a.programme"
)


def account_public_id(account_id: int) -> str:
    return f"acc_{account_id}"


def parse_account_id(value: str) -> int:
    head, _, tail = value.partition("_")
    if head != "acc" or not tail.isdigit() or len(tail) > 18:
        raise NotFound("account")
    return int(tail)


def _balance_row(row: dict, balance: int) -> AccountBalance:
    return AccountBalance(
        id=account_public_id(row["id"]),
        code=row["code"],
        name=row["name"],
        account_type=row["account_type"],
        track=row["track"],
        fund=row["fund"],
        programme=row["programme"],
        party=row["party"],
        currency=row["currency"],
        balance=balance,
        debit=max(balance, 0),
        credit=max(-balance, 0),
    )


async def _balances_at(as_of: dt.date | None) -> dict[int, int] | None:
    if as_of is None:
        return None
    rows = await raw(
        "SELECT account, SUM(amount) AS total FROM ledger_posting WHERE effective_date <= {} "
        "GROUP BY account",
        as_of,
    )
    return {r["account"]: int(r["total"]) for r in rows}


async def account_balances(
    as_of: dt.date | None = None,
    *,
    fund: str | None = None,
    programme: str | None = None,
    code: str | None = None,
    party: str | None = None,
) -> list[AccountBalance]:
    where, args = ["1 = 1"], []
    for column, value in (("f.code", fund), ("p.code", programme), ("ch.code", code), ("a.party", party)):
        if value is not None:
            where.append(f"{column} = {{}}")
            args.append(value)
    rows = await raw(
        f"{_ACCOUNTS_SQL} WHERE {' AND '.join(where)} ORDER BY ch.code, f.code, p.code, a.party", *args
    )
    at = await _balances_at(as_of)
    return [_balance_row(r, r["balance"] if at is None else at.get(r["id"], 0)) for r in rows]


async def get_account(account_id: int) -> AccountBalance:
    rows = await raw(f"{_ACCOUNTS_SQL} WHERE a.id = {{}}", account_id)
    if not rows:
        raise NotFound("account")
    return _balance_row(rows[0], rows[0]["balance"])


@dataclass(frozen=True)
class TrialBalanceLine:
    code: str
    name: str
    track: str
    currency: str
    fund: str | None
    programme: str | None
    debit: int
    credit: int


@dataclass(frozen=True)
class TrialBalance:
    as_of: dt.date | None
    lines: list[TrialBalanceLine]
    totals: dict[str, dict[str, int]]  # currency -> {"debit", "credit"}
    balanced: bool


GROUPINGS = ("code", "fund_programme", "account")


async def trial_balance(as_of: dt.date | None = None, group: str = "code") -> TrialBalance:
    """Debit and credit balances by chart code (or per fund x programme, or per account), with totals
    per currency. A ledger that balances shows equal debit and credit totals in each currency."""
    if group not in GROUPINGS:
        raise ValidationFailed("invalid_grouping", f"group must be one of {', '.join(GROUPINGS)}", "group")
    sums: dict[tuple, int] = defaultdict(int)
    names: dict[str, tuple[str, str]] = {}
    for b in await account_balances(as_of):
        dims = {
            "code": (None, None),
            "fund_programme": (b.fund, b.programme),
            "account": (b.fund, f"{b.programme}{'/' + b.party if b.party else ''}"),
        }[group]
        sums[(b.code, b.currency, *dims)] += b.balance
        names[b.code] = (b.name, b.track)
    lines, totals = [], defaultdict(lambda: {"debit": 0, "credit": 0})
    for (code, currency, fund, programme), balance in sorted(
        sums.items(), key=lambda kv: [str(k) for k in kv[0]]
    ):
        line = TrialBalanceLine(
            code, names[code][0], names[code][1], currency, fund, programme, max(balance, 0), max(-balance, 0)
        )
        lines.append(line)
        totals[currency]["debit"] += line.debit
        totals[currency]["credit"] += line.credit
    balanced = all(t["debit"] == t["credit"] for t in totals.values())
    return TrialBalance(as_of, lines, dict(totals), balanced)


@dataclass(frozen=True)
class BudgetPosition:
    fund: str
    programme: str
    currency: str
    budget: int
    committed: int
    expended: int
    paid: int
    recoveries_pending: int
    available: int


async def budget_position(
    as_of: dt.date | None = None, fund: str | None = None, programme: str | None = None
) -> list[BudgetPosition]:
    """Per fund x programme: budget, open commitments, expended (of which paid), overpayments being
    recovered, and what is still available. budget = available + committed + expended + recoveries."""
    codes: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for b in await account_balances(as_of, fund=fund, programme=programme):
        if b.track == "budgetary":
            codes[(b.fund, b.programme, b.currency)][b.code] += b.balance
    out = []
    for (f, p, currency), by_code in sorted(codes.items()):
        paid = -by_code[c.EXPENDED_PAID]
        out.append(
            BudgetPosition(
                fund=f,
                programme=p,
                currency=currency,
                budget=by_code[c.APPROPRIATION],
                committed=-by_code[c.COMMITTED],
                expended=-by_code[c.EXPENDED_UNPAID] + paid,
                paid=paid,
                recoveries_pending=-by_code[c.RECOVERIES_PENDING],
                available=-by_code[c.AVAILABLE],
            )
        )
    return out


@dataclass(frozen=True)
class HistoryLine:
    posting: str
    entry: str
    effective_date: dt.date
    kind: str
    description: str
    reference_id: str
    amount: int
    running_balance: int


async def account_history(
    account_id: int, limit: int, starting_after: str | None = None
) -> tuple[list[HistoryLine], bool]:
    """An account's postings oldest first, by effective date then entry, with the balance after each."""
    await get_account(account_id)
    after: tuple | None = None
    if starting_after is not None:
        cursor = await raw(
            "SELECT effective_date, entry, id FROM ledger_posting WHERE id = {} AND account = {}",
            _posting_id(starting_after),
            account_id,
        )
        if not cursor:
            raise ValidationFailed(
                "invalid_cursor", "starting_after does not name a posting of this account", "starting_after"
            )
        after = (cursor[0]["effective_date"], cursor[0]["entry"], cursor[0]["id"])
    position = "AND (po.effective_date, po.entry, po.id) > ({}, {}, {})" if after else ""
    rows = await raw(
        "SELECT po.id, po.entry, po.effective_date, po.amount, e.kind, e.description, e.reference_id "
        "FROM ledger_posting po JOIN ledger_entry e ON e.id = po.entry "
        f"WHERE po.account = {{}} {position} ORDER BY po.effective_date, po.entry, po.id LIMIT {{}}",
        account_id,
        *(after or ()),
        limit + 1,
    )
    opening = 0
    if after:
        total = await raw(
            "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_posting "
            "WHERE account = {} AND (effective_date, entry, id) <= ({}, {}, {})",
            account_id,
            *after,
        )
        opening = int(total[0]["total"])
    lines, running = [], opening
    for r in rows[:limit]:
        running += r["amount"]
        lines.append(
            HistoryLine(
                f"pst_{r['id']}",
                entry_public_id(r["entry"]),
                as_date(r["effective_date"]),
                r["kind"],
                r["description"],
                r["reference_id"],
                r["amount"],
                running,
            )
        )
    return lines, len(rows) > limit


def _posting_id(value: str) -> int:
    head, _, tail = value.partition("_")
    if head != "pst" or not tail.isdigit() or len(tail) > 18:
        raise ValidationFailed(
            "invalid_cursor", "starting_after must be a posting id (pst_…)", "starting_after"
        )
    return int(tail)


# --- export -----------------------------------------------------------------------------------


async def posting_rows(
    date_from: dt.date | None, date_to: dt.date | None, chunk: int = 5000
) -> AsyncIterator[list[dict]]:
    """Every posting with its entry and account, in chain order, a chunk at a time (bounded memory)."""
    last = 0
    while True:
        where, args = ["po.id > {}"], [last]
        if date_from:
            where.append("po.effective_date >= {}")
            args.append(date_from)
        if date_to:
            where.append("po.effective_date <= {}")
            args.append(date_to)
        rows = await raw(
            "SELECT po.id, po.entry, po.account, po.effective_date, po.amount, po.currency, e.kind, "
            "e.description, e.reference_type, e.reference_id, e.reverses, ch.code, ch.name, f.code AS fund, "
            "p.code AS programme, "
            "a.party FROM ledger_posting po JOIN ledger_entry e ON e.id = po.entry "
            "JOIN ledger_account a ON a.id = po.account JOIN ledger_chart ch ON ch.id = a.chart "
            "JOIN ledger_fund f ON f.id = a.fund JOIN ledger_programme p ON p.id = a.programme "
            f"WHERE {' AND '.join(where)} ORDER BY po.id LIMIT {chunk}",
            *args,
        )
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


async def committed_by_reference(reference_type: str) -> dict[tuple[str, str], int]:
    """For each record of `reference_type` (e.g. voucher) the net movement on its committed budget
    (8300, credit positive) per kind of entry that moved it: {(reference id, kind): amount}. A reversal
    counts under the kind of the entry it reverses, with its own sign, so a reversed commit nets to zero.
    Domains check the money they keep outside the ledger against this (`grants ledger verify`)."""
    rows = await raw(
        "SELECT e.reference_id, COALESCE(o.kind, e.kind) AS kind, -SUM(p.amount) AS amount "
        "FROM ledger_entry e LEFT JOIN ledger_entry o ON o.id = e.reverses "
        "JOIN ledger_posting p ON p.entry = e.id JOIN ledger_account a ON a.id = p.account "
        "JOIN ledger_chart ch ON ch.id = a.chart "
        "WHERE e.reference_type = {} AND ch.code = '8300' GROUP BY e.reference_id, COALESCE(o.kind, e.kind)",
        reference_type,
    )
    return {(r["reference_id"], r["kind"]): int(r["amount"]) for r in rows}
