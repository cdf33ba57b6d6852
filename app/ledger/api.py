"""HTTP API of the ledger: funds and programmes, budget loads, journal entries and reversals, balances,
trial balance, budget position, account history, periods, integrity check, CSV and Beancount exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from tempfile import SpooledTemporaryFile
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import HeaderParameter, JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from app.core.actor import Actor
from app.core.db import today
from app.core.errors import NotFound, ValidationFailed
from app.core.money import format_minor, to_minor
from app.core.roles import Role
from app.core.schemas import ListOf
from app.http.guards import allow, current_actor
from app.ledger import beancount_export, dimensions, entries, periods, pooled, queries, service
from app.ledger.dimensions import DimensionView
from app.ledger.entries import parse_entry_id
from app.ledger.operations import AccountKey, Kind, Leg, Operation, Target
from app.ledger.periods import PeriodView
from app.ledger.schemas import (
    AccountOut,
    AllocateIn,
    BudgetIn,
    BudgetPositionOut,
    CostKeyIn,
    DimensionIn,
    EntryOut,
    HistoryOut,
    JournalIn,
    PaymentIn,
    ReversalIn,
    TrialBalanceOut,
    account_out,
    entry_out,
    history_out,
    position_out,
    trial_balance_out,
)

READERS = allow(Role.FINANCE_OFFICER, Role.APPROVER, Role.BUDGET_HOLDER, Role.AUDITOR, Role.ADMIN)
FINANCE = allow(Role.FINANCE_OFFICER)
BUDGETING = allow(Role.BUDGET_HOLDER, Role.FINANCE_OFFICER)
SETUP = allow(Role.ADMIN, Role.BUDGET_HOLDER)

IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=90,  # stored as api:<user id>:<key>, within the ledger's 120 characters
        description="any unique string; a retry with the same key posts once",
    ),
]
EntryId = Annotated[str, Parameter(max_length=24, description="an entry id, je_…")]
AsOf = Annotated[dt.date | None, Parameter(description="balances at the end of this day (default: now)")]
Code = Annotated[str | None, Parameter(max_length=32)]


def _api_key(actor: Actor, key: str) -> str:
    """Clients' keys live in their own namespace, so they can never collide with the system's own."""
    return f"api:{actor.public_id}:{key}"


async def _currency(fund: str) -> str:
    try:
        return await dimensions.currency_of("fund", fund)
    except NotFound:
        raise ValidationFailed("unknown_fund", f"no fund {fund!r}", "fund") from None


def _seq(entry_id: str) -> int:
    seq = parse_entry_id(entry_id)
    if seq is None:
        raise NotFound("entry")
    return seq


class DimensionController(Controller):
    path = "/api/v1/ledger"
    tags = ["ledger"]

    @get("/funds", opt=READERS)
    async def funds(self) -> ListOf[DimensionView]:
        """The funds money is booked against."""
        return ListOf(data=await dimensions.list_all("fund"), has_more=False)

    @post("/funds", opt=SETUP)
    async def create_fund(self, request: Request, data: JSONBody[DimensionIn]) -> DimensionView:
        """Create a fund (a code, a name and its currency)."""
        return await dimensions.create(current_actor(request), "fund", data.code, data.name, data.currency)

    @get("/programmes", opt=READERS)
    async def programmes(self) -> ListOf[DimensionView]:
        """The programmes money is booked against."""
        return ListOf(data=await dimensions.list_all("programme"), has_more=False)

    @post("/programmes", opt=SETUP)
    async def create_programme(self, request: Request, data: JSONBody[DimensionIn]) -> DimensionView:
        """Create a programme (a code, a name and its currency)."""
        return await dimensions.create(
            current_actor(request), "programme", data.code, data.name, data.currency
        )


class EntryController(Controller):
    path = "/api/v1/ledger"
    tags = ["ledger"]

    @post("/budgets", opt=BUDGETING)
    async def load_budget(self, request: Request, data: JSONBody[BudgetIn], key: IdempotencyKey) -> EntryOut:
        """Load budget for a fund x programme: available budget rises by the amount."""
        actor = current_actor(request)
        amount = to_minor(data.amount, await _currency(data.fund))
        operation = Operation(
            kind=Kind.BUDGET_LOAD,
            target=Target(data.fund, data.programme),
            amount=amount,
            idempotency_key=_api_key(actor, key),
            effective_date=data.effective_date,
            description=data.description or "Budget loaded",
            reference_type="budget",
            reference_id=data.reference_id,
        )
        return entry_out(await service.apply_one(actor, operation))

    @post("/payments", opt=FINANCE)
    async def record_payment(
        self, request: Request, data: JSONBody[PaymentIn], key: IdempotencyKey
    ) -> EntryOut:
        """Record a payment that settled: the party's payable is paid from cash (expended, unpaid → paid).
        Paying more than is owed to the party is refused (`balance_would_go_negative`)."""
        actor = current_actor(request)
        operation = Operation(
            kind=Kind.PAY,
            target=Target(data.fund, data.programme, data.party),
            amount=to_minor(data.amount, await _currency(data.fund)),
            idempotency_key=_api_key(actor, key),
            effective_date=data.effective_date,
            description=data.description or f"Payment to {data.party}",
            reference_type="payment",
            reference_id=data.reference_id,
        )
        return entry_out(await service.apply_one(actor, operation))

    @post("/entries", opt=FINANCE)
    async def journal(self, request: Request, data: JSONBody[JournalIn], key: IdempotencyKey) -> EntryOut:
        """A manual journal entry. Each track (budgetary, financial) must balance in each currency."""
        actor = current_actor(request)
        legs = []
        for i, p in enumerate(data.postings):
            currency = await _currency(p.fund)
            debit = to_minor(p.debit, currency, f"postings.{i}.debit") if p.debit else 0
            credit = to_minor(p.credit, currency, f"postings.{i}.credit") if p.credit else 0
            legs.append(Leg(AccountKey(p.account, p.fund, p.programme, p.party), debit - credit))
        entry = await service.journal(
            actor,
            legs,
            idempotency_key=_api_key(actor, key),
            effective_date=data.effective_date,
            description=data.description,
            reference_type=data.reference_type,
            reference_id=data.reference_id,
        )
        return entry_out(entry)

    @post("/entries/{entry_id:str}/reversal", opt=FINANCE)
    async def reverse(
        self, request: Request, entry_id: EntryId, data: JSONBody[ReversalIn], key: IdempotencyKey
    ) -> EntryOut:
        """Cancel an entry with its mirror image, dated today or in another open month."""
        actor = current_actor(request)
        entry = await service.reverse(
            actor,
            _seq(entry_id),
            idempotency_key=_api_key(actor, key),
            reason=data.reason,
            effective_date=data.effective_date,
        )
        return entry_out(entry)

    @get("/entries", opt=READERS)
    async def entries(
        self,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        starting_after: Annotated[str | None, Parameter(max_length=24)] = None,
        reference_id: Annotated[str | None, Parameter(max_length=64)] = None,
        kind: Annotated[Kind | None, Parameter()] = None,
    ) -> ListOf[EntryOut]:
        """Ledger entries, newest first, a page at a time; filter by reference or kind."""
        cursor = None
        if starting_after is not None:
            cursor = parse_entry_id(starting_after)
            if cursor is None:
                raise ValidationFailed(
                    "invalid_cursor", "starting_after must be an entry id (je_…)", "starting_after"
                )
        rows, more = await queries.list_entries(
            limit, cursor, reference_id=reference_id, kind=kind.value if kind else None
        )
        return ListOf(data=[entry_out(e) for e in rows], has_more=more)

    @get("/entries/{entry_id:str}", opt=READERS)
    async def entry(self, entry_id: EntryId) -> EntryOut:
        """One ledger entry with its postings."""
        return entry_out(await entries.get_entry(_seq(entry_id)))

    @get("/export/entries.csv", opt=READERS, media_type="text/csv")
    async def entries_csv(
        self,
        date_from: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(name="to")] = None,
    ) -> Stream:
        """Every posting with its entry and account, one line each, streamed."""
        return Stream(
            _csv(date_from, date_to),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="ledger-entries.csv"'},
        )

    @get(
        "/export/ledger.beancount",
        opt=allow(Role.AUDITOR, Role.FINANCE_OFFICER, Role.ADMIN),
        media_type="text/plain",
    )
    async def beancount(self) -> Stream:
        """The whole ledger as a Beancount file (bean-check passes on it). Built completely before the
        first byte goes out (in a temporary file beyond 16 MiB), so a failure is an error answer, never a
        200 that breaks off half-way."""
        built = await _built(beancount_export.export_lines())
        return Stream(
            _file_chunks(built),
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="ledger.beancount"'},
        )


CSV_COLUMNS = [
    "entry",
    "effective_date",
    "kind",
    "description",
    "reference_type",
    "reference_id",
    "reverses",
    "account",
    "account_name",
    "fund",
    "programme",
    "party",
    "debit",
    "credit",
    "currency",
]


async def _csv(date_from: dt.date | None, date_to: dt.date | None) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    async for chunk in queries.posting_rows(date_from, date_to):
        for r in chunk:
            writer.writerow(
                [
                    f"je_{r['entry']}",
                    r["effective_date"],
                    r["kind"],
                    r["description"],
                    r["reference_type"],
                    r["reference_id"],
                    f"je_{r['reverses']}" if r["reverses"] else "",
                    r["code"],
                    r["name"],
                    r["fund"],
                    r["programme"],
                    r["party"],
                    format_minor(max(r["amount"], 0), r["currency"]),
                    format_minor(max(-r["amount"], 0), r["currency"]),
                    r["currency"],
                ]
            )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


async def _built(lines: AsyncIterator[str]) -> SpooledTemporaryFile:
    spool = SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 (closed by _file_chunks)
    try:
        async for line in lines:
            spool.write(line.encode())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def _file_chunks(spool: SpooledTemporaryFile) -> AsyncIterator[bytes]:
    with spool:
        while chunk := spool.read(256 * 1024):
            yield chunk


class BalanceController(Controller):
    path = "/api/v1/ledger"
    opt = READERS
    tags = ["ledger"]

    @get("/accounts")
    async def accounts(
        self,
        as_of: AsOf = None,
        fund: Code = None,
        programme: Code = None,
        code: Annotated[str | None, Parameter(max_length=4)] = None,
        party: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> ListOf[AccountOut]:
        """Account balances, optionally as of a day and for one fund, programme, code or party."""
        rows = await queries.account_balances(as_of, fund=fund, programme=programme, code=code, party=party)
        return ListOf(data=[account_out(r) for r in rows], has_more=False)

    @get("/accounts/{account_id:str}")
    async def account(self, account_id: Annotated[str, Parameter(max_length=24)]) -> AccountOut:
        """One ledger account with its balance."""
        return account_out(await queries.get_account(queries.parse_account_id(account_id)))

    @get("/accounts/{account_id:str}/history")
    async def history(
        self,
        account_id: Annotated[str, Parameter(max_length=24)],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        starting_after: Annotated[str | None, Parameter(max_length=24)] = None,
    ) -> ListOf[HistoryOut]:
        """Postings oldest first, with the running balance after each (debit positive)."""
        number = queries.parse_account_id(account_id)
        account = await queries.get_account(number)
        lines, more = await queries.account_history(number, limit, starting_after)
        return ListOf(data=[history_out(x, account.currency) for x in lines], has_more=more)

    @get("/trial-balance")
    async def trial_balance(
        self,
        as_of: AsOf = None,
        group: Annotated[
            str, Parameter(max_length=20, description="code, fund_programme or account")
        ] = "code",
    ) -> TrialBalanceOut:
        """The trial balance (debits equal credits), grouped by code, fund and programme, or account."""
        return trial_balance_out(await queries.trial_balance(as_of, group))

    @get("/budget-position")
    async def budget_position(
        self, as_of: AsOf = None, fund: Code = None, programme: Code = None
    ) -> ListOf[BudgetPositionOut]:
        """Per fund and programme: budget, committed, spent and available."""
        rows = await queries.budget_position(as_of, fund, programme)
        return ListOf(data=[position_out(p) for p in rows], has_more=False)


class PooledController(Controller):
    """Pooled programmes: the dated cost-sharing key, and the allocations to donors posted as memo
    entries (app/ledger/pooled.py)."""

    path = "/api/v1/ledger"
    tags = ["ledger"]

    @get("/cost-keys", opt=READERS)
    async def cost_keys(self) -> dict[str, list[dict[str, object]]]:
        """Every programme's cost-sharing keys by date."""
        return {
            programme: [
                {"effective_from": k.effective_from, "method": k.method, "shares": k.shares} for k in found
            ]
            for programme, found in (await pooled.keys()).items()
        }

    @post("/cost-keys", opt=FINANCE, status_code=201)
    async def set_cost_key(self, request: Request, data: JSONBody[CostKeyIn]) -> dict[str, object]:
        """Set a programme's cost-sharing key from a date on: `pro_rata` (to contributions) or `shares`
        (fixed weights per fund). A new dated row; a change applies to expenditure from that day."""
        key = await pooled.set_key(
            current_actor(request), data.programme, data.effective_from, data.method, data.shares, data.reason
        )
        return {"programme": key.programme, "effective_from": key.effective_from, "method": key.method,
                "shares": key.shares}  # fmt: skip

    @post("/pooled-allocations", opt=FINANCE, status_code=200)
    async def allocate(self, request: Request, data: JSONBody[AllocateIn]) -> dict[str, int]:
        """Post (or correct by reversal) the pooled programmes' allocations to donors up to a date
        (default today)."""
        return await pooled.allocate(current_actor(request), data.through or today())


class PeriodController(Controller):
    path = "/api/v1/ledger/periods"
    tags = ["ledger"]

    @get("/", opt=READERS)
    async def closed(self) -> ListOf[PeriodView]:
        """The months closed so far."""
        return ListOf(data=await periods.list_closed(), has_more=False)

    @post("/{month:str}/close", opt=FINANCE)
    async def close(self, request: Request, month: Annotated[str, Parameter(max_length=7)]) -> PeriodView:
        """Close a month (YYYY-MM): no entry may be dated in it afterwards."""
        return await periods.close_month(current_actor(request), periods.parse_month(month))


CONTROLLERS = [DimensionController, EntryController, BalanceController, PooledController, PeriodController]
