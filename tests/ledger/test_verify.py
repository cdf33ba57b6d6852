"""`grants ledger verify` against an attacker with database rights: edits, removals, insertions."""

from __future__ import annotations

import pytest

from app.core.db import engine, raw
from app.ledger import append_only
from app.ledger.operations import Kind
from app.ledger.verify import verify
from tests.ledger.helpers import do, setup_dimensions


async def _ledger_of_five() -> None:
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    for amount in (100, 200, 300, 400):
        await do(Kind.COMMIT, amount)
    await append_only.uninstall(engine())  # the attacker can drop triggers


async def test_an_untouched_ledger_verifies():
    await _ledger_of_five()
    result = await verify()
    assert result.ok, result.problems
    assert (result.entries, result.postings) == (5, 4 + 4 * 2)
    assert len(result.head_hash) == 64


async def test_an_edited_amount_is_found_at_its_entry():
    await _ledger_of_five()
    await raw("UPDATE ledger_posting SET amount = amount * 10 WHERE entry = 3")
    result = await verify()
    assert result.problems[0].kind == "edited"
    assert result.problems[0].where == "je_3"
    assert any(p.kind == "balance_mismatch" for p in result.problems)


async def test_an_edited_description_is_found():
    await _ledger_of_five()
    await raw("UPDATE ledger_entry SET description = 'nothing to see' WHERE id = 2")
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("edited", "je_2")


async def _hashed(seq: int):
    from app.core.db import as_date
    from app.ledger.hashing import HashedEntry, HashedPosting

    row = (await raw("SELECT * FROM ledger_entry WHERE id = {}", seq))[0]
    postings = [
        HashedPosting(r["account"], r["amount"], r["currency"])
        for r in await raw("SELECT * FROM ledger_posting WHERE entry = {}", seq)
    ]
    return row, HashedEntry(
        seq,
        row["idempotency_key"],
        row["kind"],
        as_date(row["effective_date"]),
        row["description"],
        row["reference_type"],
        row["reference_id"],
        row["reverses"],
        row["created_by"],
        row["created_at"],
        postings,
    )


async def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain():
    from app.core.crypto import get_ledger_key
    from app.ledger.hashing import chain_hash

    await _ledger_of_five()
    await raw("UPDATE ledger_posting SET amount = -amount WHERE entry = 4")
    row, hashed = await _hashed(4)
    forged = chain_hash(get_ledger_key(), row["prev_hash"], hashed)
    await raw("UPDATE ledger_entry SET hash = {} WHERE id = 4", forged)
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("out_of_order", "je_5")


async def _rechain(from_seq: int, mac) -> None:
    """What an attacker does after an edit: recompute every MAC from there on, and the head."""
    from app.ledger.hashing import canonical, micros

    prev = (await raw("SELECT prev_hash FROM ledger_entry WHERE id = {}", from_seq))[0]["prev_hash"]
    last = (await raw("SELECT MAX(id) AS n FROM ledger_entry"))[0]["n"]
    for seq in range(from_seq, last + 1):
        _, hashed = await _hashed(seq)
        body = canonical(
            seq,
            hashed.idempotency_key,
            hashed.kind,
            hashed.effective_date.isoformat(),
            hashed.description,
            hashed.reference_type,
            hashed.reference_id,
            hashed.reverses,
            hashed.created_by,
            micros(hashed.created_at),
            ((p.account_id, p.amount, p.currency) for p in hashed.postings),
        )
        digest = mac(prev, body)
        await raw("UPDATE ledger_entry SET prev_hash = {}, hash = {} WHERE id = {}", prev, digest, seq)
        prev = digest
    await raw("UPDATE ledger_head SET last_hash = {} WHERE id = 1", prev)


async def test_an_edit_rechained_without_the_ledger_key_is_found():
    """Before the chain was keyed, anyone with the app's database role could recompute SHA-256 after an
    edit and `verify` passed (this test failed then). Without the ledger key the MACs cannot be forged."""
    import hashlib
    import hmac

    await _ledger_of_five()
    await raw("UPDATE ledger_posting SET amount = amount * 2 WHERE entry = 3")
    await raw(
        "UPDATE ledger_account SET balance = (SELECT SUM(amount) FROM ledger_posting p "
        "WHERE p.account = ledger_account.id)"
    )
    for mac in (
        lambda prev, body: hashlib.sha256(prev.encode() + b"|" + body).hexdigest(),  # the old, unkeyed chain
        lambda prev, body: hmac.new(b"guess" * 8, prev.encode() + b"|" + body, "sha256").hexdigest(),
    ):
        await _rechain(3, mac)
        result = await verify()
        assert [(p.kind, p.where) for p in result.problems] == [("edited", "je_3")]


