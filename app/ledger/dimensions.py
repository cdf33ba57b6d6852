"""Funds and programmes: the two dimensions of every ledger account. Each has a short code and a currency."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from app.core import audit
from app.core.actor import Actor
from app.core.db import engine, write_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import new_id
from app.core.money import check_currency
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.tables import Fund, Programme

CODE_PATTERN = r"^[A-Z][A-Z0-9-]{1,31}$"
_CODE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class DimensionView:
    id: str
    code: str
    name: str
    currency: str
    created_at: dt.datetime


_TABLES = {"fund": (Fund, "fnd"), "programme": (Programme, "prg")}


def _view(row: dict) -> DimensionView:
    return DimensionView(row["public_id"], row["code"], row["name"], row["currency"], row["created_at"])


async def create(actor: Actor, kind: str, code: str, name: str, currency: str) -> DimensionView:
    """A new fund or programme. Codes are short upper-case names (`ESF-2026`, `CHILDCARE`), unique."""
    table, prefix = _TABLES[kind]
    if not _CODE.match(code):
        raise ValidationFailed(
            "invalid_code", "code must be 2-32 capitals, digits or dashes, starting with a letter", "code"
        )
    check_currency(currency)
    async with write_transaction():
        if await table.exists().where(table.code == code):
            raise LedgerRefusal(Refusal.DUPLICATE_CODE, f"a {kind} with code {code} exists", "code")
        public_id = new_id(prefix)
        await table.insert(table(public_id=public_id, code=code, name=name.strip(), currency=currency))
        await audit.record(
            actor, f"{kind}.create", kind, public_id, after={"code": code, "name": name, "currency": currency}
        )
        return await get(kind, code)


async def get(kind: str, code: str) -> DimensionView:
    table, _ = _TABLES[kind]
    row = await table.select().where(table.code == code).first()
    if row is None:
        raise NotFound(kind, "code")
    return _view(row)


# Funds and programmes are never edited or deleted, so a currency read from committed data stays true:
# kept per process, it spares the API a round trip per posting (recording a payment, loading a budget).
_CURRENCIES: dict[tuple[str, str], str] = {}


async def currency_of(kind: str, code: str) -> str:
    """The currency of a fund or programme; NotFound if there is none with this code."""
    known = _CURRENCIES.get((kind, code))
    if known is not None:
        return known
    currency = (await get(kind, code)).currency
    if engine().current_transaction.get() is None:  # committed: no rollback can take it back
        _CURRENCIES[(kind, code)] = currency
    return currency


def forget_currencies() -> None:
    """For tests that empty the database and make funds again, perhaps in other currencies."""
    _CURRENCIES.clear()


async def list_all(kind: str) -> list[DimensionView]:
    table, _ = _TABLES[kind]
    return [_view(r) for r in await table.select().order_by(table.code)]
