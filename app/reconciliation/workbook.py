"""Open exceptions to a spreadsheet and decisions back: a finance officer works the queue offline, fills in
`resolution`, `reason` and (optionally) `params` per row, and imports the sheet. A dry run shows what each
row would do and changes nothing; a real import is all or nothing (any bad row: nothing resolved, every
bad row named with its column). Decisions that move money still wait for a second person."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook, load_workbook

from app.core.actor import Actor
from app.core.db import write_transaction
from app.core.errors import ErrorDetail, ValidationFailed
from app.core.sql import Sql
from app.reconciliation import queries, queue, resolutions, service

COLUMNS = ("id", "kind", "state", "severity", "amount", "currency", "instruction", "booking", "summary",
           "first_seen", "resolution", "reason", "params")  # fmt: skip
DECISION_COLUMNS = ("resolution", "reason", "params")
MAX_BYTES = 10 * 1024 * 1024


async def export_open(actor: Actor) -> bytes:
    """Every exception not resolved yet, one row each, with empty decision columns."""
    views, cursor = [], None
    while True:
        page = await queries.list_exceptions(actor, state="unresolved", limit=100, starting_after=cursor)
        views += page["data"]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    book = Workbook()
    sheet = book.active
    sheet.title = "Exceptions"
    sheet.append(COLUMNS)
    for v in views:
        sheet.append([v["id"], v["kind"], v["state"], v["severity"], v["amount"], v["currency"],
                      v["instruction"] or "", v["booking"] or "", v["summary"], v["first_seen"].isoformat(),
                      "", "", ""])  # fmt: skip
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise ValidationFailed("file_too_large", "a decisions workbook is at most 10 MB", "file")
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed("invalid_workbook", "the file is not an .xlsx workbook", "file") from None
    lines = list(sheet.iter_rows(values_only=True))
    if not lines:
        raise ValidationFailed("invalid_workbook", "the workbook is empty", "file")
    header = [str(c or "").strip() for c in lines[0]]
    missing = [c for c in ("id", *DECISION_COLUMNS) if c not in header]
    if missing:
        raise ValidationFailed("missing_columns", f"row 1: columns {', '.join(missing)} are missing", "file")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        cells = {
            name: str(value).strip() if value is not None else ""
            for name, value in zip(header, line, strict=False)
        }
        if cells.get("resolution"):
            out.append((number, cells))
    return out


def _params(text: str, number: int, problems: list[ErrorDetail]) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        message = f'row {number}: params must be a JSON object like {{"cash_minor": -1}}'
        problems.append(ErrorDetail("invalid_params", message, f"row {number}, params"))
        return {}
    return value


async def _check_row(
    sql: Sql, number: int, cells: dict[str, str], problems: list[ErrorDetail]
) -> dict | None:
    params = _params(cells.get("params", ""), number, problems)
    rows = await sql.fetch("SELECT * FROM recon_exception WHERE public_id = $1", cells.get("id", ""))
    if not rows:
        problems.append(
            ErrorDetail(
                "unknown_exception", f"row {number}: no exception {cells.get('id')!r}", f"row {number}, id"
            )
        )
        return None
    row, kind, reason = rows[0], cells["resolution"], cells.get("reason", "")
    try:
        queue.require_state(row, "open", "assigned")
        resolutions.check_kind(row, kind, reason)
        plan = await resolutions.plan(sql, row, kind, params)
    except ValidationFailed as exc:
        column = (
            "reason"
            if exc.code == "reason_required"
            else "resolution"
            if exc.param == "resolution"
            else "params"
        )
        problems.append(ErrorDetail(exc.code, f"row {number}: {exc.message}", f"row {number}, {column}"))
        return None
    except Exception as exc:  # a Conflict: already being resolved, or not matchable now
        problems.append(
            ErrorDetail(getattr(exc, "code", "conflict"), f"row {number}: {exc}", f"row {number}, id")
        )
        return None
    return {
        "row": number, "exception": row["public_id"], "resolution": kind, "reason": reason, "params": params,
        "effect": plan["effect"], "needs_second_person": plan["moves_money"],
    }  # fmt: skip


async def import_decisions(actor: Actor, data: bytes, dry_run: bool) -> dict[str, Any]:
    service.require(actor, resolutions.RESOLVERS, "resolving exceptions")
    decided = _rows(data)
    async with write_transaction():
        sql = Sql()
        problems: list[ErrorDetail] = []
        changes = [c for number, cells in decided if (c := await _check_row(sql, number, cells, problems))]
        if problems:
            message = f"{len(problems)} row(s) cannot be applied; nothing changed"
            raise ValidationFailed("invalid_decisions", message, "file", details=problems)
        if not dry_run:
            for change in changes:  # joins this transaction: all or nothing
                await resolutions.resolve(actor, change["exception"], change["resolution"], change["reason"],
                                          change["params"])  # fmt: skip
    return {"dry_run": dry_run, "decisions": len(changes), "changes": changes}
