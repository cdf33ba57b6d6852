"""Posting entries: the only code that writes to the ledger. Append-only; all-or-nothing per call.

One call posts a batch of drafts (one or a hundred thousand) in one transaction:
1. check each draft on its own (balanced tracks, known codes);
2. lock the ledger head, which serialises posting: balance checks cannot race and the chain has one order;
3. return the first result unchanged if every idempotency key was seen before with the same request;
4. refuse drafts dated in a closed month, reversals of unknown or already-reversed entries;
5. resolve (and open) accounts, check currencies;
6. apply every draft to the balances in order, refusing the first that takes a guarded balance past zero;
7. chain-hash, insert entries and postings, write the new balances and the new head.

On PostgreSQL a single entry in one fund is posted in one round trip by ledger_post_one() (post_one.py),
which takes these steps on the server; its outcomes are turned here into the same refusals. A batch costs
five round trips (begin, lock, checks and accounts, one write statement, commit); large batches go in with
COPY, postings then entries, each row made (fingerprinted, chain-hashed) while the server stores the rows
sent before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.core.actor import Actor
from app.core.batching import collector_paused
from app.core.crypto import get_ledger_key
from app.core.db import is_postgres, utcnow, write_transaction
from app.core.money import MAX_BALANCE
from app.core.sql import Sql
from app.ledger import chart as c
from app.ledger import post_one
from app.ledger.entries import PostedEntry, PostedLeg, entry_public_id, load_entries
from app.ledger.errors import LedgerRefusal, Refusal
from app.ledger.hashing import (
    REQUEST_SEPARATOR,
    canonical_postings,
    canonical_with_postings,
    chain_mac,
    micros,
    request_digest,
    request_field,
)
from app.ledger.operations import (
    AccountKey,
    Draft,
    Kind,
    check_currencies,
    check_draft,
    check_idempotency_key,
)

COPY_FROM = 500  # batches at least this big are written with COPY


def fingerprint(draft: Draft) -> str:
    return next(fingerprints([draft]))


def fingerprints(drafts: Iterable[Draft]) -> Iterator[str]:
    """Each draft's request hash, in turn: request_hash() of its kind, date, description, reference type,
    reference id, reverses and legs. Only the description and the reference id are formatted per draft;
    the text around them is made once per distinct rest (a batch's entries share a few)."""
    sep = REQUEST_SEPARATOR
    around: dict[tuple, tuple[str, str, str]] = {}
    for draft in drafts:
        key = (draft.kind, draft.effective_date, draft.reference_type, draft.reverses, draft.legs)
        found = around.get(key)
        if found is None:
            found = around[key] = (
                f"{request_field(draft.kind.value)}{sep}{request_field(draft.effective_date.isoformat())}{sep}",
                f"{sep}{request_field(draft.reference_type)}{sep}",
                f"{sep}{request_field(draft.reverses)}{sep}{request_field(_legs_text(draft))}",
            )
        head, middle, tail = found
        description, reference = draft.description, draft.reference_id
        yield request_digest(
            f"{head}{len(description)}:{description}{middle}{len(reference)}:{reference}{tail}"
        )


def _legs_text(draft: Draft) -> str:
    return ";".join(
        sorted(
            f"{leg.account.code},{leg.account.fund},{leg.account.programme},{leg.account.party},{leg.amount}"
            for leg in draft.legs
        )
    )


async def post(actor: Actor, drafts: Sequence[Draft]) -> list[PostedEntry]:
    """Post every draft or none. Raises LedgerRefusal naming the first draft refused (its index)."""
    if not drafts:
        return []
    if len(drafts) == 1 and _one_fund(drafts[0]) and is_postgres():
        return [await _post_one(actor, drafts[0])]
    with collector_paused(len(drafts) >= COPY_FROM):
        return await _post(actor, drafts)


def _one_fund(draft: Draft) -> bool:
    """One fund is one currency: no per-currency balance to check once accounts are known (a journal
    across funds of different currencies takes the batch path, which checks it)."""
    legs = draft.legs
    return all(leg.account.fund == legs[0].account.fund for leg in legs) if legs else False


# --- one entry on PostgreSQL: one round trip (app/ledger/post_one.py) --------------------------


async def _post_one(actor: Actor, draft: Draft) -> PostedEntry:
    """The batch path's steps for one entry, run by the server in one statement; its outcomes become
    the batch path's refusals, word for word."""
    _check_drafts([draft])
    now, legs = utcnow(), draft.legs
    keys = [leg.account for leg in legs]
    row = await post_one.call(
        draft.idempotency_key,
        fingerprint(draft),
        draft.kind.value,
        draft.effective_date,
        draft.description,
        draft.reference_type,
        draft.reference_id,
        draft.reverses,
        actor.public_id,
        now,
        micros(now),
        [k.code for k in keys],
        [k.fund for k in keys],
        [k.programme for k in keys],
        [k.party for k in keys],
        [leg.amount for leg in legs],
        [_GUARDED.get(k.code, 0) for k in keys],
        MAX_BALANCE,
        get_ledger_key(),
    )
    outcome = row["outcome"]
    if outcome == "posted":
        posted = tuple(
            PostedLeg(account_id, key.code, key.fund, key.programme, key.party, leg.amount, currency)
            for key, leg, account_id, currency in zip(
                keys, legs, row["account_ids"], row["leg_currencies"], strict=True
            )
        )
        return _posted_entry(row["entry_seq"], draft, now, actor.public_id, posted)
    if outcome == "existing":
        previous = _earlier_result(
            [draft], {draft.idempotency_key: {"detail": row["detail"], "id": row["entry_seq"]}}
        )
        return (await load_entries(previous))[0]
    raise _refusal_of(draft, row)


def _refusal_of(draft: Draft, row: dict[str, Any]) -> LedgerRefusal:
    """The refusal the batch path gives for what the function found (it raises it from the same code)."""
    outcome, drafts = row["outcome"], [draft]
    try:
        if outcome == "closed":
            _refuse_closed(drafts, {draft.effective_date.isoformat()[:7]})
        elif outcome == "reverse":
            seq = row["entry_seq"]
            by = "" if row["leg_balance"] is None else str(row["leg_balance"])
            _refuse_bad_reversals(drafts, {} if seq is None else {seq: {"name": row["detail"], "detail": by}})
        elif outcome in ("unknown_fund", "unknown_programme", "currency_mismatch"):
            mismatch = outcome == "currency_mismatch"  # only then are the two currencies given
            fund_currency, programme_currency = row["leg_currencies"] if mismatch else ("", "")
            fund = None if outcome == "unknown_fund" else (0, fund_currency)
            programme = None if outcome == "unknown_programme" else (0, programme_currency)
            key = draft.legs[row["leg_index"]].account
            return _dimension_refusal(0, key, fund, programme) or _unknown(outcome)
        elif outcome == "out_of_range":
            return _out_of_range(drafts, 0, draft.legs[row["leg_index"]].account)
        elif outcome == "overdrawn":
            index = row["leg_index"]
            key = draft.legs[index].account
            account = _Account(0, key.code, 0, row["leg_currencies"][index])
            return _overdrawn(drafts, 0, key, account, {0: row["leg_balance"]})
    except LedgerRefusal as refusal:
        return refusal
    raise _unknown(outcome)


def _unknown(outcome: str) -> RuntimeError:
    return RuntimeError(f"ledger_post_one gave an outcome posting does not know: {outcome!r}")


async def _post(actor: Actor, drafts: Sequence[Draft]) -> list[PostedEntry]:
    _check_drafts(drafts)
    _refuse_repeated_keys(drafts)
    async with write_transaction():
        sql = Sql()
        head = await _lock_head(sql)
        check_rows, account_rows = await _read_after_lock(sql, drafts)
        previous = _judge_checks(drafts, check_rows)
        if previous is not None:
            return await load_entries(previous)
        accounts = await _accounts(sql, drafts, account_rows)
        _refuse_mixed_currencies(drafts, accounts)
        balances = _apply_in_order(drafts, accounts)
        chain = _Chain(actor, drafts, accounts, head)
        await _write(sql, chain, balances)
    return chain.entries


def _check_drafts(drafts: Sequence[Draft]) -> None:
    """check_draft on each; legs already found sound in this batch are not checked again."""
    sound_legs: set[tuple] = set()
    for i, draft in enumerate(drafts):
        try:
            if draft.legs in sound_legs:
                check_idempotency_key(draft)
            else:
                check_draft(draft)
                sound_legs.add(draft.legs)
        except LedgerRefusal as refusal:
            raise (refusal.at(i) if len(drafts) > 1 else refusal) from None


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


# --- checks against what is already posted ----------------------------------------------------


async def _read_after_lock(sql: Sql, drafts: Sequence[Draft]) -> tuple[list[dict], list[dict]]:
    """What posting needs to read once it holds the lock: the checks (keys already used, closed months,
    the entries being reversed) and the accounts touched with their balances. On PostgreSQL both come
    back in one statement, as JSON: each round trip to the server costs more than the work itself."""
    checks_sql, checks_args = _checks_query(sql, drafts)
    keys = {leg.account for d in drafts for leg in d.legs}
    if not sql.postgres:  # no round trips to save in-process
        accounts_sql, accounts_args = _accounts_query(sql, keys, first=1)
        return await sql.fetch(checks_sql, *checks_args), await sql.fetch(accounts_sql, *accounts_args)
    accounts_sql, accounts_args = _accounts_query(sql, keys, first=len(checks_args) + 1)
    rows = await sql.fetch(
        f"SELECT (SELECT COALESCE(json_agg(c), '[]') FROM ({checks_sql}) c) AS checks, "
        f"(SELECT COALESCE(json_agg(a), '[]') FROM ({accounts_sql}) a) AS accounts",
        *checks_args,
        *accounts_args,
    )
    return json.loads(rows[0]["checks"]), json.loads(rows[0]["accounts"])


def _checks_query(sql: Sql, drafts: Sequence[Draft]) -> tuple[str, list[Any]]:
    keys = sorted(d.idempotency_key for d in drafts)  # distinct: _refuse_repeated_keys has seen to it
    months = sorted({d.effective_date.replace(day=1) for d in drafts})
    reversed_seqs = sorted({d.reverses for d in drafts if d.reverses is not None})
    query = (
        "SELECT 'key' AS what, x.idempotency_key AS name, x.request_hash AS detail, x.id "
        f"FROM ledger_entry x {sql.join_any(1, 'text', 'k')} ON x.idempotency_key = k.value "
        f"UNION ALL SELECT 'closed', {_month_text(sql)}, '', 0 FROM ledger_closed_period "
        f"WHERE month {sql.any_(2, 'date')} "
        f"UNION ALL SELECT 'reverse', e.kind, COALESCE(CAST(r.id AS TEXT), ''), e.id FROM ledger_entry e "
        f"LEFT JOIN ledger_entry r ON r.reverses = e.id WHERE e.id {sql.any_(3, 'bigint')}"
    )
    return query, [keys, months if sql.postgres else [m.isoformat() for m in months], reversed_seqs]


def _judge_checks(drafts: Sequence[Draft], rows: list[dict]) -> list[int] | None:
    """Refuses closed months and bad reversals; returns the earlier entries' positions when this exact
    batch was posted before."""
    found = {r["name"]: r for r in rows if r["what"] == "key"}
    if found:
        return _earlier_result(drafts, found)
    _refuse_closed(drafts, {r["name"][:7] for r in rows if r["what"] == "closed"})
    _refuse_bad_reversals(drafts, {r["id"]: r for r in rows if r["what"] == "reverse"})
    return None


def _month_text(sql: Sql) -> str:
    return "to_char(month, 'YYYY-MM-DD')" if sql.postgres else "CAST(month AS TEXT)"


def _earlier_result(drafts: Sequence[Draft], found: dict[str, dict]) -> list[int]:
    """The earlier result if this exact batch was posted before; a refusal if any key was used differently."""
    for i, (draft, print_) in enumerate(zip(drafts, fingerprints(drafts), strict=True)):
        row = found.get(draft.idempotency_key)
        if row is None:
            raise LedgerRefusal(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                "part of this batch was posted before with other entries; send it unchanged or with new keys",
                "idempotency_key",
                i,
            )
        if row["detail"] != print_:
            raise LedgerRefusal(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                f"idempotency key {draft.idempotency_key!r} was already used for another entry, "
                f"{entry_public_id(row['id'])}",
                "idempotency_key",
                i,
            )
    return [found[d.idempotency_key]["id"] for d in drafts]


def _refuse_closed(drafts: Sequence[Draft], closed: set[str]) -> None:
    for i, draft in enumerate(drafts):
        if closed and draft.effective_date.isoformat()[:7] in closed:
            raise LedgerRefusal(
                Refusal.PERIOD_CLOSED,
                f"{draft.effective_date:%Y-%m} is closed; post into an open month with a reference instead",
                "effective_date",
                i,
            )


def _refuse_bad_reversals(drafts: Sequence[Draft], targets: dict[int, dict]) -> None:
    claimed: dict[int, int] = {}
    for i, draft in enumerate(drafts):
        seq = draft.reverses
        if seq is None:
            continue
        row = targets.get(seq)
        if row is None:
            raise LedgerRefusal(Refusal.UNKNOWN_ENTRY, f"no entry {entry_public_id(seq)}", "reverses", i)
        if row["detail"] or seq in claimed:
            by = (
                entry_public_id(int(row["detail"]))
                if row["detail"]
                else f"entry {claimed[seq]} of this batch"
            )
            raise LedgerRefusal(
                Refusal.ALREADY_REVERSED, f"{entry_public_id(seq)} was reversed by {by}", "reverses", i
            )
        if row["name"] == Kind.REVERSAL:
            raise LedgerRefusal(
                Refusal.CANNOT_REVERSE_REVERSAL,
                "a reversal cannot be reversed; post the entry again instead",
                "reverses",
                i,
            )
        claimed[seq] = i


# --- accounts ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Account:
    id: int
    code: str
    balance: int
    currency: str


_ACCOUNTS_SQL = (
    "SELECT f.code AS fund, f.id AS fund_id, f.currency AS fund_currency, p.code AS programme, "
    "p.id AS programme_id, p.currency AS programme_currency, ch.code, ch.id AS chart_id, a.id AS account_id, "
    "a.party, a.balance "
    "FROM ledger_fund f CROSS JOIN ledger_programme p CROSS JOIN ledger_chart ch "
    "LEFT JOIN ledger_account a ON a.fund = f.id AND a.programme = p.id AND a.chart = ch.id "
    "AND a.party {parties} "
    "WHERE f.code {funds} AND p.code {programmes} AND ch.code {codes}"
)


async def _accounts(sql: Sql, drafts: Sequence[Draft], rows: list[dict]) -> dict[AccountKey, _Account]:
    """Every account the drafts touch, with its balance; opens the ones that do not exist yet."""
    keys = {leg.account for d in drafts for leg in d.legs}
    found, dims = _read_accounts(rows, keys)
    if any(("fund", k.fund) not in dims or ("programme", k.programme) not in dims for k in keys):
        # The accounts query pairs funds with programmes, so one unknown programme hides its fund
        # too: read each on its own before saying which is unknown (a refusal: the round trip is spare).
        dims.update(await _dimensions(sql, keys))
    _refuse_unknown_dimensions(drafts, dims)
    missing = sorted(k for k in keys if k not in found)
    if missing:
        rows = [
            (
                dims["chart", k.code],
                dims["fund", k.fund][0],
                dims["programme", k.programme][0],
                k.party,
                dims["fund", k.fund][1],
                0,
            )
            for k in missing
        ]
        await sql.insert_many(
            "ledger_account", ("chart", "fund", "programme", "party", "currency", "balance"), rows
        )
        query, args = _accounts_query(sql, keys, first=1)
        found, _ = _read_accounts(await sql.fetch(query, *args), keys)
    return found


async def _dimensions(sql: Sql, keys: set[AccountKey]) -> dict:
    """The funds and programmes the keys name, each on its own: (kind, code) -> (id, currency)."""
    rows = await sql.fetch(
        f"SELECT 'fund' AS what, code, id, currency FROM ledger_fund WHERE code {sql.any_(1, 'text')} "
        f"UNION ALL SELECT 'programme', code, id, currency FROM ledger_programme "
        f"WHERE code {sql.any_(2, 'text')}",
        sorted({k.fund for k in keys}),
        sorted({k.programme for k in keys}),
    )
    return {(r["what"], r["code"]): (r["id"], r["currency"]) for r in rows}


def _accounts_query(sql: Sql, keys: set[AccountKey], first: int) -> tuple[str, list[Any]]:
    query = _ACCOUNTS_SQL.format(
        parties=sql.any_(first, "text"),
        funds=sql.any_(first + 1, "text"),
        programmes=sql.any_(first + 2, "text"),
        codes=sql.any_(first + 3, "text"),
    )
    args = [
        sorted({k.party for k in keys}),
        sorted({k.fund for k in keys}),
        sorted({k.programme for k in keys}),
        sorted({k.code for k in keys}),
    ]
    return query, args


def _read_accounts(rows: list[dict], keys: set[AccountKey]) -> tuple[dict[AccountKey, _Account], dict]:
    dims: dict = {}
    found: dict[AccountKey, _Account] = {}
    for r in rows:
        dims["fund", r["fund"]] = (r["fund_id"], r["fund_currency"])
        dims["programme", r["programme"]] = (r["programme_id"], r["programme_currency"])
        dims["chart", r["code"]] = r["chart_id"]
        if r["account_id"] is not None:
            key = AccountKey(r["code"], r["fund"], r["programme"], r["party"])
            if key in keys:
                found[key] = _Account(r["account_id"], r["code"], r["balance"], r["fund_currency"])
    return found, dims


def _refuse_unknown_dimensions(drafts: Sequence[Draft], dims: dict) -> None:
    for i, draft in enumerate(drafts):
        for leg in draft.legs:
            fund, programme = (
                dims.get(("fund", leg.account.fund)),
                dims.get(("programme", leg.account.programme)),
            )
            refusal = _dimension_refusal(i, leg.account, fund, programme)
            if refusal is not None:
                raise refusal


def _dimension_refusal(
    i: int, key: AccountKey, fund: tuple[int, str] | None, programme: tuple[int, str] | None
) -> LedgerRefusal | None:
    """Refuses a leg whose fund or programme (id, currency) is unknown, or whose currencies differ."""
    if fund is None:
        return LedgerRefusal(Refusal.UNKNOWN_FUND, f"no fund {key.fund!r}", "fund", i)
    if programme is None:
        return LedgerRefusal(Refusal.UNKNOWN_PROGRAMME, f"no programme {key.programme!r}", "programme", i)
    if fund[1] != programme[1]:
        return LedgerRefusal(
            Refusal.CURRENCY_MISMATCH,
            f"fund {key.fund} is in {fund[1]} but programme {key.programme} in {programme[1]}",
            "programme",
            i,
        )
    return None


def _refuse_mixed_currencies(drafts: Sequence[Draft], accounts: dict[AccountKey, _Account]) -> None:
    currency_of = {key: account.currency for key, account in accounts.items()}
    for i, draft in enumerate(drafts):
        try:
            check_currencies(draft, currency_of)
        except LedgerRefusal as refusal:
            raise (refusal.at(i) if len(drafts) > 1 else refusal) from None


# --- balances ---------------------------------------------------------------------------------

_GUARDED = {line.code: (1 if line.normal_side == "debit" else -1) for line in c.CHART if line.non_negative}


def _apply_in_order(drafts: Sequence[Draft], accounts: dict[AccountKey, _Account]) -> dict[int, int]:
    """Balances after each draft in turn; refuses the first draft that takes a guarded balance past zero."""
    balances = {a.id: a.balance for a in accounts.values()}
    for i, draft in enumerate(drafts):
        for leg in draft.legs:
            balances[accounts[leg.account].id] += leg.amount
        for leg in draft.legs:
            account = accounts[leg.account]
            if abs(balances[account.id]) > MAX_BALANCE:
                raise _out_of_range(drafts, i, leg.account)
            sign = _GUARDED.get(account.code)
            if sign is not None and sign * balances[account.id] < 0:
                raise _overdrawn(drafts, i, leg.account, account, balances)
    return balances


def _out_of_range(drafts: Sequence[Draft], index: int, key: AccountKey) -> LedgerRefusal:
    """BIGINT holds 9.2 x 10^18; balances stop well before, so no sum over them can overflow."""
    refusal = LedgerRefusal(
        Refusal.BALANCE_OUT_OF_RANGE,
        f"account {key.code} of {key.fund}/{key.programme} would exceed {MAX_BALANCE} minor units",
        "amount",
    )
    return refusal.at(index) if len(drafts) > 1 else refusal


def _overdrawn(
    drafts: Sequence[Draft], index: int, key: AccountKey, account: _Account, balances: dict[int, int]
) -> LedgerRefusal:
    line = c.BY_CODE[key.code]
    change = sum(leg.amount for leg in drafts[index].legs if leg.account == key)
    held = (balances[account.id] - change) * _GUARDED[key.code]
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
    return refusal.at(index) if len(drafts) > 1 else refusal


# --- chaining and writing ---------------------------------------------------------------------


class _PostedLegs(NamedTuple):
    """A draft's legs on their accounts, and their text in the chain hash."""

    legs: tuple[PostedLeg, ...]
    text: str


def _posted_legs(
    drafts: Sequence[Draft], accounts: dict[AccountKey, _Account]
) -> tuple[list[_PostedLegs], list[_PostedLegs]]:
    """Each draft's posted legs, made once per distinct set of legs (a batch's entries share a few);
    and the distinct ones."""
    made: dict[tuple, _PostedLegs] = {}
    out = []
    for draft in drafts:
        found = made.get(draft.legs)
        if found is None:
            legs = tuple(
                PostedLeg(acc.id, key.code, key.fund, key.programme, key.party, amount, acc.currency)
                for key, amount in draft.legs
                for acc in (accounts[key],)
            )
            text = canonical_postings((leg.account_id, leg.amount, leg.currency) for leg in legs)
            found = made[draft.legs] = _PostedLegs(legs, text)
        out.append(found)
    return out, list(made.values())


class _Chain:
    """Numbers, timestamps and hashes the entries in order, each hash covering the one before.

    It makes the rows as the writer asks for them, postings first, then entries: on PostgreSQL, COPY
    sends each block as it is made, so the Python work overlaps with the server storing the rows already
    sent. The work is split so that neither COPY waits long on it: the request fingerprints are made while
    the postings go, the chain hashes and the posted entries while the entries go."""

    def __init__(
        self, actor: Actor, drafts: Sequence[Draft], accounts: dict[AccountKey, _Account], head: _Head
    ) -> None:
        self.drafts = drafts
        self.head = head
        self.by = actor.public_id
        self.now = utcnow()
        self.legs, distinct = _posted_legs(drafts, accounts)
        self.touched = sorted({leg.account_id for legs in distinct for leg in legs.legs})
        self.prints: list[str] = []
        self.entries: list[PostedEntry] = []
        self.last_posting_id = head.posting_id
        self.last_hash = head.hash
        self.mac = chain_mac(get_ledger_key())

    def posting_rows(self) -> Iterator[tuple]:
        """Rows in _POSTING_COLUMNS order; call once, before entry_rows()."""
        posting_id = self.head.posting_id
        items = zip(self.drafts, self.legs, fingerprints(self.drafts), strict=True)
        for seq, (draft, legs, print_) in enumerate(items, self.head.seq + 1):
            self.prints.append(print_)
            for leg in legs.legs:
                posting_id += 1
                yield (posting_id, seq, leg.account_id, leg.amount, leg.currency, draft.effective_date)
        self.last_posting_id = posting_id

    def entry_rows(self) -> Iterator[tuple]:
        """Rows in _ENTRY_COLUMNS order; call once, after posting_rows()."""
        now, now_micros, by = self.now, micros(self.now), self.by
        prev, mac = self.head.hash, self.mac
        items = zip(self.drafts, self.legs, self.prints, strict=True)
        for seq, (draft, legs, print_) in enumerate(items, self.head.seq + 1):
            kind, date = draft.kind.value, draft.effective_date
            body = canonical_with_postings(
                seq,
                draft.idempotency_key,
                kind,
                date.isoformat(),
                draft.description,
                draft.reference_type,
                draft.reference_id,
                draft.reverses,
                by,
                now_micros,
                legs.text,
            )
            digest = mac(prev, body)
            self.entries.append(_posted_entry(seq, draft, now, by, legs.legs))
            yield (
                seq,
                draft.idempotency_key,
                print_,
                kind,
                date,
                draft.description,
                draft.reference_type,
                draft.reference_id,
                draft.reverses,
                now,
                by,
                prev,
                digest,
            )
            prev = digest
        self.last_hash = prev

    @property
    def new_head(self) -> tuple[int, str, int]:
        return self.head.seq + len(self.drafts), self.last_hash, self.last_posting_id


def _posted_entry(seq: int, draft: Draft, now: Any, by: str, legs: tuple[PostedLeg, ...]) -> PostedEntry:
    return PostedEntry(
        f"je_{seq}",
        seq,
        draft.kind.value,
        draft.effective_date,
        draft.description,
        draft.reference_type,
        draft.reference_id,
        None if draft.reverses is None else f"je_{draft.reverses}",
        draft.idempotency_key,
        now,
        by,
        legs,
    )


async def _assert_references(sql: Sql, after_posting: int) -> None:
    """Set-wise, what foreign keys would check row by row: every new posting names an existing entry and
    account. A failure here is a bug in this module, and rolls the whole batch back."""
    rows = await sql.fetch(
        "SELECT COUNT(*) AS orphans FROM ledger_posting po LEFT JOIN ledger_entry e ON e.id = po.entry "
        "LEFT JOIN ledger_account a ON a.id = po.account WHERE po.id > $1 AND (e.id IS NULL OR a.id IS NULL)",
        after_posting,
    )
    if rows[0]["orphans"]:
        raise RuntimeError(f"{rows[0]['orphans']} postings reference no entry or account; batch rolled back")


_ENTRY_COLUMNS = (
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
)
_POSTING_COLUMNS = ("id", "entry", "account", "amount", "currency", "effective_date")

# PostgreSQL: every row of a small batch, the balances and the head in one statement (one round trip).
_PG_WRITE = """
WITH new_entries AS (
    INSERT INTO ledger_entry (id, idempotency_key, request_hash, kind, effective_date, description,
                              reference_type, reference_id, reverses, created_at, created_by, prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[],
                         $8::text[], $9::bigint[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])
), new_postings AS (
    INSERT INTO ledger_posting (id, entry, account, amount, currency, effective_date)
    SELECT * FROM unnest($14::bigint[], $15::bigint[], $16::int[], $17::bigint[], $18::text[], $19::date[])
), new_balances AS (
    UPDATE ledger_account AS a SET balance = v.balance
    FROM unnest($20::int[], $21::bigint[]) AS v(id, balance) WHERE a.id = v.id
)
UPDATE ledger_head SET last_seq = $22, last_hash = $23, last_posting_id = $24 WHERE id = 1
"""


async def _write_balances(sql: Sql, touched: list[int], balances: dict[int, int]) -> None:
    """One statement on PostgreSQL however many accounts a batch touches (one per party for payables)."""
    if sql.postgres:
        await sql.execute(
            "UPDATE ledger_account AS a SET balance = v.balance "
            "FROM unnest($1::int[], $2::bigint[]) AS v(id, balance) WHERE a.id = v.id",
            touched,
            [balances[a] for a in touched],
        )
        return
    await sql.executemany(
        "UPDATE ledger_account SET balance = $2 WHERE id = $1", [(a, balances[a]) for a in touched]
    )


async def _write(sql: Sql, chain: _Chain, balances: dict[int, int]) -> None:
    touched = chain.touched
    if sql.postgres and len(chain.drafts) < COPY_FROM:
        posting_rows = list(chain.posting_rows())
        entry_rows = list(chain.entry_rows())
        columns = [list(col) for col in zip(*entry_rows, strict=True)] + [
            list(col) for col in zip(*posting_rows, strict=True)
        ]
        await sql.execute(_PG_WRITE, *columns, touched, [balances[a] for a in touched], *chain.new_head)
        return
    postings = sum(len(legs.legs) for legs in chain.legs)
    await sql.insert_many("ledger_posting", _POSTING_COLUMNS, chain.posting_rows(), postings)
    await sql.insert_many("ledger_entry", _ENTRY_COLUMNS, chain.entry_rows(), len(chain.drafts))
    await _assert_references(sql, chain.head.posting_id)
    await _write_balances(sql, touched, balances)
    await sql.execute(
        "UPDATE ledger_head SET last_seq = $1, last_hash = $2, last_posting_id = $3 WHERE id = 1",
        *chain.new_head,
    )
