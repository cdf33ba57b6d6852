"""A small parser of the bank's pain.002 payment status report (any version: elements are matched by
local name). Reads the group status, each batch's (PmtInf) status and each transaction's status, with the
ISO reason codes. Pure: bytes in, a record out; a malformed file raises ValidationFailed naming the line.

Statuses: ACSC (settled), ACCP/ACSP/ACTC/ACWC (accepted, not settled yet), RJCT (rejected), PDNG (pending),
PART (some accepted: look at the batches and transactions).
"""

from __future__ import annotations

from typing import NamedTuple

from lxml import etree

from app.core.errors import ValidationFailed

SETTLED = frozenset({"ACSC"})
ACCEPTED = frozenset({"ACCP", "ACSP", "ACTC", "ACWC"})
REJECTED = frozenset({"RJCT"})
KNOWN = SETTLED | ACCEPTED | REJECTED | {"PDNG", "PART", "RCVD"}
MAX_BYTES = 20 * 1024 * 1024


class Reason(NamedTuple):
    code: str
    text: str


class Transaction(NamedTuple):
    end_to_end_id: str
    status: str  # "" when the report gives none for it (the batch's or group's applies)
    reason: Reason
    batch_id: str
    line: int


class Batch(NamedTuple):
    batch_id: str
    status: str
    reason: Reason


class StatusReport(NamedTuple):
    message_id: str
    original_message_id: str
    group_status: str
    group_reason: Reason
    batches: tuple[Batch, ...]
    transactions: tuple[Transaction, ...]


def _children(node: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _child(node: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if node is None:
            return None
        found = _children(node, name)
        node = found[0] if found else None
    return node


def _text(node: etree._Element | None, *path: str) -> str:
    found = _child(node, *path)
    return (found.text or "").strip() if found is not None else ""


def _reason(node: etree._Element) -> Reason:
    info = _child(node, "StsRsnInf")
    if info is None:
        return Reason("", "")
    code = _text(info, "Rsn", "Cd") or _text(info, "Rsn", "Prtry")
    extra = " ".join((x.text or "").strip() for x in _children(info, "AddtlInf"))
    return Reason(code, extra)


def _status(value: str, where: str, line: int) -> str:
    if value and value not in KNOWN:
        raise ValidationFailed("unknown_status", f"line {line}: {where} status {value!r} is not known", where)
    return value


def parse(data: bytes) -> StatusReport:
    if len(data) > MAX_BYTES:
        raise ValidationFailed("file_too_large", "a status report is at most 20 MB", "file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed("invalid_xml", f"line {exc.lineno}: {exc.msg}", "file") from None
    report = _child(root, "CstmrPmtStsRpt")
    if etree.QName(root).localname != "Document" or report is None:
        raise ValidationFailed(
            "not_a_status_report", "the file is not a pain.002 (no Document/CstmrPmtStsRpt)", "file"
        )
    group = _child(report, "OrgnlGrpInfAndSts")
    original = _text(group, "OrgnlMsgId")
    if group is None or not original:
        raise ValidationFailed(
            "invalid_status_report",
            f"line {report.sourceline}: OrgnlGrpInfAndSts/OrgnlMsgId is missing",
            "file",
        )
    batches, transactions = [], []
    for batch in _children(report, "OrgnlPmtInfAndSts"):
        batch_id = _text(batch, "OrgnlPmtInfId")
        batches.append(
            Batch(batch_id, _status(_text(batch, "PmtInfSts"), "PmtInfSts", batch.sourceline), _reason(batch))
        )
        for tx in _children(batch, "TxInfAndSts"):
            e2e = _text(tx, "OrgnlEndToEndId")
            if not e2e:
                raise ValidationFailed(
                    "invalid_status_report",
                    f"line {tx.sourceline}: TxInfAndSts without OrgnlEndToEndId",
                    "file",
                )
            status = _status(_text(tx, "TxSts"), "TxSts", tx.sourceline)
            transactions.append(Transaction(e2e, status, _reason(tx), batch_id, tx.sourceline or 0))
    return StatusReport(
        _text(report, "GrpHdr", "MsgId"),
        original,
        _status(_text(group, "GrpSts"), "GrpSts", group.sourceline),
        _reason(group),
        tuple(batches),
        tuple(transactions),
    )


def outcome(report: StatusReport, batch_id: str, tx: Transaction | None) -> tuple[str, Reason]:
    """The status that applies to one transaction: its own, else its batch's, else the group's."""
    if tx is not None and tx.status:
        return tx.status, tx.reason
    for batch in report.batches:
        if batch.batch_id == batch_id and batch.status and batch.status != "PART":
            return batch.status, batch.reason
    return report.group_status, report.group_reason
