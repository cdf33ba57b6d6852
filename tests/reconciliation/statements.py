"""Bank statements for tests and benchmarks, written as a bank would: camt.053.001.08 (booked entries,
opening and closing balances, batch bookings with one TxDtls per payment, returns with RtrInf) and
camt.054.001.08 debit notifications. Amounts are written from minor units, as the bank writes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NS053 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NS054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


@dataclass(frozen=True)
class Tx:
    """One payment inside an entry: the EndToEndId we sent, its amount and the creditor's name."""

    end_to_end_id: str
    amount_minor: int
    name: str = ""
    return_reason: str = ""  # RtrInf/Rsn/Cd on a returned payment


@dataclass(frozen=True)
class Entry:
    reference: str  # AcctSvcrRef: the bank's own reference, unique on the account
    amount_minor: int
    debit: bool = True
    booked: dt.date = dt.date(2030, 1, 16)
    txs: tuple[Tx, ...] = ()
    family: str = "ICDT"  # ICDT credit transfer, RRTN return (sub-family), CHRG charges
    sub_family: str = "ESCT"
    raw_amount: str | None = None  # to write a malformed amount on purpose
    info: str = ""


@dataclass
class Statement:
    iban: str
    statement_id: str = "STMT-2030-001"
    sequence: int = 1
    opening_minor: int = 0
    currency: str = "EUR"
    day: dt.date = dt.date(2030, 1, 16)
    entries: list[Entry] = field(default_factory=list)
    closing_minor: int | None = None  # default: opening + credits - debits

    def closing(self) -> int:
        if self.closing_minor is not None:
            return self.closing_minor
        return self.opening_minor + sum(-e.amount_minor if e.debit else e.amount_minor for e in self.entries)


def amount(minor: int) -> str:
    return f"{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _balance(kind: str, minor: int, currency: str, day: dt.date) -> str:
    side = "DBIT" if minor < 0 else "CRDT"
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{amount(minor)}</Amt>'
        f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>\n"
    )


def _tx(tx: Tx, currency: str) -> str:
    name = f"<RltdPties><Cdtr><Pty><Nm>{escape(tx.name)}</Nm></Pty></Cdtr></RltdPties>" if tx.name else ""
    ret = f"<RtrInf><Rsn><Cd>{tx.return_reason}</Cd></Rsn></RtrInf>" if tx.return_reason else ""
    return (
        f"<TxDtls><Refs><EndToEndId>{escape(tx.end_to_end_id)}</EndToEndId></Refs>"
        f'<Amt Ccy="{currency}">{amount(tx.amount_minor)}</Amt>{name}'
        f"<RmtInf><Ustrd>{escape(tx.end_to_end_id)}</Ustrd></RmtInf>{ret}</TxDtls>"
    )


def _entry(e: Entry, currency: str, position: int) -> str:
    batch = f"<Btch><NbOfTxs>{len(e.txs)}</NbOfTxs></Btch>" if len(e.txs) > 1 else ""
    details = f"<NtryDtls>{batch}{''.join(_tx(t, currency) for t in e.txs)}</NtryDtls>" if e.txs else ""
    info = f"<AddtlNtryInf>{escape(e.info)}</AddtlNtryInf>" if e.info else ""
    return (
        f"<Ntry><NtryRef>{position}</NtryRef>"
        f'<Amt Ccy="{currency}">{e.raw_amount or amount(e.amount_minor)}</Amt>'
        f"<CdtDbtInd>{'DBIT' if e.debit else 'CRDT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{e.booked.isoformat()}</Dt></BookgDt><ValDt><Dt>{e.booked.isoformat()}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(e.reference)}</AcctSvcrRef>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{'RCDT' if e.family == 'RRTN' else e.family}</Cd>"
        f"<SubFmlyCd>{e.sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd>{details}{info}</Ntry>\n"
    )


def camt053_parts(s: Statement) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS053}">\n<BkToCstmrStmt>\n'
    yield f"<GrpHdr><MsgId>MSG-{escape(s.statement_id)}</MsgId><CreDtTm>{s.day.isoformat()}T18:00:00</CreDtTm></GrpHdr>\n"
    yield (
        f"<Stmt><Id>{escape(s.statement_id)}</Id><ElctrncSeqNb>{s.sequence}</ElctrncSeqNb>"
        f"<CreDtTm>{s.day.isoformat()}T18:00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{s.day.isoformat()}T00:00:00</FrDtTm><ToDtTm>{s.day.isoformat()}T23:59:59</ToDtTm></FrToDt>\n"
        f"<Acct><Id><IBAN>{s.iban}</IBAN></Id><Ccy>{s.currency}</Ccy></Acct>\n"
    )
    yield _balance("OPBD", s.opening_minor, s.currency, s.day)
    yield _balance("CLBD", s.closing(), s.currency, s.day)
    for position, e in enumerate(s.entries, 1):
        yield _entry(e, s.currency, position)
    yield "</Stmt>\n</BkToCstmrStmt>\n</Document>\n"


def camt053(s: Statement) -> bytes:
    return "".join(camt053_parts(s)).encode()


def camt054(iban: str, notification_id: str, entries: Iterable[Entry], currency: str = "EUR") -> bytes:
    body = "".join(_entry(e, currency, i) for i, e in enumerate(entries, 1))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NS054}">\n<BkToCstmrDbtCdtNtfctn>\n'
        f"<GrpHdr><MsgId>MSG-{notification_id}</MsgId><CreDtTm>2030-01-16T18:00:00</CreDtTm></GrpHdr>\n"
        f"<Ntfctn><Id>{notification_id}</Id><CreDtTm>2030-01-16T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>\n{body}"
        "</Ntfctn>\n</BkToCstmrDbtCdtNtfctn>\n</Document>\n"
    ).encode()
