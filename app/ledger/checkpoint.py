"""Checkpoints: the chain heads of the ledger and of the audit log, published outside the database.

`grants ledger checkpoint --out FILE` seals the audit log, then writes the ledger's head (entries, MAC)
and the audit log's head to FILE as JSON and records them in the audit log. Kept somewhere the database's
administrators cannot write (a mail to the auditors, a write-once bucket), a checkpoint lets
`grants ledger verify --against FILE` detect what the keyed chain alone cannot: a ledger cut back to an
earlier entry, with its head row rewritten to match (a truncated tail), or a whole chain replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core import audit, audit_chain
from app.core.actor import Actor
from app.core.db import raw, utcnow, write_transaction
from app.core.errors import ValidationFailed
from app.ledger.entries import entry_public_id


@dataclass(frozen=True)
class Checkpoint:
    entries: int
    ledger_head: str
    audit_events: int
    audit_head: str
    taken_at: str


async def take(actor: Actor) -> Checkpoint:
    await audit_chain.seal()
    async with write_transaction():
        ledger = (await raw("SELECT last_seq, last_hash FROM ledger_head WHERE id = 1"))[0]
        head = (await raw("SELECT last_seq, last_hash FROM audit_head WHERE id = 1"))[0]
        point = Checkpoint(
            ledger["last_seq"], ledger["last_hash"], head["last_seq"], head["last_hash"], utcnow().isoformat()
        )
        await audit.record(actor, "ledger.checkpoint", "ledger", "head", after=asdict(point))
    return point


def write(point: Checkpoint, path: Path) -> None:
    path.write_text(json.dumps(asdict(point), indent=2) + "\n")


def read(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text())
        point = Checkpoint(**data)
        dt.datetime.fromisoformat(point.taken_at)
        if not (isinstance(point.entries, int) and isinstance(point.audit_events, int)):
            raise TypeError("counts must be whole numbers")
    except (OSError, ValueError, TypeError) as exc:
        raise ValidationFailed(
            "invalid_checkpoint",
            f"{path} is not a checkpoint written by `grants ledger checkpoint`: {exc}",
            "--against",
        ) from exc
    return point


async def compare(point: Checkpoint) -> list[str]:
    """What the database no longer has of the checkpoint; empty when it still holds both heads."""
    problems = []
    if point.entries:
        rows = await raw("SELECT hash FROM ledger_entry WHERE id = {}", point.entries)
        if not rows:
            problems.append(
                f"the checkpoint of {point.taken_at} saw {point.entries} entries, but "
                f"{entry_public_id(point.entries)} is gone: the ledger was cut back"
            )
        elif rows[0]["hash"] != point.ledger_head:
            problems.append(
                f"{entry_public_id(point.entries)} no longer has the MAC of the checkpoint of "
                f"{point.taken_at}: the chain up to it was replaced"
            )
    if point.audit_events:
        rows = await raw("SELECT hash FROM audit_event WHERE chain_seq = {}", point.audit_events)
        if not rows or rows[0]["hash"] != point.audit_head:
            problems.append(
                f"audit event #{point.audit_events} of the checkpoint of {point.taken_at} is gone or "
                "changed: the audit log was cut back or replaced"
            )
    return problems
