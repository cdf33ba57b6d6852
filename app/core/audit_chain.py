"""The audit log's keyed chain: events are sealed in order after they commit, each MAC covering the one
before, so an event edited, removed or slipped in after sealing is found by `grants audit verify` (and
`grants ledger verify`).

Events are written inside the transaction of the change they record, by many transactions at once; a
chain position taken there would serialise them all on one lock, and lock it in either order against
the ledger head. So an event is inserted unsealed (`hash` = '') and `seal()` chains the committed ones
later, one sealer at a time (it locks `audit_head`): `grants audit seal`, run by cron and by
`grants ledger checkpoint`. The append-only triggers allow exactly that one update (app/core/append_only.py).

The MAC is HMAC-SHA256 under a key derived from the ledger key (GRANTS_LEDGER_KEY), over
`prev_hash "|" chain_seq "|" L(public_id) "|" occurred_micros "|" L(actor) "|" L(actor_label) "|" L(action)
"|" L(entity_type) "|" L(entity_id) "|" J(before) "|" J(after) "|" L(note)`, where L(text) is
`length ":" text` and J(json) is L(the JSON text as stored) or `~` for none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from app.core.append_only import AppendOnly
from app.core.crypto import get_ledger_key
from app.core.db import raw, write_transaction

INITIAL_HASH = "0" * 64
CHUNK = 2000
CHAIN_COLUMNS = ("chain_seq", "prev_hash", "hash")
CONTENT_COLUMNS = (
    "id",
    "public_id",
    "occurred_at",
    "actor",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "note",
)
SPEC = AppendOnly("audit_event", "hash", CHAIN_COLUMNS, CONTENT_COLUMNS)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _key() -> bytes:
    return hmac.new(get_ledger_key(), b"grants/audit-chain", hashlib.sha256).digest()


def _micros(moment: dt.datetime | str) -> int:
    if isinstance(moment, str):  # SQLite hands timestamps back as text
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"{len(text)}:{text}"


def _json(value: Any) -> str:
    if value is None:
        return "~"
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True)
    return _text(value)


def event_mac(key: bytes, prev_hash: str, seq: int, row: dict[str, Any]) -> str:
    body = (
        f"{prev_hash}|{seq}|{_text(row['public_id'])}|{_micros(row['occurred_at'])}|{_text(row['actor'])}"
        f"|{_text(row['actor_label'])}|{_text(row['action'])}|{_text(row['entity_type'])}"
        f"|{_text(row['entity_id'])}|{_json(row['before'])}|{_json(row['after'])}|{_text(row['note'])}"
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


async def seed_head() -> None:
    """The head row, once (idempotent)."""
    await raw(
        "INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, {}) ON CONFLICT (id) DO NOTHING",
        INITIAL_HASH,
    )


async def _lock_head(postgres_lock: bool) -> tuple[int, str]:
    rows = await raw(
        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1" + (" FOR UPDATE" if postgres_lock else "")
    )
    if not rows:
        raise RuntimeError("the audit head is missing: run `grants init`")
    return rows[0]["last_seq"], rows[0]["last_hash"]


async def seal() -> int:
    """Chain every committed, unsealed event, in id order. Returns how many were sealed."""
    from app.core.db import is_postgres

    key, sealed = _key(), 0
    while True:
        async with write_transaction():
            seq, prev = await _lock_head(is_postgres())
            rows = await raw(
                "SELECT * FROM audit_event WHERE hash = '' ORDER BY id LIMIT {}",
                CHUNK,
            )
            for row in rows:
                seq += 1
                digest = event_mac(key, prev, seq, row)
                await raw(
                    "UPDATE audit_event SET chain_seq = {}, prev_hash = {}, hash = {} WHERE id = {}",
                    seq,
                    prev,
                    digest,
                    row["id"],
                )
                prev = digest
            if rows:
                await raw("UPDATE audit_head SET last_seq = {}, last_hash = {} WHERE id = 1", seq, prev)
        sealed += len(rows)
        if len(rows) < CHUNK:
            return sealed


@dataclass(frozen=True)
class AuditProblem:
    kind: str  # missing, out_of_order, edited, head_mismatch
    where: str
    message: str


@dataclass
class AuditVerifyResult:
    events: int = 0
    unsealed: int = 0
    head_hash: str = INITIAL_HASH
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify() -> AuditVerifyResult:
    """Walk the sealed events in chain order; name the first that was removed, reordered or edited."""
    result = AuditVerifyResult()
    head = (await raw("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))[0]
    result.head_hash = head["last_hash"]
    result.unsealed = (await raw("SELECT COUNT(*) AS n FROM audit_event WHERE hash = ''"))[0]["n"]
    key, expected, prev = _key(), 1, INITIAL_HASH
    while True:
        rows = await raw(
            "SELECT * FROM audit_event WHERE chain_seq >= {} ORDER BY chain_seq LIMIT {}", expected, CHUNK
        )
        for row in rows:
            problem = _check(key, row, expected, prev)
            if problem:
                result.problems.append(problem)
                return result
            result.events += 1
            expected, prev = expected + 1, row["hash"]
        if len(rows) < CHUNK:
            break
    if (head["last_seq"], head["last_hash"]) != (expected - 1, prev):
        result.problems.append(
            AuditProblem(
                "missing",
                f"audit event #{expected}",
                f"the audit head says the chain ends at #{head['last_seq']} but it ends at #{expected - 1}: "
                "events were removed",
            )
        )
    return result


def _check(key: bytes, row: dict[str, Any], expected: int, prev: str) -> AuditProblem | None:
    seq = row["chain_seq"]
    if seq != expected:
        return AuditProblem("missing", f"audit event #{expected}", f"audit event #{expected} is missing")
    if row["prev_hash"] != prev:
        return AuditProblem(
            "out_of_order", row["public_id"], f"{row['public_id']} does not follow the event before it"
        )
    if event_mac(key, prev, seq, row) != row["hash"]:
        return AuditProblem(
            "edited", row["public_id"], f"{row['public_id']} was changed after it was recorded"
        )
    return None
