"""The exception queue: findings of matching and of the checks become exceptions, one open exception per
fingerprint (a re-run refreshes its evidence, never makes a second copy), and people move them
open -> assigned (with a due date) -> pending_resolution (a resolution that moves money waits for a second
person) -> resolved. Every transition is in the audit log; the evidence is frozen at resolution.

Two kinds clear themselves when a re-run no longer finds them: an unmatched instruction that a later
statement shows, and a failed check that holds again (resolution `cleared`, by the system).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import as_date, utcnow
from app.core.errors import Conflict, NotFound
from app.core.ids import new_ids
from app.core.sql import Sql
from app.reconciliation import config
from app.reconciliation.matching import Finding, money

OPEN_STATES = ("open", "assigned", "pending_resolution")
SELF_CLEARING = ("unmatched_instruction", "failed_check")
KINDS = (
    "unmatched_booking",
    "unmatched_instruction",
    "amount_mismatch",
    "duplicate",
    "return",
    "rejection",
    "failed_check",
)


def severity(amount_minor: int, first_seen: dt.datetime, now: dt.datetime) -> str:
    bands = config.severity()
    age = (now - first_seen).days
    if amount_minor >= bands.high_minor or age >= bands.high_days:
        return "high"
    if amount_minor >= bands.medium_minor or age >= bands.medium_days:
        return "medium"
    return "low"


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


async def _existing(sql: Sql, fingerprints: Sequence[str]) -> tuple[dict[str, dict], set[tuple[str, int]]]:
    """Open exceptions by fingerprint, and the (fingerprint, amount) facts already resolved."""
    open_: dict[str, dict] = {}
    resolved: set[tuple[str, int]] = set()
    unique = sorted(set(fingerprints))
    for i in range(0, len(unique), 20_000):
        rows = await sql.fetch(
            "SELECT e.id, e.public_id, e.fingerprint, e.state, e.amount_minor, e.first_seen, e.seen_count "
            f"FROM recon_exception e {sql.join_any(1, 'text', 'k')} ON k.value = e.fingerprint",
            unique[i : i + 20_000],
        )
        for r in rows:
            if r["state"] == "resolved":
                resolved.add((r["fingerprint"], int(r["amount_minor"])))
            else:
                open_[r["fingerprint"]] = r
    return open_, resolved


async def record(actor: Actor, sql: Sql, findings: Sequence[Finding]) -> dict[str, int]:
    """Open or refresh one exception per finding. A fact already resolved (same fingerprint and amount)
    is not raised again."""
    now = utcnow()
    unique = {f.fingerprint: f for f in findings}
    open_, resolved = await _existing(sql, list(unique))
    new, refreshed = [], []
    for fingerprint, f in unique.items():
        if fingerprint in open_:
            row = open_[fingerprint]
            level = severity(f.amount_minor, _when(row["first_seen"]), now)
            evidence = json.dumps(f.evidence, default=str)
            refreshed.append((evidence, now, level, f.amount_minor, f.summary, row["id"]))
        elif (fingerprint, f.amount_minor) not in resolved:
            new.append(f)
    ids = new_ids("exc", len(new))
    await sql.insert_many(
        "recon_exception",
        ("public_id", "fingerprint", "kind", "state", "severity", "currency", "amount_minor", "booking",
         "instruction", "check_name", "summary", "evidence", "first_seen", "last_seen", "seen_count"),
        [(i, f.fingerprint, f.kind, "open", severity(f.amount_minor, now, now), f.currency, f.amount_minor,
          f.booking, f.instruction, str(f.evidence.get("check", "")) if f.kind == "failed_check" else "",
          f.summary, json.dumps(f.evidence, default=str), now, now, 1)
         for i, f in zip(ids, new, strict=True)],
    )  # fmt: skip
    await sql.executemany(
        "UPDATE recon_exception SET evidence = $1, last_seen = $2, severity = $3, amount_minor = $4, "
        "summary = $5, seen_count = seen_count + 1 WHERE id = $6",
        refreshed,
    )
    if new:
        await audit.record(
            actor, "reconciliation.exceptions_opened", "recon_exception", ids[0],
            after={"opened": len(new), "kinds": sorted({f.kind for f in new})},
        )  # fmt: skip
    return {"opened": len(new), "refreshed": len(refreshed)}


async def clear_stale(actor: Actor, sql: Sql, still_found: set[str]) -> int:
    """Self-clearing exceptions that this run no longer finds are resolved as `cleared`."""
    rows = await sql.fetch(
        f"SELECT * FROM recon_exception WHERE state IN ('open', 'assigned') AND kind {sql.any_(1, 'text')}",
        list(SELF_CLEARING),
    )
    stale = [r for r in rows if r["fingerprint"] not in still_found]
    now = utcnow()
    await sql.executemany(
        "UPDATE recon_exception SET state = 'resolved', resolution = 'cleared', reason = $1, "
        "resolved_by = $2, "
        "resolved_at = $3, frozen_evidence = evidence WHERE id = $4",
        [("no longer found by a reconciliation run", actor.public_id, now, r["id"]) for r in stale],
    )
    for r in stale:
        after = {"state": "resolved", "resolution": "cleared"}
        await audit.record(
            actor, "reconciliation.exception_cleared", "recon_exception", r["public_id"],
            before={"state": r["state"]}, after=after,
        )  # fmt: skip
    return len(stale)


def view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "kind": row["kind"],
        "state": row["state"],
        "severity": row["severity"],
        "currency": row["currency"],
        "amount": money(int(row["amount_minor"])),
        "amount_minor": int(row["amount_minor"]),
        "booking": row["booking"] or None,
        "instruction": row["instruction"] or None,
        "check": row["check_name"] or None,
        "summary": row["summary"],
        "evidence": json.loads(row["evidence"] or "{}"),
        "first_seen": _when(row["first_seen"]),
        "last_seen": _when(row["last_seen"]),
        "seen_count": int(row["seen_count"]),
        "assignee": row["assignee"] or None,
        "due_date": as_date(row["due_date"]) if row["due_date"] else None,
        "proposal": json.loads(row["proposal"]) if row["proposal"] else None,
        "proposed_by": row["proposed_by"] or None,
        "resolution": row["resolution"] or None,
        "reason": row["reason"] or None,
        "resolved_by": row["resolved_by"] or None,
        "approved_by": row["approved_by"] or None,
        "resolved_at": _when(row["resolved_at"]) if row["resolved_at"] else None,
        "frozen_evidence": json.loads(row["frozen_evidence"]) if row["frozen_evidence"] else None,
        "ledger_entry": row["ledger_entry"] or None,
    }


async def load(sql: Sql, exception_id: str, lock: bool = False) -> dict[str, Any]:
    suffix = " FOR UPDATE" if lock and sql.postgres else ""
    rows = await sql.fetch(f"SELECT * FROM recon_exception WHERE public_id = $1{suffix}", exception_id)
    if not rows:
        raise NotFound("exception")
    return rows[0]


def require_state(row: dict[str, Any], *allowed: str) -> None:
    if row["state"] not in allowed:
        raise Conflict(
            "invalid_transition",
            f"exception {row['public_id']} is {row['state']}; this needs it {' or '.join(allowed)}",
            "state",
        )


async def transition(actor: Actor, sql: Sql, row: dict[str, Any], action: str, **changes: Any) -> None:
    """Set columns of one exception and audit the change."""
    names = list(changes)
    sets = ", ".join(f"{name} = ${i + 1}" for i, name in enumerate(names))
    await sql.execute(
        f"UPDATE recon_exception SET {sets} WHERE id = ${len(names) + 1}", *changes.values(), row["id"]
    )
    before = {k: row.get(k) for k in names if k not in ("frozen_evidence", "evidence")}
    after = {k: v for k, v in changes.items() if k not in ("frozen_evidence", "evidence")}
    await audit.record(actor, f"reconciliation.exception_{action}", "recon_exception", row["public_id"],
                       before=json.loads(json.dumps(before, default=str)),
                       after=json.loads(json.dumps(after, default=str)))  # fmt: skip
