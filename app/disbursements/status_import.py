"""Importing the bank's pain.002 status report: each transaction of the file it reports on moves to
accepted, settled or rejected (with the ISO reason code). All or nothing: a report on an unknown message,
naming an unknown transaction, or malformed, changes nothing. The same file imported twice changes nothing
the second time."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import today, utcnow, write_transaction
from app.core.errors import Forbidden, ValidationFailed
from app.core.ids import new_id
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import instructions, pain002, states

IMPORTERS = (Role.FINANCE_OFFICER,)


async def import_status(actor: Actor, data: bytes) -> dict[str, Any]:
    if not actor.has_any(*IMPORTERS):
        raise Forbidden("not_allowed", "finance officers import bank status reports", None)
    digest = hashlib.sha256(data).hexdigest()
    report = pain002.parse(data)
    async with write_transaction():
        sql = Sql()
        seen = await sql.fetch("SELECT * FROM payment_status_report WHERE digest = $1", digest)
        if seen:
            return dict(json.loads(seen[0]["summary"]), report=seen[0]["public_id"], already_imported=True)
        files = await sql.fetch(
            "SELECT * FROM payment_file WHERE message_id = $1", report.original_message_id
        )
        if not files:
            raise ValidationFailed(
                "unknown_message",
                f"the report is about message {report.original_message_id!r}, which no payment file has",
                "OrgnlMsgId",
            )
        rows = await instructions.lock(
            sql,
            [
                r["public_id"]
                for r in await sql.fetch(
                    "SELECT public_id FROM payment_instruction WHERE message_id = $1 AND message_id <> ''",
                    report.original_message_id,
                )
            ],
        )
        by_id = {r["public_id"]: r for r in rows}
        unknown = [t for t in report.transactions if t.end_to_end_id not in by_id]
        if unknown:
            raise ValidationFailed(
                "unknown_transaction",
                f"line {unknown[0].line}: no transaction {unknown[0].end_to_end_id!r} in message "
                f"{report.original_message_id}",
                "OrgnlEndToEndId",
            )
        summary = await _apply(actor, sql, report, by_id)
        public_id = new_id("psr")
        summary = {
            "message_id": report.message_id,
            "original_message_id": report.original_message_id,
            **summary,
        }
        await sql.insert_many(
            "payment_status_report",
            ("public_id", "digest", "message_id", "original_message_id", "summary", "imported_by",
             "imported_at"),
            [(public_id, digest, report.message_id[:35], report.original_message_id[:35], json.dumps(summary),
              actor.public_id, utcnow())],
        )  # fmt: skip
        await audit.record(
            actor, "payment_status.import", "payment_file", report.original_message_id, after=summary
        )
    return dict(summary, report=public_id, already_imported=False)


async def _apply(
    actor: Actor, sql: Sql, report: pain002.StatusReport, by_id: dict[str, dict]
) -> dict[str, Any]:
    explicit = {t.end_to_end_id: t for t in report.transactions}
    batch_of = {t.end_to_end_id: t.batch_id for t in report.transactions}
    settle, accept, reject, unchanged = [], [], [], Counter()
    for instruction_id, row in sorted(by_id.items()):
        tx = explicit.get(instruction_id)
        status, reason = pain002.outcome(report, batch_of.get(instruction_id, f"{row['message_id']}-1"), tx)
        if status in pain002.REJECTED and states.may_move(row["state"], states.REJECTED):
            reject.append((row, reason))
        elif status in pain002.SETTLED and states.may_move(row["state"], states.SETTLED):
            settle.append(row)
        elif status in pain002.ACCEPTED and states.may_move(row["state"], states.ACCEPTED):
            accept.append(row)
        elif tx is not None or status:
            unchanged[f"{status or 'none'}:{row['state']}"] += 1
    when = today()
    await instructions.accept(sql, accept)
    await instructions.settle(actor, sql, settle, when)
    for code in sorted({reason.code for _, reason in reject}):
        chosen = [row for row, reason in reject if reason.code == code]
        text = next(reason.text for row, reason in reject if reason.code == code)
        message = f"rejected by the bank ({code or 'no reason code'}){': ' + text if text else ''}"
        await instructions.end(actor, sql, chosen, states.REJECTED, code or "RJCT", message, when)
    return {
        "accepted": len(accept),
        "settled": len(settle),
        "rejected": len(reject),
        "rejected_instructions": [
            {"instruction": row["public_id"], "reason_code": reason.code} for row, reason in reject
        ],
        "unchanged": dict(unchanged),
    }
