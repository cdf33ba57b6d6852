"""Payees' payment details: a Stripe Connect account, or a bank account checked with schwifty.

A bank account that belongs to a person (a participant paid a stipend) is sealed like other personal data;
an organisation's is kept in clear. Every change is a new row, audited, and pending until a second person
confirms it; while a change is pending, the payee is not paid (the classic fraud path is a changed IBAN).
A finance officer can also pause a payee's payments, with a reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from app.core import audit
from app.core.actor import Actor
from app.core.crypto import get_vault
from app.core.db import utcnow, write_transaction
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.organisations import find_organisation
from app.core.roles import Role
from app.core.sealed_fields import SealedField, register
from app.core.sql import Sql
from app.registry import participants

SEALED = register(SealedField("payment_detail", "bank", "public_id", "payment_detail", "sealed"))
CONFIRMERS = (Role.FINANCE_OFFICER, Role.APPROVER)
KINDS = {"prv": "provider", "emp": "employer", "par": "participant"}
STRIPE_ACCOUNT = re.compile(r"^acct_[A-Za-z0-9]{1,60}$")
# SEPA countries where a bank identifier is not needed beside the IBAN (the EEA); elsewhere give the BIC.
EEA = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IS IE IT LV LI LT LU MT NL NO PL PT RO SK SI ES SE".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class BankAccount:
    iban: str
    bic: str
    holder: str


def payee_kind(payee: str) -> str:
    kind = KINDS.get(payee.partition("_")[0])
    if kind is None or not has_prefix(payee, payee.partition("_")[0]):
        raise ValidationFailed("invalid_payee", "a payee is a provider, employer or participant id", "payee")
    return kind


def check_bank(iban_text: str, bic_text: str, holder: str) -> BankAccount:
    """The IBAN's check digits, length and country, and a BIC known to the bank registry (taken from the
    IBAN when the registry knows its bank). Raises ValidationFailed naming the field."""
    try:
        iban = IBAN(iban_text)
    except SchwiftyException as exc:
        raise ValidationFailed("invalid_iban", f"the IBAN is not valid: {exc}", "iban") from None
    bic = _check_bic(bic_text) if bic_text.strip() else (str(iban.bic) if iban.bic else "")
    if not bic and iban.country_code not in EEA:
        raise ValidationFailed(
            "bic_required", f"a bank in {iban.country_code} needs its BIC beside the IBAN", "bic"
        )
    holder = " ".join(holder.split())
    if not 1 <= len(holder) <= 70:
        raise ValidationFailed("invalid_holder", "the account holder's name has 1 to 70 characters", "holder")
    return BankAccount(iban.compact, bic, holder)


def _check_bic(text: str) -> str:
    try:
        bic = BIC(text.strip().upper())
    except SchwiftyException as exc:
        raise ValidationFailed("invalid_bic", f"the BIC is not valid: {exc}", "bic") from None
    full = str(bic) if len(str(bic)) == 11 else f"{bic}XXX"
    if not (bic.exists or BIC(full).exists):
        raise ValidationFailed("unknown_bic", f"no bank with BIC {bic} is known", "bic")
    return str(bic)


def masked_iban(iban: str) -> str:
    return f"{iban[:4]} …{iban[-4:]}"


def masked_account(account: str) -> str:
    return f"acct_…{account[-4:]}"


async def _check_payee(actor: Actor, payee: str) -> str:
    """The payee exists and this actor may set its details: an organisation's own users and finance staff
    for providers and employers; caseworkers for participants."""
    kind = payee_kind(payee)
    if kind == "participant":
        if not actor.has_any(Role.CASEWORKER):
            raise Forbidden("not_allowed", "a participant's payment details are set by a caseworker", "payee")
        await participants.get(actor, payee)
        return kind
    if actor.is_outside:
        if actor.organisation_public_id != payee:
            raise NotFound(kind, "payee")
    elif not actor.has_any(Role.FINANCE_OFFICER, Role.ADMIN):
        raise Forbidden("not_allowed", "an organisation's payment details are set by it or finance", "payee")
    await find_organisation(actor, kind, payee)
    return kind


async def propose(
    actor: Actor,
    payee: str,
    method: str,
    *,
    stripe_account: str = "",
    iban: str = "",
    bic: str = "",
    holder: str = "",
) -> dict[str, Any]:
    """Record new payment details for a payee, pending a second person's confirmation."""
    kind = await _check_payee(actor, payee)
    public_id = new_id("pmd")
    if method == "stripe":
        if not STRIPE_ACCOUNT.match(stripe_account):
            raise ValidationFailed(
                "invalid_stripe_account",
                "a Stripe Connect account id looks like acct_1A2b3C",
                "stripe_account",
            )
        values = {"method": "stripe", "stripe_account": stripe_account, "bank": "", "sealed": False}
        masked = masked_account(stripe_account)
    elif method == "sepa":
        account = check_bank(iban, bic, holder)
        plain = {"iban": account.iban, "bic": account.bic, "holder": account.holder}
        sealed = kind == "participant"
        bank = get_vault().seal(plain, f"{SEALED.context}:{public_id}") if sealed else json.dumps(plain)
        values = {"method": "sepa", "stripe_account": "", "bank": bank, "sealed": sealed}
        masked = masked_iban(account.iban)
    else:
        raise ValidationFailed("invalid_method", "the method is stripe or sepa", "method")
    async with write_transaction():
        sql = Sql()
        pending = await sql.fetch(
            "SELECT public_id FROM payment_detail WHERE payee = $1 AND status = 'pending'", payee
        )
        if pending:
            raise Conflict(
                "change_pending",
                f"a change ({pending[0]['public_id']}) awaits confirmation: confirm or reject it first",
                "payee",
            )
        current = await _current(sql, payee)
        await sql.insert_many(
            "payment_detail",
            (
                "public_id",
                "payee",
                "payee_kind",
                "method",
                "stripe_account",
                "bank",
                "sealed",
                "masked",
                "status",
                "reason",
                "created_by",
                "created_at",
                "decided_by",
            ),
            [
                (
                    public_id,
                    payee,
                    kind,
                    values["method"],
                    values["stripe_account"],
                    values["bank"],
                    values["sealed"],
                    masked,
                    "pending",
                    "",
                    actor.public_id,
                    utcnow(),
                    "",
                )
            ],
        )
        await audit.record(
            actor,
            "payment_detail.propose",
            "payee",
            payee,
            before={"detail": current["masked"] if current else None},
            after={"detail": masked, "method": method, "id": public_id},
            note="payment blocked until a second person confirms",
        )
    return await detail_view(public_id)


