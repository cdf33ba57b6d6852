"""Auditors' ledger pages: the integrity check (hash chain and balances, with the first broken entry), the
trial balance, the accounts with their balances, and an account's history page by page with the balance
after each posting. Read only: nothing here changes the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Template

from app.core.errors import GrantsError, NotFound
from app.core.roles import Role
from app.http.guards import allow
from app.ledger import queries
from app.ledger.verify import verify
from app.web.i18n import N_
from app.web.i18n import gettext as _
from app.web.kit import Area, Card, page

READERS = (Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN)
HISTORY_PAGE = 50


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


class LedgerPages(Controller):
    path = "/ledger"
    opt = allow(*READERS)
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, as_of: Annotated[str | None, Parameter(max_length=10)] = None
    ) -> Template:
        checked = await verify()
        day = _day(as_of)
        problem = _("Write the date as 2026-03-31.") if as_of and day is None else None
        return page(
            request,
            "ledger/index.html",
            checked=checked,
            first=checked.problems[0] if checked.problems else None,
            tb=await queries.trial_balance(day),
            as_of=as_of or "",
            problem=problem,
        )

    @get("/accounts")
    async def accounts(
        self,
        request: Request,
        fund: Annotated[str | None, Parameter(max_length=40)] = None,
        programme: Annotated[str | None, Parameter(max_length=40)] = None,
        code: Annotated[str | None, Parameter(max_length=10)] = None,
    ) -> Template:
        rows = await queries.account_balances(
            fund=fund or None, programme=programme or None, code=code or None
        )
        filters = {"fund": fund or "", "programme": programme or "", "code": code or ""}
        return page(request, "ledger/accounts.html", rows=rows, filters=filters)

    @get("/accounts/{account_id:str}")
    async def history(
        self,
        request: Request,
        account_id: Annotated[str, Parameter(max_length=40)],
        starting_after: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> Template:
        try:
            number = queries.parse_account_id(account_id)
        except GrantsError as exc:
            raise NotFound("account") from exc
        account = await queries.get_account(number)
        lines, has_more = await queries.account_history(number, HISTORY_PAGE, starting_after or None)
        more = f"/ledger/accounts/{account_id}?starting_after={lines[-1].posting}" if has_more else None
        return page(
            request,
            "ledger/history.html",
            account=account,
            lines=lines,
            more=more,
            first_page=not starting_after,
        )


AREA = Area(
    name="ledger",
    controllers=[LedgerPages],
    cards=[
        Card(
            N_("Ledger"),
            "/ledger",
            N_("Integrity check, trial balance and every account's history"),
            frozenset({Role.AUDITOR, Role.ADMIN}),
            order=30,
        )
    ],
)
