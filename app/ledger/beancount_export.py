"""The ledger as a Beancount file, so any Beancount tool (bean-check, Fava, bean-query) can read it.

Each account becomes `<chart's Beancount name>:<FUND>:<PROGRAMME>[:<Party>]`; the budgetary track sits
under Equity:Budget. Every account is opened (parents too) with its currency on the first day of the
ledger, entries follow in chain order, and a balance assertion per account checks the export against our
own balances: `bean-check` fails if they differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

from app.core.db import as_date, raw
from app.core.money import format_minor
from app.ledger.entries import entry_public_id
from app.ledger.queries import posting_rows


def account_name(beancount_name: str, fund: str, programme: str, party: str) -> str:
    parts = [beancount_name, fund, programme]
    if party:
        prefix, _, rest = party.partition("_")
        parts.append(f"{prefix.capitalize()}-{rest}" if rest else party.capitalize())
    return ":".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


async def _accounts() -> list[dict]:
    return await raw(
        "SELECT a.id, ch.beancount_name, f.code AS fund, p.code AS programme, a.party, a.currency, a.balance "
        "FROM ledger_account a JOIN ledger_chart ch ON ch.id = a.chart JOIN ledger_fund f ON f.id = a.fund "
        "JOIN ledger_programme p ON p.id = a.programme ORDER BY a.id"
    )


async def export_lines() -> AsyncIterator[str]:
    accounts = await _accounts()
    names = {
        a["id"]: account_name(a["beancount_name"], a["fund"], a["programme"], a["party"]) for a in accounts
    }
    bounds = (
        await raw("SELECT MIN(effective_date) AS first, MAX(effective_date) AS last FROM ledger_entry")
    )[0]
    first = as_date(bounds["first"]) if bounds["first"] else dt.date.today()
    last = as_date(bounds["last"]) if bounds["last"] else first
    yield ";; Exported from the grants ledger. Amounts in major units; entry ids are je_<chain position>.\n"
    yield 'option "operating_currency" "' + (accounts[0]["currency"] if accounts else "EUR") + '"\n\n'
    for line in _open_directives(accounts, names, first):
        yield line
    yield "\n"
    async for line in _transactions(names):
        yield line
    asserted = last + dt.timedelta(days=1)  # balance assertions apply at the start of their day
    for a in accounts:
        amount = format_minor(a["balance"], a["currency"])
        yield f"{asserted.isoformat()} balance {names[a['id']]}  {amount} ~ 0.00 {a['currency']}\n"


def _open_directives(accounts: list[dict], names: dict[int, str], first: dt.date) -> list[str]:
    currencies: dict[str, set[str]] = {}
    for a in accounts:
        name = names[a["id"]]
        parts = name.split(":")
        for depth in range(2, len(parts) + 1):
            currencies.setdefault(":".join(parts[:depth]), set()).add(a["currency"])
    return [
        f"{first.isoformat()} open {name} {','.join(sorted(cur))}\n"
        for name, cur in sorted(currencies.items())
    ]


async def _transactions(names: dict[int, str]) -> AsyncIterator[str]:
    current: int | None = None
    async for chunk in posting_rows(None, None):
        for row in chunk:
            if row["entry"] != current:
                if current is not None:
                    yield "\n"
                current = row["entry"]
                narration = row["description"] or row["kind"]
                link = f" ^{row['reference_type']}-{row['reference_id']}" if row["reference_id"] else ""
                yield (
                    f"{as_date(row['effective_date']).isoformat()} * {_quote(entry_public_id(row['entry']))} "
                    f"{_quote(narration)}{_clean_link(link)}\n"
                )
                yield f"  entry: {_quote(entry_public_id(row['entry']))}\n  kind: {_quote(row['kind'])}\n"
            amount = format_minor(row["amount"], row["currency"])
            yield f"  {names[row['account']]}  {amount} {row['currency']}\n"
    if current is not None:
        yield "\n"


def _clean_link(link: str) -> str:
    """Beancount links allow letters, digits and - _ / . only."""
    return "".join(ch if ch.isalnum() or ch in " ^-_/." else "-" for ch in link)


async def export_to(path: Path) -> int:
    """Write the export; returns the number of lines written."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        async for line in export_lines():
            handle.write(line)
            count += 1
    return count