async def _current(sql: Sql, payee: str) -> dict[str, Any] | None:
    rows = await sql.fetch("SELECT * FROM payment_detail WHERE payee = $1 AND status = 'confirmed'", payee)
    return rows[0] if rows else None


async def _pending_for_update(sql: Sql, detail_id: str) -> dict[str, Any]:
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = (
        await sql.fetch(f"SELECT * FROM payment_detail WHERE public_id = $1{lock}", detail_id)
        if has_prefix(detail_id, "pmd")
        else []
    )
    if not rows:
        raise NotFound("payment detail")
    if rows[0]["status"] != "pending":
        raise Conflict("detail_decided", f"this change is already {rows[0]['status']}", None)
    return rows[0]


def _check_confirmer(actor: Actor, row: dict[str, Any]) -> None:
    if not actor.has_any(*CONFIRMERS):
        raise Forbidden("not_a_confirmer", "finance officers and approvers confirm payment details", None)
    if row["created_by"] == actor.public_id:
        raise Forbidden("four_eyes", "whoever entered payment details cannot confirm them", None)


async def confirm(actor: Actor, detail_id: str) -> dict[str, Any]:
    """A second person confirms a pending change (after checking it with the payee): it becomes the
    payee's payment details; the ones before are superseded."""
    async with write_transaction():
        sql = Sql()
        row = await _pending_for_update(sql, detail_id)
        _check_confirmer(actor, row)
        now = utcnow()
        await sql.execute(
            "UPDATE payment_detail SET status = 'superseded' WHERE payee = $1 AND status = 'confirmed'",
            row["payee"],
        )
        await sql.execute(
            "UPDATE payment_detail SET status = 'confirmed', decided_by = $1, decided_at = $2 "
            "WHERE public_id = $3",
            actor.public_id,
            now,
            detail_id,
        )
        await audit.record(actor, "payment_detail.confirm", "payee", row["payee"], after={"id": detail_id})
    return await detail_view(detail_id)


async def reject(actor: Actor, detail_id: str, reason: str) -> dict[str, Any]:
    async with write_transaction():
        sql = Sql()
        row = await _pending_for_update(sql, detail_id)
        _check_confirmer(actor, row)
        await sql.execute(
            "UPDATE payment_detail SET status = 'rejected', reason = $1, decided_by = $2, decided_at = $3 "
            "WHERE public_id = $4",
            reason,
            actor.public_id,
            utcnow(),
            detail_id,
        )
        await audit.record(
            actor, "payment_detail.reject", "payee", row["payee"], after={"id": detail_id, "reason": reason}
        )
    return await detail_view(detail_id)


