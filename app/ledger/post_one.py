"""One entry posted in one round trip on PostgreSQL: a PL/pgSQL function does under the head lock what
posting.py does for a batch (checks, accounts, balances, postings, chain MAC, entry, head).

A single entry is what a person waits on (a claim approved, a voucher issued); the batch path costs it
five round trips, and on these machines a round trip costs more than the work in it. The function
returns refusals as values, never by raising: an error would abort the caller's transaction, and the
caller may go on after a refusal (a refused voucher in a loop). posting.py turns each outcome into the
same refusal, with the same message, as the batch path gives; SQLite keeps the batch path.

The chain is the one docs/ledger.md writes down: the MAC is pgcrypto's hmac() under the ledger key,
passed with each call (the database never stores it).
"""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from app.core.db import engine

FUNCTION = "ledger_post_one"

# $1 key, $2 request hash, $3 kind, $4 date, $5 description, $6 reference type, $7 reference id,
# $8 reverses, $9 created by, $10 created at, $11 created at in microseconds, $12..$15 each leg's code,
# fund, programme and party, $16 amounts, $17 each leg's guard (1: never below zero debit-normal, -1:
# credit-normal, 0: unguarded), $18 the largest balance an account may hold, $19 the ledger key.
CALL = f"SELECT * FROM {FUNCTION}({', '.join(f'${n}' for n in range(1, 20))})"

