"""Posting entries: the only code that writes to the ledger. Append-only; all-or-nothing per call.

One call posts a batch of drafts (one or a hundred thousand) in one transaction:
1. check each draft on its own (balanced tracks, known codes);
2. lock the ledger head, which serialises posting: balance checks cannot race and the chain has one order;
3. return the first result unchanged if every idempotency key was seen before with the same request;
4. refuse drafts dated in a closed month, reversals of unknown or already-reversed entries;
5. resolve (and open) accounts, check currencies;
6. apply every draft to the balances in order, refusing the first that takes a guarded balance past zero;
7. chain-hash, insert entries and postings, write the new balances and the new head.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.sql import Sql
from app.ledger import chart as c
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.hashing import HashedEntry, HashedPosting, chain_hash, request_hash
from app.ledger.operations import AccountKey, Draft, Kind, Leg, check_draft


@dataclass(frozen=True)
class PostedLeg:
    account_id: int
    code: str
    fund: str
    programme: str
    party: str
    amount: int
    currency: str


@dataclass(frozen=True)
class PostedEntry:
    id: str
    seq: int
    kind: str
    effective_date: dt.date
    description: str
    reference_type: str
    reference_id: str
    reverses: str | None
    idempotency_key: str
    created_at: dt.datetime
    created_by: str
    legs: list[PostedLeg]


def entry_public_id(seq: int) -> str:
    return f"je_{seq}"


def parse_entry_id(value: str) -> int | None:
    head, _, tail = value.partition("_")
    return int(tail) if head == "je" and tail.isdigit() and len(tail) < 19 else None


def fingerprint(draft: Draft) -> str:
    legs = sorted(
        (leg.account.code, leg.account.fund, leg.account.programme, leg.account.party, leg.amount)
        for leg in draft.legs
    )
    return request_hash(
        [
            draft.kind.value,
            draft.effective_date.isoformat(),
            draft.description,
            draft.reference_type,
            draft.reference_id,
            draft.reverses,
            legs,
        ]
    )


@dataclass
class _Account:
    id: int
    code: str
    balance: int
    currency: str


async def post(actor: Actor, drafts: Sequence[Draft]) -> list[PostedEntry]:
    """Post every draft or none. Raises LedgerRefusal naming the first draft refused (its index)."""
    if not drafts:
        return []
    for i, draft in enumerate(drafts):
        try:
            check_draft(draft)
        except LedgerRefusal as refusal:
            raise (refusal.at(i) if len(drafts) > 1 else refusal) from None
    _refuse_repeated_keys(drafts)
    prints = [fingerprint(d) for d in drafts]
    async with write_transaction():
        sql = Sql()
        head = await _lock_head(sql)
        previous = await _already_posted(sql, drafts, prints)
        if previous is not None:
            return previous
        await _refuse_closed_periods(sql, drafts)
        await _refuse_bad_reversals(sql, drafts)
        accounts = await _accounts(sql, drafts)
        balances = _apply_in_order(drafts, accounts)
        entries = _chain(actor, drafts, accounts, head)
        await _write(sql, entries, prints, balances, head)
    return [chained.entry for chained in entries]


def _refuse_repeated_keys(drafts: Sequence[Draft]) -> None:
    seen: dict[str, int] = {}
    for i, draft in enumerate(drafts):
        if draft.idempotency_key in seen:
            raise LedgerRefusal(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                f"entry {i} repeats the idempotency key of entry {seen[draft.idempotency_key]}",
                "idempotency_key",
                i,
            )
        seen[draft.idempotency_key] = i


@dataclass
class _Head:
    seq: int
    hash: str
    posting_id: int


async def _lock_head(sql: Sql) -> _Head:
    lock = " FOR UPDATE" if sql.postgres else ""  # SQLite: the IMMEDIATE transaction already excludes writers
    rows = await sql.fetch(f"SELECT last_seq, last_hash, last_posting_id FROM ledger_head WHERE id = 1{lock}")
    if not rows:
        raise RuntimeError("the ledger head is missing: run `grants init`")
    row = rows[0]
    return _Head(row["last_seq"], row["last_hash"], row["last_posting_id"])


async def _already_posted(sql: Sql, drafts: Sequence[Draft], prints: list[str]) -> list[PostedEntry] | None:
    """The earlier result if this exact batch was posted before; a refusal if any key was used differently."""
    keys = [d.idempotency_key for d in drafts]
    found: dict[str, dict] = {}
    for start in range(0, len(keys), 50_000):
        rows = await sql.fetch(
            f"SELECT id, idempotency_key, request_hash FROM ledger_entry WHERE idempotency_key {sql.any_(1)}",
            keys[start : start + 50_000],
        )
        found.update({r["idempotency_key"]: r for r in rows})
    if not found:
        return None
    for i, (key, print_) in enumerate(zip(keys, prints, strict=True)):
        row = found.get(key)
        if row is not None and row["request_hash"] != print_:
            raise LedgerRefusal(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                f"idempotency key {key!r} was already used for another entry, {entry_public_id(row['id'])}",
                "idempotency_key",
                i,
            )
        if row is None:
            raise LedgerRefusal(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                "part of this batch was posted before with other entries; send it unchanged or with new keys",
                "idempotency_key",
                i,
            )
    from app.ledger.queries import load_entries

    return await load_entries(sorted(r["id"] for r in found.values()))


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


async def _refuse_closed_periods(sql: Sql, drafts: Sequence[Draft]) -> None:
    months = sorted({month_of(d.effective_date).isoformat() for d in drafts})
    rows = await sql.fetch(
        f"SELECT month FROM ledger_closed_period WHERE month {sql.any_(1)}",
        [dt.date.fromisoformat(m) for m in months] if sql.postgres else months,
    )
    closed = {str(r["month"])[:7] for r in rows}
    for i, draft in enumerate(drafts):
        if draft.effective_date.isoformat()[:7] in closed:
            raise LedgerRefusal(
                Refusal.PERIOD_CLOSED,
                f"{draft.effective_date:%Y-%m} is closed; post into an open month with a reference instead",
                "effective_date",
                i,
            )


async def _refuse_bad_reversals(sql: Sql, drafts: Sequence[Draft]) -> None:
    targets = {d.reverses: i for i, d in enumerate(drafts) if d.reverses is not None}
    if not targets:
        return
    rows = await sql.fetch(
        f"SELECT e.id, e.kind, r.id AS reversed_by FROM ledger_entry e "
        f"LEFT JOIN ledger_entry r ON r.reverses = e.id WHERE e.id {sql.any_(1)}",
        list(targets),
    )
    known = {r["id"]: r for r in rows}
    for seq, i in targets.items():
        row = known.get(seq)
        if row is None:
            raise LedgerRefusal(Refusal.UNKNOWN_ENTRY, f"no entry {entry_public_id(seq)}", "reverses", i)
        if row["reversed_by"] is not None:
            raise LedgerRefusal(
                Refusal.ALREADY_REVERSED,
                f"{entry_public_id(seq)} was reversed by {entry_public_id(row['reversed_by'])}",
                "reverses",
                i,
            )
        if row["kind"] == Kind.REVERSAL:
            raise LedgerRefusal(
                Refusal.CANNOT_REVERSE_REVERSAL,
                "a reversal cannot be reversed; post the entry again instead",
                "reverses",
                i,
            )


async def _accounts(sql: Sql, drafts: Sequence[Draft]) -> dict[AccountKey, _Account]:
    keys = sorted({leg.account for d in drafts for leg in d.legs})
    dims = await _dimensions(sql, drafts)
    charts = {r["code"]: r["id"] for r in await sql.fetch("SELECT id, code FROM ledger_chart")}
    found = await _find_accounts(sql, keys, dims, charts)
    missing = [k for k in keys if k not in found]
    if missing:
        rows = [
            (
                charts[k.code],
                dims[("fund", k.fund)][0],
                dims[("programme", k.programme)][0],
                k.party,
                dims[("fund", k.fund)][1],
                0,
            )
            for k in missing
        ]
        await sql.insert_many(
            "ledger_account", ("chart", "fund", "programme", "party", "currency", "balance"), rows
        )
        found.update(await _find_accounts(sql, missing, dims, charts))
    return found


async def _dimensions(sql: Sql, drafts: Sequence[Draft]) -> dict[tuple[str, str], tuple[int, str]]:
    """(kind, code) -> (id, currency) for every fund and programme the drafts name; refuses unknown codes and
    a fund and programme in different currencies."""
    dims: dict[tuple[str, str], tuple[int, str]] = {}
    for kind, table in (("fund", "ledger_fund"), ("programme", "ledger_programme")):
        codes = sorted({getattr(leg.account, kind) for d in drafts for leg in d.legs})
        rows = await sql.fetch(f"SELECT id, code, currency FROM {table} WHERE code {sql.any_(1)}", codes)
        dims.update({(kind, r["code"]): (r["id"], r["currency"]) for r in rows})
    for i, draft in enumerate(drafts):
        for leg in draft.legs:
            fund, programme = (
                dims.get(("fund", leg.account.fund)),
                dims.get(("programme", leg.account.programme)),
            )
            if fund is None:
                raise LedgerRefusal(Refusal.UNKNOWN_FUND, f"no fund {leg.account.fund!r}", "fund", i)
            if programme is None:
                raise LedgerRefusal(
                    Refusal.UNKNOWN_PROGRAMME, f"no programme {leg.account.programme!r}", "programme", i
                )
            if fund[1] != programme[1]:
                raise LedgerRefusal(
                    Refusal.CURRENCY_MISMATCH,
                    f"fund {leg.account.fund} is in {fund[1]} but programme "
                    f"{leg.account.programme} in {programme[1]}",
                    "programme",
                    i,
                )
    return dims


async def _find_accounts(
    sql: Sql, keys: Sequence[AccountKey], dims: dict, charts: dict[str, int]
) -> dict[AccountKey, _Account]:
    funds = sorted({dims[("fund", k.fund)][0] for k in keys})
    programmes = sorted({dims[("programme", k.programme)][0] for k in keys})
    parties = sorted({k.party for k in keys})
    rows = await sql.fetch(
        "SELECT a.id, ch.code, f.code AS fund, p.code AS programme, a.party, a.balance, a.currency "
        "FROM ledger_account a JOIN ledger_chart ch ON ch.id = a.chart "
        "JOIN ledger_fund f ON f.id = a.fund JOIN ledger_programme p ON p.id = a.programme "
        f"WHERE a.fund {sql.any_(1)} AND a.programme {sql.any_(2)} AND a.party {sql.any_(3)}",
        funds,
        programmes,
        parties,
    )
    wanted = set(keys)
    found = {}
    for r in rows:
        key = AccountKey(r["code"], r["fund"], r["programme"], r["party"])
        if key in wanted:
            found[key] = _Account(r["id"], r["code"], r["balance"], r["currency"])
    return found


def _violates(code: str, balance: int) -> bool:
    line = c.BY_CODE[code]
    if not line.non_negative:
        return False
    return balance < 0 if line.normal_side == "debit" else balance > 0


def _apply_in_order(drafts: Sequence[Draft], accounts: dict[AccountKey, _Account]) -> dict[int, int]:
    """Balances after each draft in turn; refuses the first draft that takes a guarded balance past zero."""
    balances = {a.id: a.balance for a in accounts.values()}
    for i, draft in enumerate(drafts):
        deltas: dict[AccountKey, int] = defaultdict(int)
        for leg in draft.legs:
            deltas[leg.account] += leg.amount
        for key, delta in deltas.items():
            account = accounts[key]
            balances[account.id] += delta
            if delta and _violates(account.code, balances[account.id]):
                raise _overdrawn(key, account, balances[account.id] - delta, i, len(drafts))
    return balances


def _overdrawn(key: AccountKey, account: _Account, before: int, index: int, batch: int) -> LedgerRefusal:
    line = c.BY_CODE[key.code]
    held = before if line.normal_side == "debit" else -before
    where = f"{key.fund}/{key.programme}" + (f"/{key.party}" if key.party else "")
    if key.code == c.AVAILABLE:
        refusal = LedgerRefusal(
            Refusal.INSUFFICIENT_AVAILABLE_BUDGET,
            f"available budget for {where} is {held} minor units ({account.currency}), too little for this",
            "amount",
        )
    else:
        refusal = LedgerRefusal(
            Refusal.BALANCE_WOULD_GO_NEGATIVE,
            f"{line.name} for {where} holds {held} minor units; this would take it below zero",
            "amount",
        )
    return refusal.at(index) if batch > 1 else refusal


@dataclass(frozen=True)
class _Chained:
    entry: PostedEntry
    prev_hash: str
    hash: str


def _chain(
    actor: Actor, drafts: Sequence[Draft], accounts: dict[AccountKey, _Account], head: _Head
) -> list[_Chained]:
    """Number, timestamp and hash the entries in order, each hash covering the one before."""
    now = utcnow()
    prev = head.hash
    out = []
    for offset, draft in enumerate(drafts, start=1):
        seq = head.seq + offset
        legs = [_posted_leg(leg, accounts[leg.account]) for leg in draft.legs]
        hashed = HashedEntry(
            seq=seq,
            idempotency_key=draft.idempotency_key,
            kind=draft.kind.value,
            effective_date=draft.effective_date,
            description=draft.description,
            reference_type=draft.reference_type,
            reference_id=draft.reference_id,
            reverses=draft.reverses,
            created_by=actor.public_id,
            created_at=now,
            postings=[HashedPosting(leg.account_id, leg.amount, leg.currency) for leg in legs],
        )
        digest = chain_hash(prev, hashed)
        entry = PostedEntry(
            id=entry_public_id(seq),
            seq=seq,
            kind=draft.kind.value,
            effective_date=draft.effective_date,
            description=draft.description,
            reference_type=draft.reference_type,
            reference_id=draft.reference_id,
            reverses=entry_public_id(draft.reverses) if draft.reverses is not None else None,
            idempotency_key=draft.idempotency_key,
            created_at=now,
            created_by=actor.public_id,
            legs=legs,
        )
        out.append(_Chained(entry, prev, digest))
        prev = digest
    return out


def _posted_leg(leg: Leg, account: _Account) -> PostedLeg:
    key = leg.account
    return PostedLeg(account.id, key.code, key.fund, key.programme, key.party, leg.amount, account.currency)


async def _write(
    sql: Sql, entries: list[_Chained], prints: list[str], balances: dict[int, int], head: _Head
) -> None:
    entry_rows, posting_rows = [], []
    posting_id = head.posting_id
    for chained, print_ in zip(entries, prints, strict=True):
        entry = chained.entry
        reverses = parse_entry_id(entry.reverses) if entry.reverses else None
        entry_rows.append(
            (
                entry.seq,
                entry.idempotency_key,
                print_,
                entry.kind,
                entry.effective_date,
                entry.description,
                entry.reference_type,
                entry.reference_id,
                reverses,
                entry.created_at,
                entry.created_by,
                chained.prev_hash,
                chained.hash,
            )
        )
        for leg in entry.legs:
            posting_id += 1
            posting_rows.append(
                (posting_id, entry.seq, leg.account_id, leg.amount, leg.currency, entry.effective_date)
            )
    await sql.insert_many(
        "ledger_entry",
        (
            "id",
            "idempotency_key",
            "request_hash",
            "kind",
            "effective_date",
            "description",
            "reference_type",
            "reference_id",
            "reverses",
            "created_at",
            "created_by",
            "prev_hash",
            "hash",
        ),
        entry_rows,
    )
    await sql.insert_many(
        "ledger_posting", ("id", "entry", "account", "amount", "currency", "effective_date"), posting_rows
    )
    touched = sorted({leg.account_id for chained in entries for leg in chained.entry.legs})
    await sql.executemany(
        "UPDATE ledger_account SET balance = $2 WHERE id = $1",
        [(account_id, balances[account_id]) for account_id in touched],
    )
    await sql.execute(
        "UPDATE ledger_head SET last_seq = $1, last_hash = $2, last_posting_id = $3 WHERE id = 1",
        entries[-1].entry.seq,
        entries[-1].hash,
        posting_id,
    )