async def set_paused(actor: Actor, payee: str, paused: bool, reason: str) -> dict[str, Any]:
    """Pause (or resume) every payment to a payee; runs leave a paused payee out, saying why."""
    payee_kind(payee)
    if paused and not reason.strip():
        raise ValidationFailed("reason_required", "say why the payments are paused", "reason")
    async with write_transaction():
        sql = Sql()
        before = await sql.fetch("SELECT paused, reason FROM payment_payee WHERE payee = $1", payee)
        if before:
            await sql.execute(
                "UPDATE payment_payee SET paused = $1, reason = $2, updated_by = $3, updated_at = $4 "
                "WHERE payee = $5",
                paused,
                reason,
                actor.public_id,
                utcnow(),
                payee,
            )
        else:
            await sql.insert_many(
                "payment_payee",
                ("payee", "paused", "reason", "updated_by", "updated_at"),
                [(payee, paused, reason, actor.public_id, utcnow())],
            )
        await audit.record(
            actor,
            "payee.pause" if paused else "payee.resume",
            "payee",
            payee,
            before={"paused": bool(before[0]["paused"])} if before else None,
            after={"paused": paused, "reason": reason},
        )
    return await payee_view(actor, payee)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "payee": row["payee"],
        "payee_kind": row["payee_kind"],
        "method": row["method"],
        "account": row["masked"],
        "status": row["status"],
        "reason": row["reason"],
        "created_by": row["created_by"],
        "created_at": row["created_at"],
        "decided_by": row["decided_by"],
        "decided_at": row["decided_at"],
    }


async def detail_view(detail_id: str) -> dict[str, Any]:
    async with write_transaction():
        rows = await Sql().fetch("SELECT * FROM payment_detail WHERE public_id = $1", detail_id)
    if not rows:
        raise NotFound("payment detail")
    return _view(rows[0])


async def get_detail(actor: Actor, detail_id: str) -> dict[str, Any]:
    view = await detail_view(detail_id) if has_prefix(detail_id, "pmd") else None
    if view is None or (actor.is_outside and actor.organisation_public_id != view["payee"]):
        raise NotFound("payment detail")
    return view


async def payee_view(actor: Actor, payee: str) -> dict[str, Any]:
    """A payee's confirmed details, any change waiting, whether payments are paused, and whether it can
    be paid now (and if not, why)."""
    payee_kind(payee)
    if actor.is_outside and actor.organisation_public_id != payee:
        raise NotFound("payee")
    status = (await payability([payee]))[payee]
    async with write_transaction():
        rows = await Sql().fetch(
            "SELECT * FROM payment_detail WHERE payee = $1 AND status IN ('confirmed', 'pending') "
            "ORDER BY id",
            payee,
        )
    by_status = {r["status"]: _view(r) for r in rows}
    return {
        "payee": payee,
        "current": by_status.get("confirmed"),
        "pending": by_status.get("pending"),
        "paused": status.paused,
        "pause_reason": status.pause_reason,
        "payable": status.reason_code == "",
        "reason_code": status.reason_code,
        "reason": status.reason,
    }


async def pending_changes(limit: int = 100) -> list[dict[str, Any]]:
    async with write_transaction():
        rows = await Sql().fetch(
            "SELECT * FROM payment_detail WHERE status = 'pending' ORDER BY id LIMIT $1", limit
        )
    return [_view(r) for r in rows]


# --- for payment runs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Payability:
    reason_code: str  # "" when the payee can be paid
    reason: str
    detail: dict[str, Any] | None
    paused: bool = False
    pause_reason: str = ""


async def payability(payees: list[str]) -> dict[str, Payability]:
    """For each payee: whether it can be paid now, to which confirmed details, or why not."""
    async with write_transaction():
        sql = Sql()
        details = await sql.fetch(
            "SELECT * FROM payment_detail WHERE status IN ('confirmed', 'pending') "
            f"AND payee {sql.any_(1, 'text')}",
            payees,
        )
        holds = await sql.fetch(
            f"SELECT payee, reason FROM payment_payee WHERE paused AND payee {sql.any_(1, 'text')}", payees
        )
    confirmed = {r["payee"]: r for r in details if r["status"] == "confirmed"}
    pending = {r["payee"]: r for r in details if r["status"] == "pending"}
    paused = {r["payee"]: r["reason"] for r in holds}
    out = {}
    for payee in payees:
        detail = confirmed.get(payee)
        if payee in paused:
            out[payee] = Payability(
                "payee_paused", f"payments paused: {paused[payee]}", detail, True, paused[payee]
            )
        elif payee in pending:
            out[payee] = Payability(
                "details_unconfirmed",
                f"a change of payment details ({pending[payee]['public_id']}) awaits confirmation",
                detail,
            )
        elif detail is None:
            out[payee] = Payability("no_payment_details", "no confirmed payment details", None)
        else:
            out[payee] = Payability("", "", detail)
    return out


def open_bank(row: dict[str, Any]) -> BankAccount:
    """The bank account of a detail row, opened from its seal when it belongs to a person."""
    values = (
        get_vault().open(row["bank"], f"{SEALED.context}:{row['public_id']}")
        if row["sealed"]
        else json.loads(row["bank"])
    )
    return BankAccount(values["iban"], values["bic"], values["holder"])
