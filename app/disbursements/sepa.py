"""The SEPA credit transfer rail: instructions handed over in pain.001.001.09 files written by sepaxml.

Deterministic: a file's MsgId is `<run>-<seq>`, its PmtInfId `<MsgId>-1`, its creation time and the
debtor account are fixed at release, transactions are ordered by instruction id and EndToEndId is the
instruction id. So a file downloaded twice is the same bytes, and the bank's status reports and statements
match back by these ids. A run is split into files of at most GRANTS_SEPA_FILE_MAX_TRANSACTIONS.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sepaxml import SepaTransfer

from app.core import crashpoints
from app.core.db import as_date, utcnow, write_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.sql import Sql
from app.disbursements import config, details

SCHEMA = "pain.001.001.09"
REMITTANCE_MAX = 140
FILE_COLUMNS = ("file_seq", "message_id")  # set by hand_over, written by the submit


class _FixedTransfer(SepaTransfer):
    """sepaxml's transfer with the ids and time it would otherwise make at random and from the clock."""

    def __init__(self, settings: dict[str, Any], msg_id: str, created: dt.datetime) -> None:
        self._fixed_id, self._created = msg_id, created
        super().__init__(settings, schema=SCHEMA)

    def _create_header(self) -> None:
        self.msg_id = self._fixed_id
        super()._create_header()
        header = self._xml.find("CstmrCdtTrfInitn").find("GrpHdr")
        header.find("CreDtTm").text = self._created.strftime("%Y-%m-%dT%H:%M:%S")

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for i, batch in enumerate(self._xml.find("CstmrCdtTrfInitn").findall("PmtInf"), start=1):
            batch.find("PmtInfId").text = f"{self._fixed_id}-{i}"


def message_id(run_id: str, seq: int) -> str:
    return f"{run_id}-{seq:03d}"


def check_ready() -> config.SepaDebtor:
    debtor = config.sepa_debtor()
    if debtor is None:
        raise ValidationFailed(
            "sepa_not_configured",
            "set GRANTS_SEPA_DEBTOR_NAME and GRANTS_SEPA_DEBTOR_IBAN (the account bank files pay from)",
            "method",
        )
    return debtor


async def hand_over(sql: Sql, run: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Assign the run's SEPA instructions to files (in the release transaction): each row gets its
    `file_seq` and `message_id`, which the caller's submit writes with the new state."""
    if not rows:
        return
    debtor = check_ready()
    size = run["file_size"]
    rows.sort(key=lambda r: r["public_id"])
    now = utcnow().replace(microsecond=0)
    files = []
    for start in range(0, len(rows), size):
        seq = start // size + 1
        chunk = rows[start : start + size]
        msg = message_id(run["public_id"], seq)
        debtor_json = json.dumps({"name": debtor.name, "iban": debtor.iban, "bic": debtor.bic})
        total = sum(r["amount_minor"] for r in chunk)
        files.append((run["public_id"], seq, msg, len(chunk), total, debtor_json, now))
        for row in chunk:
            row.update(file_seq=seq, message_id=msg)
    await sql.insert_many(
        "payment_file",
        ("run", "seq", "message_id", "transactions", "total_minor", "debtor", "created_at"),
        files,
    )


def _remittance(instruction: str, sources: list[str]) -> str:
    text = f"{instruction} " + " ".join(sources)
    return text if len(text) <= REMITTANCE_MAX else text[: REMITTANCE_MAX - 1] + "+"


async def file_bytes(run_id: str, seq: int) -> tuple[str, bytes]:
    """The pain.001 file `seq` of a run, rebuilt from what was fixed at release: (file name, bytes)."""
    async with write_transaction():
        sql = Sql()
        found = await sql.fetch("SELECT * FROM payment_file WHERE run = $1 AND seq = $2", run_id, seq)
        if not found:
            raise NotFound("payment file", "seq")
        file = found[0]
        run = (await sql.fetch("SELECT pay_date, currency FROM payment_run WHERE public_id = $1", run_id))[0]
        rows = await sql.fetch(
            "SELECT * FROM payment_instruction WHERE message_id = $1 AND message_id <> '' ORDER BY public_id",
            file["message_id"],
        )
        detail_rows = {
            d["public_id"]: d
            for d in await sql.fetch(
                f"SELECT * FROM payment_detail WHERE public_id {sql.any_(1, 'text')}",
                [r["detail"] for r in rows],
            )
        }
        sources: dict[str, list[str]] = defaultdict(list)
        for ln in await sql.fetch(
            "SELECT l.instruction, l.source_id FROM payment_line l "
            f"{sql.join_any(1, 'text', 'k')} ON k.value = l.instruction ORDER BY l.id",
            [r["public_id"] for r in rows],
        ):
            sources[ln["instruction"]].append(ln["source_id"])
    return f"{file['message_id']}.xml", render(
        file, as_date(run["pay_date"]), run["currency"], rows, detail_rows, sources
    )


def render(
    file: dict[str, Any],
    pay_date: dt.date,
    currency: str,
    rows: list[dict[str, Any]],
    detail_rows: dict[str, dict[str, Any]],
    sources: dict[str, list[str]],
    validate: bool = False,
) -> bytes:
    debtor = json.loads(file["debtor"])
    settings = {"name": debtor["name"], "IBAN": debtor["iban"], "batch": True, "currency": currency}
    if debtor["bic"]:
        settings["BIC"] = debtor["bic"]
    created = file["created_at"]
    created = created if isinstance(created, dt.datetime) else dt.datetime.fromisoformat(str(created))
    transfer = _FixedTransfer(settings, file["message_id"], created)
    for row in rows:
        bank = details.open_bank(detail_rows[row["detail"]])
        payment = {
            "name": bank.holder,
            "IBAN": bank.iban,
            "amount": row["amount_minor"],
            "execution_date": pay_date,
            "description": _remittance(row["public_id"], sources.get(row["public_id"], [])),
            "endtoend_id": row["public_id"],
        }
        if bank.bic:
            payment["BIC"] = bank.bic
        transfer.add_payment(payment)
    return transfer.export(validate=validate)


async def export_run(run_id: str, out_dir: Path) -> list[Path]:
    """Write every pain.001 file of a run into `out_dir`; returns their paths."""
    async with write_transaction():
        seqs = [
            r["seq"]
            for r in await Sql().fetch("SELECT seq FROM payment_file WHERE run = $1 ORDER BY seq", run_id)
        ]
    if not seqs:
        raise NotFound("payment file", "run")
    written = []
    for seq in seqs:
        name, data = await file_bytes(run_id, seq)
        written.append(_write(out_dir / name, data))
        crashpoints.reached("export.after_first_file")
    return written


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)  # a crash never leaves half a file under the real name
    return path
