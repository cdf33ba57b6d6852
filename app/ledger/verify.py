"""`grants ledger verify`: walk the hash chain and the balances, and say where the ledger was altered.

Checks, in chain order: every position from 1 to the head is present (a gap means an entry was removed);
each entry names the hash of the one before (otherwise one was slipped in or reordered); each entry's
hash matches its content and postings (otherwise it was edited). Then each account's kept balance must
equal the sum of its postings, and the head must end where the chain ends.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from app.core.crypto import get_ledger_key
from app.core.db import as_date, raw
from app.ledger.chart import INITIAL_HASH
from app.ledger.entries import entry_public_id
from app.ledger.hashing import ChainMac, HashedEntry, HashedPosting, chain_mac, entry_body
from app.ledger.queries import account_public_id, committed_by_reference

CHUNK = 5000


@dataclass(frozen=True)
class Problem:
    kind: str  # missing, out_of_order, edited, beyond_head, head_mismatch, balance_mismatch, orphan_posting
    where: str
    message: str


@dataclass
class VerifyResult:
    entries: int = 0
    postings: int = 0
    head_hash: str = INITIAL_HASH
    problems: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was checked (app/integrity/verify.py adds)

    @property
    def ok(self) -> bool:
        return not self.problems


def unknown_references(ledger: dict[tuple[str, str], int], known: set[str], what: str) -> list[Problem]:
    """Money the ledger moved for records (of a domain's `committed_by_reference`) that no longer exist:
    a row deleted behind the application's back."""
    missing = sorted({ref for (ref, _), amount in ledger.items() if amount and ref not in known})
    kind = f"{what.replace(' ', '_')}_missing"
    return [
        Problem(kind, ref, f"the ledger moved money for {what} {ref}, which does not exist")
        for ref in missing
    ]


async def claims_against_ledger(table: str, code: str, what: str) -> list[Problem]:
    """Each claim of `table` (a claims table with its `<table>_line` lines, posted with the claim as
    reference `table`): its approved amount must be what its approval expended in the ledger and what its
    lines approved. Problems are `<code>_approved_mismatch` and `<code>_lines_mismatch`."""
    ledger = await committed_by_reference(table)
    rows = await raw(
        "SELECT c.public_id, c.approved_minor, COALESCE(SUM(l.amount_approved_minor), 0) AS lines_minor "
        f"FROM {table} c LEFT JOIN {table}_line l ON l.claim = c.public_id "
        "GROUP BY c.id, c.public_id, c.approved_minor ORDER BY c.id"
    )
    found = []
    for row in rows:
        claim, approved, lines = row["public_id"], row["approved_minor"], int(row["lines_minor"])
        expended = -ledger.get((claim, "expend"), 0)
        if approved != expended:
            message = f"{claim} says {approved} was approved but the ledger expended {expended} for it"
            found.append(Problem(f"{code}_approved_mismatch", claim, message))
        if lines != approved:
            message = f"{claim} says {approved} was approved but its lines approved {lines}"
            found.append(Problem(f"{code}_lines_mismatch", claim, message))
    return found + unknown_references(ledger, {r["public_id"] for r in rows}, what)


async def verify() -> VerifyResult:
    result = VerifyResult()
    head = (await raw("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1"))[0]
    result.head_hash = head["last_hash"]
    chain_end = await _walk_chain(result)
    if not result.problems:
        _check_head(result, head, chain_end)
    await _check_balances(result)
    await _check_orphans(result)
    return result


async def _walk_chain(result: VerifyResult) -> tuple[int, str]:
    expected, prev = 1, INITIAL_HASH
    mac = chain_mac(get_ledger_key())
    after = -(2**62)
    while True:
        entries = await raw("SELECT * FROM ledger_entry WHERE id > {} ORDER BY id LIMIT {}", after, CHUNK)
        if not entries:
            return expected - 1, prev
        postings = await _postings(entries[0]["id"], entries[-1]["id"])
        for row in entries:
            problem = _check_entry(mac, row, expected, prev, postings.get(row["id"], []))
            if problem:
                result.problems.append(problem)
                return expected - 1, prev
            result.entries += 1
            result.postings += len(postings.get(row["id"], []))
            expected, prev = row["id"] + 1, row["hash"]
        after = entries[-1]["id"]


async def _postings(first: int, last: int) -> dict[int, list[HashedPosting]]:
    rows = await raw(
        "SELECT entry, account, amount, currency FROM ledger_posting WHERE entry >= {} AND entry <= {}",
        first,
        last,
    )
    by_entry: dict[int, list[HashedPosting]] = defaultdict(list)
    for r in rows:
        by_entry[r["entry"]].append(HashedPosting(r["account"], r["amount"], r["currency"]))
    return by_entry


def _check_entry(
    mac: ChainMac, row: dict, expected: int, prev: str, postings: list[HashedPosting]
) -> Problem | None:
    seq = row["id"]
    if seq > expected:
        return Problem(
            "missing",
            entry_public_id(expected),
            f"{entry_public_id(expected)} is missing: the chain jumps to {entry_public_id(seq)}",
        )
    if seq < expected or row["prev_hash"] != prev:
        return Problem(
            "out_of_order",
            entry_public_id(seq),
            f"{entry_public_id(seq)} does not follow the entry before it in the chain",
        )
    hashed = HashedEntry(
        seq=seq,
        idempotency_key=row["idempotency_key"],
        kind=row["kind"],
        effective_date=as_date(row["effective_date"]),
        description=row["description"],
        reference_type=row["reference_type"],
        reference_id=row["reference_id"],
        reverses=row["reverses"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        postings=postings,
    )
    if mac(prev, entry_body(hashed)) != row["hash"]:
        return Problem(
            "edited",
            entry_public_id(seq),
            f"{entry_public_id(seq)} was changed after posting (its content or postings do not match "
            "its hash)",
        )
    return None


def _check_head(result: VerifyResult, head: dict, chain_end: tuple[int, str]) -> None:
    last_seq, last_hash = chain_end
    if head["last_seq"] > last_seq:
        result.problems.append(
            Problem(
                "missing",
                entry_public_id(last_seq + 1),
                f"the head says the chain ends at {entry_public_id(head['last_seq'])} but "
                f"it ends at {entry_public_id(last_seq)}: entries were removed",
            )
        )
    elif head["last_seq"] < last_seq:
        result.problems.append(
            Problem(
                "beyond_head",
                entry_public_id(head["last_seq"] + 1),
                f"{entry_public_id(head['last_seq'] + 1)} lies beyond the head of the chain: "
                "it was inserted outside the ledger",
            )
        )
    elif head["last_hash"] != last_hash:
        result.problems.append(
            Problem("head_mismatch", "head", "the head hash does not match the last entry")
        )


async def _check_balances(result: VerifyResult) -> None:
    rows = await raw(
        "SELECT a.id, a.balance, COALESCE(SUM(po.amount), 0) AS total FROM ledger_account a "
        "LEFT JOIN ledger_posting po ON po.account = a.id GROUP BY a.id, a.balance ORDER BY a.id"
    )
    for r in rows:
        if int(r["total"]) != r["balance"]:
            result.problems.append(
                Problem(
                    "balance_mismatch",
                    account_public_id(r["id"]),
                    f"{account_public_id(r['id'])} keeps a balance of {r['balance']} but its postings sum to "
                    f"{int(r['total'])}",
                )
            )


async def _check_orphans(result: VerifyResult) -> None:
    rows = await raw(
        "SELECT po.id, po.entry, po.account FROM ledger_posting po "
        "LEFT JOIN ledger_entry e ON e.id = po.entry LEFT JOIN ledger_account a ON a.id = po.account "
        "WHERE e.id IS NULL OR a.id IS NULL ORDER BY po.id LIMIT 1"
    )
    for r in rows:
        result.problems.append(
            Problem(
                "orphan_posting",
                f"pst_{r['id']}",
                f"posting pst_{r['id']} names {entry_public_id(r['entry'])} and "
                f"{account_public_id(r['account'])}, and one of them does not exist",
            )
        )