_DEFINITION = r"""
CREATE OR REPLACE FUNCTION ledger_post_one(
    p_key text, p_request_hash text, p_kind text, p_date date, p_description text,
    p_reference_type text, p_reference_id text, p_reverses bigint, p_created_by text,
    p_created_at timestamptz, p_created_micros bigint,
    p_codes text[], p_funds text[], p_programmes text[], p_parties text[], p_amounts bigint[],
    p_guards int[], p_max_balance bigint, p_mac_key bytea,
    OUT outcome text, OUT entry_seq bigint, OUT detail text, OUT leg_index int, OUT leg_balance bigint,
    OUT account_ids int[], OUT leg_currencies text[]
) AS $$
-- outcome: posted (entry_seq, detail = its MAC, account_ids and leg_currencies per leg);
-- existing (the key is taken: entry_seq and detail = that entry's request hash);
-- closed; reverse (entry_seq NULL: no such entry; else detail = its kind, leg_balance = the entry
-- reversing it, if any); unknown_fund, unknown_programme, currency_mismatch (leg_index;
-- leg_currencies = the fund's and the programme's); out_of_range, overdrawn (leg_index,
-- leg_balance = the balance it would leave, leg_currencies).
DECLARE
    head record;
    earlier record;
    leg record;
    legs int := cardinality(p_codes);
    starts bigint[] := '{}';
    chart_ids int[] := '{}';
    fund_ids int[] := '{}';
    programme_ids int[] := '{}';
    opened int;
    after bigint;
    postings text;
BEGIN
    SELECT last_seq, last_hash, last_posting_id INTO head FROM ledger_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the ledger head is missing: run `grants init`';
    END IF;

    -- What is already posted, read in one statement (after the lock, so it sees every entry committed
    -- before it), refused in the batch path's order: the key, the month, the entry reversed.
    SELECT k.id AS key_entry, k.request_hash,
           EXISTS (SELECT 1 FROM ledger_closed_period WHERE month = date_trunc('month', p_date)::date)
               AS closed,
           t.id AS target, t.kind AS target_kind, r.id AS reversed_by
    INTO earlier
    FROM (SELECT 1) one
    LEFT JOIN ledger_entry k ON k.idempotency_key = p_key
    LEFT JOIN ledger_entry t ON t.id = p_reverses
    LEFT JOIN ledger_entry r ON r.reverses = t.id;
    IF earlier.key_entry IS NOT NULL THEN
        outcome := 'existing'; entry_seq := earlier.key_entry; detail := earlier.request_hash;
        RETURN;
    END IF;
    IF earlier.closed THEN
        outcome := 'closed';
        RETURN;
    END IF;
    IF p_reverses IS NOT NULL THEN
        IF earlier.target IS NULL THEN
            outcome := 'reverse';
            RETURN;
        END IF;
        IF earlier.reversed_by IS NOT NULL OR earlier.target_kind = 'reversal' THEN
            outcome := 'reverse'; entry_seq := p_reverses; detail := earlier.target_kind;
            leg_balance := earlier.reversed_by;
            RETURN;
        END IF;
    END IF;

    -- Each leg's fund, programme and account (NULL: not opened yet) with its balance.
    account_ids := '{}';
    leg_currencies := '{}';
    FOR leg IN
        SELECT l.ord, f.id AS fund_id, f.currency AS fund_currency, p.id AS programme_id,
               p.currency AS programme_currency, ch.id AS chart_id, a.id AS account_id, a.balance
        FROM unnest(p_codes, p_funds, p_programmes, p_parties)
             WITH ORDINALITY AS l(code, fund, programme, party, ord)
        LEFT JOIN ledger_fund f ON f.code = l.fund
        LEFT JOIN ledger_programme p ON p.code = l.programme
        LEFT JOIN ledger_chart ch ON ch.code = l.code
        LEFT JOIN ledger_account a
               ON a.chart = ch.id AND a.fund = f.id AND a.programme = p.id AND a.party = l.party
        ORDER BY l.ord
    LOOP
        leg_index := leg.ord - 1;
        IF leg.fund_id IS NULL THEN
            outcome := 'unknown_fund';
            RETURN;
        END IF;
        IF leg.programme_id IS NULL THEN
            outcome := 'unknown_programme';
            RETURN;
        END IF;
        IF leg.fund_currency <> leg.programme_currency THEN
            outcome := 'currency_mismatch';
            leg_currencies := ARRAY[leg.fund_currency, leg.programme_currency];
            RETURN;
        END IF;
        chart_ids := chart_ids || leg.chart_id;
        fund_ids := fund_ids || leg.fund_id;
        programme_ids := programme_ids || leg.programme_id;
        account_ids := account_ids || leg.account_id;
        leg_currencies := leg_currencies || leg.fund_currency;
        starts := starts || COALESCE(leg.balance, 0);
    END LOOP;
    leg_index := NULL;

    -- Balances after the entry, leg by leg: the first whose account would leave the range, or cross
    -- zero when guarded, refuses it.
    FOR i IN 1..legs LOOP
        after := starts[i];
        FOR j IN 1..legs LOOP
            IF p_codes[j] = p_codes[i] AND p_funds[j] = p_funds[i] AND p_programmes[j] = p_programmes[i]
               AND p_parties[j] = p_parties[i] THEN
                after := after + p_amounts[j];
            END IF;
        END LOOP;
        IF abs(after) > p_max_balance THEN
            outcome := 'out_of_range'; leg_index := i - 1; leg_balance := after;
            RETURN;
        END IF;
        IF p_guards[i] * after < 0 THEN
            outcome := 'overdrawn'; leg_index := i - 1; leg_balance := after;
            RETURN;
        END IF;
    END LOOP;

    -- Open the accounts not opened yet, in the batch path's order (code, fund, programme, party).
    IF array_position(account_ids, NULL) IS NOT NULL THEN
        FOR leg IN
            SELECT * FROM (
                SELECT DISTINCT l.code, l.fund, l.programme, l.party, l.chart_id, l.fund_id,
                       l.programme_id, l.currency
                FROM unnest(p_codes, p_funds, p_programmes, p_parties, chart_ids, fund_ids, programme_ids,
                            leg_currencies, account_ids)
                     AS l(code, fund, programme, party, chart_id, fund_id, programme_id, currency, account_id)
                WHERE l.account_id IS NULL
            ) missing
            ORDER BY missing.code COLLATE "C", missing.fund COLLATE "C", missing.programme COLLATE "C",
                     missing.party COLLATE "C"
        LOOP
            INSERT INTO ledger_account (chart, fund, programme, party, currency, balance)
            VALUES (leg.chart_id, leg.fund_id, leg.programme_id, leg.party, leg.currency, 0)
            RETURNING id INTO opened;
            FOR i IN 1..legs LOOP
                IF account_ids[i] IS NULL AND p_codes[i] = leg.code AND p_funds[i] = leg.fund
                   AND p_programmes[i] = leg.programme AND p_parties[i] = leg.party THEN
                    account_ids[i] := opened;
                END IF;
            END LOOP;
        END LOOP;
    END IF;

    -- Write: postings (numbered after the head's last) and kept balances, with the postings' text for
    -- the chain in the same statement; then the chained entry and the head.
    entry_seq := head.last_seq + 1;
    WITH new_postings AS (
        INSERT INTO ledger_posting (id, entry, account, amount, currency, effective_date)
        SELECT head.last_posting_id + l.ord, entry_seq, l.account, l.amount, l.currency, p_date
        FROM unnest(account_ids, p_amounts, leg_currencies)
             WITH ORDINALITY AS l(account, amount, currency, ord)
    ), new_balances AS (
        UPDATE ledger_account a SET balance = a.balance + d.delta
        FROM (SELECT l.account, sum(l.amount)::bigint AS delta
              FROM unnest(account_ids, p_amounts) AS l(account, amount) GROUP BY l.account) d
        WHERE a.id = d.account
    )
    SELECT string_agg(l.account || '/' || l.amount || '/' || l.currency, ';'
                      ORDER BY l.account, l.amount, l.currency COLLATE "C")
    INTO postings FROM unnest(account_ids, p_amounts, leg_currencies) AS l(account, amount, currency);
    detail := encode(hmac(convert_to(
        head.last_hash || '|' || entry_seq || '|' || length(p_key) || ':' || p_key
        || '|' || p_kind || '|' || to_char(p_date, 'YYYY-MM-DD')
        || '|' || length(p_description) || ':' || p_description
        || '|' || length(p_reference_type) || ':' || p_reference_type
        || '|' || length(p_reference_id) || ':' || p_reference_id
        || '|' || COALESCE(p_reverses::text, '')
        || '|' || length(p_created_by) || ':' || p_created_by
        || '|' || p_created_micros || '|' || postings,
        'UTF8'), p_mac_key, 'sha256'), 'hex');
    WITH new_entry AS (
        INSERT INTO ledger_entry (id, idempotency_key, request_hash, kind, effective_date, description,
                                  reference_type, reference_id, reverses, created_at, created_by, prev_hash,
                                  hash)
        VALUES (entry_seq, p_key, p_request_hash, p_kind, p_date, p_description, p_reference_type,
                p_reference_id, p_reverses, p_created_at, p_created_by, head.last_hash, detail)
    )
    UPDATE ledger_head
    SET last_seq = entry_seq, last_hash = detail, last_posting_id = head.last_posting_id + legs
    WHERE id = 1;
    outcome := 'posted';
END;
$$ LANGUAGE plpgsql
"""


async def install(db: Engine) -> None:
    """Create (or replace) the function; nothing on SQLite."""
    if isinstance(db, PostgresEngine):
        await db.run_ddl("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        await db.run_ddl(_DEFINITION)


async def call(*args: Any) -> dict[str, Any]:
    """The function's one row, on the caller's transaction if there is one (the statement joins it);
    otherwise on a pooled connection as a statement of its own, committed by the server with no BEGIN
    or COMMIT sent: one round trip."""
    db = engine()
    transaction = db.current_transaction.get()
    if transaction is not None:
        return dict(await transaction.connection.fetchrow(CALL, *args))
    pool = getattr(db, "pool", None)
    if pool is not None:
        async with pool.acquire() as connection:
            return dict(await connection.fetchrow(CALL, *args))
    connection = await db.get_new_connection()  # type: ignore[attr-defined]
    try:
        return dict(await connection.fetchrow(CALL, *args))
    finally:
        await connection.close()
