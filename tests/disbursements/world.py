"""Test worlds for payments: approved provider claims seeded fast (the rows and the ledger entries a real
approval makes), payees with confirmed payment details, signed Stripe webhook payloads, pain.002 files."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import stripe

from app.core.actor import Actor
from app.core.db import utcnow, write_transaction
from app.core.ids import new_ids
from app.core.roles import Role
from app.core.sql import Sql
from app.disbursements import details
from app.ledger import dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target

FUND, PROGRAMME = "ESF", "CHILDCARE"
WEBHOOK_SECRET = "whsec_test_grants"
DEBTOR_IBAN = "DE89370400440532013000"
# Valid German IBANs (bank 37040044, Commerzbank: COBADEFFXXX) made from account numbers.
_ACCOUNTS = itertools.count(1_000_000_000)

FINANCE = Actor(1, "usr_finance0000000001", "finance", frozenset({Role.FINANCE_OFFICER}))
FINANCE_2 = Actor(2, "usr_finance0000000002", "finance 2", frozenset({Role.FINANCE_OFFICER}))
APPROVER = Actor(3, "usr_approver000000003", "approver", frozenset({Role.APPROVER}))
APPROVER_2 = Actor(4, "usr_approver000000004", "approver 2", frozenset({Role.APPROVER}))
RELEASER = Actor(5, "usr_releaser000000005", "releaser", frozenset({Role.FINANCE_OFFICER}))


def iban(n: int | None = None) -> str:
    from schwifty import IBAN

    account = n if n is not None else next(_ACCOUNTS)
    return IBAN.generate("DE", bank_code="37040044", account_code=f"{account:010d}").compact


async def ensure_budget(amount: int = 10**12) -> None:
    async with write_transaction():
        have = await Sql().fetch("SELECT code FROM ledger_fund WHERE code = $1", FUND)
    if not have:
        await dimensions.create(Actor.system(), "fund", FUND, "European Social Fund", "EUR")
        await dimensions.create(Actor.system(), "programme", PROGRAMME, "Childcare vouchers", "EUR")
        load = Operation(Kind.BUDGET_LOAD, Target(FUND, PROGRAMME), amount, "load", dt.date(2026, 1, 1))
        await ledger.apply_one(Actor.system(), load)


async def providers(count: int) -> list[str]:
    ids = new_ids("prv", count)
    async with write_transaction():
        await Sql().insert_many(
            "organisation",
            ("public_id", "kind", "name", "created_at"),
            [(p, "provider", f"Provider {i}", utcnow()) for i, p in enumerate(ids)],
            count=count,
        )
    return ids


async def approved_claims(payees: list[str], per_payee: int, amount: int) -> list[str]:
    """Per payee one voucher and `per_payee` approved claims of `amount`, with the ledger entries a final
    approval posts (committed -> expended, a payable to the provider)."""
    await ensure_budget()
    vouchers = new_ids("vch", len(payees))
    claims = new_ids("clm", len(payees) * per_payee)
    total = per_payee * amount
    now = utcnow()
    async with write_transaction():
        sql = Sql()
        await sql.insert_many(
            "voucher",
            ("public_id", "kind", "decision", "participant", "provider", "mode", "fund", "programme", "currency",
             "period", "value_minor", "authorised_hours", "valid_from", "valid_until", "total_minor",
             "claimed_minor", "released_minor", "status", "status_reason", "code_index", "code_sealed",
             "holder_check", "created_by", "created_at", "updated_at"),
            [(v, "childcare", f"dec_{v[4:]}", "par_0000000000000000", p, "provider", FUND, PROGRAMME, "EUR",
              "week", total, 0, dt.date(2026, 1, 1), dt.date(2026, 12, 31), total, total, 0, "exhausted", "",
              v, "", "", "tests", now, now) for v, p in zip(vouchers, payees, strict=True)],
            count=len(payees),
        )  # fmt: skip
        by_claim = [(c, payees[i // per_payee], vouchers[i // per_payee]) for i, c in enumerate(claims)]
        await sql.insert_many(
            "voucher_claim",
            ("public_id", "provider", "period_start", "period_end", "status", "source", "currency",
             "claimed_minor", "accepted_minor", "approved_minor", "decided_reason", "submitted_by",
             "submitted_at"),
            [(c, p, dt.date(2026, 3, 1), dt.date(2026, 3, 31), "approved", "api", "EUR", amount, amount, amount,
              "", "tests", now) for c, p, _ in by_claim],
            count=len(by_claim),
        )  # fmt: skip
        await sql.insert_many(
            "voucher_claim_line",
            ("claim", "line_no", "voucher", "service_start", "service_end", "days_attended",
             "amount_claimed_minor", "amount_accepted_minor", "amount_approved_minor", "outcome", "reason",
             "message"),
            [(c, 1, v, dt.date(2026, 3, 2), dt.date(2026, 3, 27), 20, amount, amount, amount, "accepted", "", "")
             for c, _, v in by_claim],
            count=len(by_claim),
        )  # fmt: skip
        target = {p: Target(FUND, PROGRAMME, p) for p in payees}
        await ledger.apply(
            Actor.system(),
            [Operation(Kind.COMMIT, target[p], total, f"commit:{v}", dt.date(2026, 3, 1))
             for v, p in zip(vouchers, payees, strict=True)]
            + [Operation(Kind.EXPEND, target[p], amount, f"claim:{c}:expend:{FUND}:{PROGRAMME}", dt.date(2026, 4, 1),
                         f"Claim {c} approved", "voucher_claim", c) for c, p, _ in by_claim],
        )  # fmt: skip
    return claims


async def confirmed_bank(payee: str, account: str | None = None) -> str:
    """SEPA details entered by finance and confirmed by an approver."""
    made = await details.propose(FINANCE, payee, "sepa", iban=account or iban(), holder=f"Holder of {payee}")
    await details.confirm(APPROVER, made["id"])
    return made["id"]


async def confirmed_stripe(payee: str) -> str:
    account = f"acct_{payee[4:]}"
    made = await details.propose(FINANCE, payee, "stripe", stripe_account=account)
    await details.confirm(APPROVER, made["id"])
    return account


def signed_event(event_type: str, obj: dict, account: str | None = None, secret: str = WEBHOOK_SECRET,
                 event_id: str | None = None, timestamp: int | None = None) -> tuple[bytes, str]:  # fmt: skip
    event = {
        "id": event_id or f"evt_{new_ids('x', 1)[0][2:]}",
        "object": "event",
        "type": event_type,
        "api_version": "2025-01-01",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
    }
    if account:
        event["account"] = account
    payload = json.dumps(event)
    ts = timestamp if timestamp is not None else int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{ts}.{payload}", secret)
    return payload.encode(), f"t={ts},v1={signature}"


def pain002(original_message_id: str, group: str = "", transactions: tuple = (), batch: str = "",
            report_id: str = "STS-1") -> bytes:  # fmt: skip
    """A pain.002.001.10 status report: group status, and (end-to-end id, status, reason code) per transaction."""
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (
            f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn><AddtlInf>Account closed</AddtlInf></StsRsnInf>"
            if code
            else ""
        )
        + "</TxInfAndSts>"
        for e2e, status, code in transactions
    )
    group_status = f"<GrpSts>{group}</GrpSts>" if group else ""
    batch_status = f"<PmtInfSts>{batch}</PmtInfSts>" if batch else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">\n<CstmrPmtStsRpt>\n'
        f"<GrpHdr><MsgId>{report_id}</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>\n"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original_message_id}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>{group_status}</OrgnlGrpInfAndSts>\n"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original_message_id}-1</OrgnlPmtInfId>{batch_status}\n{txs}\n"
        "</OrgnlPmtInfAndSts>\n</CstmrPmtStsRpt>\n</Document>\n"
    ).encode()