async def test_the_chain_is_hmac_sha256_of_the_documented_bytes():
    """docs/ledger.md gives the bytes; a PL/pgSQL poster must compute the same MAC."""
    import hashlib
    import hmac

    from app.core.crypto import get_ledger_key

    await _ledger_of_five()
    row, hashed = await _hashed(2)
    p = sorted((x.account_id, x.amount, x.currency) for x in hashed.postings)
    micros = int(hashed.created_at.timestamp()) * 1_000_000 + hashed.created_at.microsecond
    body = (
        f"2|{len(row['idempotency_key'])}:{row['idempotency_key']}|commit|{hashed.effective_date.isoformat()}"
        f"|{len(row['description'])}:{row['description']}|{len(row['reference_type'])}:{row['reference_type']}"
        f"|{len(row['reference_id'])}:{row['reference_id']}||{len(row['created_by'])}:{row['created_by']}"
        f"|{micros}|" + ";".join(f"{a}/{m}/{c}" for a, m, c in p)
    )
    message = row["prev_hash"].encode() + b"|" + body.encode()
    assert hmac.new(get_ledger_key(), message, hashlib.sha256).hexdigest() == row["hash"]


async def test_a_removed_entry_is_named():
    await _ledger_of_five()
    await raw("DELETE FROM ledger_posting WHERE entry = 3")
    await raw("DELETE FROM ledger_entry WHERE id = 3")
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("missing", "je_3")


async def test_removing_the_last_entry_is_caught_by_the_head():
    await _ledger_of_five()
    await raw("DELETE FROM ledger_posting WHERE entry = 5")
    await raw("DELETE FROM ledger_entry WHERE id = 5")
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("missing", "je_5")


async def test_entries_reordered_are_found():
    await _ledger_of_five()
    # Swap positions 2 and 3; postings follow through ON UPDATE CASCADE.
    await raw("UPDATE ledger_entry SET id = 100 WHERE id = 2")
    await raw("UPDATE ledger_entry SET id = 2 WHERE id = 3")
    await raw("UPDATE ledger_entry SET id = 3 WHERE id = 100")
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("out_of_order", "je_2")


async def test_an_entry_beyond_the_head_is_found():
    await _ledger_of_five()
    last = (await raw("SELECT * FROM ledger_entry WHERE id = 5"))[0]
    await raw(
        "INSERT INTO ledger_entry (id, idempotency_key, request_hash, kind, effective_date, description, "
        "reference_type, reference_id, created_at, created_by, prev_hash, hash) "
        "VALUES (6, 'extra', '', 'commit', {}, '', '', '', {}, 'x', {}, {})",
        last["effective_date"],
        last["created_at"],
        last["hash"],
        "f" * 64,
    )
    result = await verify()
    assert result.problems[0].where == "je_6"


async def test_a_tampered_balance_is_found():
    await _ledger_of_five()
    await raw("UPDATE ledger_account SET balance = balance + 1 WHERE id = 1")
    result = await verify()
    assert [p.kind for p in result.problems] == ["balance_mismatch"]
    assert result.problems[0].where == "acc_1"


async def test_a_posting_without_its_entry_is_found():
    await _ledger_of_five()
    await raw(
        "INSERT INTO ledger_posting (id, entry, account, amount, currency, effective_date) "
        "VALUES (999, 77, 1, 5, 'EUR', '2026-10-15')"
    )
    result = await verify()
    assert any(p.kind == "orphan_posting" and p.where == "pst_999" for p in result.problems)


# The MAC in SQL, as docs/ledger.md gives it: a PL/pgSQL poster computes the same chain with pgcrypto.
ENTRY_MAC_SQL = """
SELECT e.id, e.hash, encode(hmac(convert_to(
    e.prev_hash || '|' || e.id || '|' || length(e.idempotency_key) || ':' || e.idempotency_key
    || '|' || e.kind || '|' || to_char(e.effective_date, 'YYYY-MM-DD')
    || '|' || length(e.description) || ':' || e.description
    || '|' || length(e.reference_type) || ':' || e.reference_type
    || '|' || length(e.reference_id) || ':' || e.reference_id
    || '|' || COALESCE(e.reverses::text, '')
    || '|' || length(e.created_by) || ':' || e.created_by
    || '|' || (extract(epoch FROM e.created_at) * 1000000)::bigint
    || '|' || (SELECT string_agg(p.account || '/' || p.amount || '/' || p.currency, ';'
                                 ORDER BY p.account, p.amount, p.currency COLLATE "C")
               FROM ledger_posting p WHERE p.entry = e.id),
    'UTF8'), $1::bytea, 'sha256'), 'hex') AS sql_mac
FROM ledger_entry e ORDER BY e.id
"""


@pytest.mark.postgres_only
async def test_pgcrypto_computes_the_same_chain():
    from app.core.crypto import get_ledger_key
    from app.core.db import write_transaction
    from app.core.sql import Sql

    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    await do(Kind.COMMIT, 250)
    await engine().run_ddl("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    async with write_transaction():
        rows = await Sql().fetch(ENTRY_MAC_SQL, get_ledger_key())
    assert len(rows) == 2
    assert all(r["hash"] == r["sql_mac"] for r in rows)


@pytest.mark.postgres_only
async def test_the_ledger_cannot_be_truncated():
    """Before the statement trigger, TRUNCATE emptied the ledger whatever the row triggers said (this test
    failed then)."""
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 10_000)
    for table in ("ledger_posting", "ledger_entry"):
        with pytest.raises(Exception, match="append-only"):
            await raw(f"TRUNCATE {table} CASCADE")
    assert (await verify()).ok
