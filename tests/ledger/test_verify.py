"""`grants ledger verify` against an attacker with database rights: edits, removals, insertions."""

from __future__ import annotations

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


async def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain():
    from app.core.db import as_date
    from app.ledger.hashing import HashedEntry, HashedPosting, chain_hash

    await _ledger_of_five()
    await raw("UPDATE ledger_posting SET amount = -amount WHERE entry = 4")
    row = (await raw("SELECT * FROM ledger_entry WHERE id = 4"))[0]
    postings = [
        HashedPosting(r["account"], r["amount"], r["currency"])
        for r in await raw("SELECT * FROM ledger_posting WHERE entry = 4")
    ]
    forged = chain_hash(
        row["prev_hash"],
        HashedEntry(
            4,
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
        ),
    )
    await raw("UPDATE ledger_entry SET hash = {} WHERE id = 4", forged)
    result = await verify()
    assert (result.problems[0].kind, result.problems[0].where) == ("out_of_order", "je_5")


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
