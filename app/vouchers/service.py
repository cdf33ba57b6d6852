"""Voucher operations, each one transaction: issue from eligible decisions (one or a batch, all or
nothing) with their commitments in the ledger, revoke, expire, find by code and the holder's birth date.

Issuance commits the voucher's full value (available → committed); revocation and expiry release what
was not claimed (committed → available). The ledger refuses a commitment the budget cannot afford, and
then nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from app.core import audit
from app.core.actor import Actor
from app.core.batching import collector_paused
from app.core.crypto import get_vault
from app.core.db import as_date, utcnow, write_transaction
from app.core.db import today as db_today
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id, new_ids
from app.core.money import format_minor, to_minor
from app.core.pagination import paginate
from app.core.sql import Sql
from app.eligibility.service import decisions_to_issue
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry.households import child_birth_checks
from app.registry.participants import birth_checks
from app.registry.personal import BirthCheck
from app.vouchers import codes, holders
from app.vouchers.tables import Voucher

MAX_VALIDITY_DAYS = 366
OPEN_STATUSES = ("active", "partly_claimed")
CLAIM_DEADLINE_DAYS = 60  # providers claim within this many days of the service (docs/vouchers.md)


@dataclass(frozen=True)
class VoucherKind:
    name: str
    ledger_programme: str
    period: str  # week | month


# Which rule decides each kind of voucher, and where its money sits in the ledger.
KINDS = {
    "childcare_voucher": VoucherKind("childcare", "CHILDCARE", "week"),
    "transport_voucher": VoucherKind("transport", "TRANSPORT", "month"),
}


@dataclass(frozen=True)
class IssueRequest:
    decision: str
    fund: str
    valid_from: dt.date
    valid_until: dt.date
    child: str | None = None
    provider: str | None = None
    stipend: bool = False  # transport only: paid monthly to the participant instead of claimed by an operator


def periods(period: str, valid_from: dt.date, valid_until: dt.date) -> int:
    """Weeks (started) or calendar months (touched) a voucher covers; its full value is committed."""
    if period == "week":
        return ((valid_until - valid_from).days + 7) // 7
    return (valid_until.year * 12 + valid_until.month) - (valid_from.year * 12 + valid_from.month) + 1


def _check_dates(request: IssueRequest, param: str) -> None:
    if request.valid_until < request.valid_from:
        raise ValidationFailed("invalid_dates", "valid_until is before valid_from", f"{param}valid_until")
    if (request.valid_until - request.valid_from).days >= MAX_VALIDITY_DAYS:
        raise ValidationFailed(
            "validity_too_long",
            f"a voucher is valid for at most {MAX_VALIDITY_DAYS} days",
            f"{param}valid_until",
        )


@dataclass(frozen=True)
class _People:
    participants: dict[str, BirthCheck]
    children: dict[str, BirthCheck]


class _Plan(NamedTuple):
    """One voucher checked and priced, with its id; its code is made as it is written."""

    public_id: str
    request: IssueRequest
    kind: VoucherKind
    participant: str
    currency: str
    value: int
    hours: int
    total: int
    holder_birth_hash: str


class _Prices:
    """Value and hours of each voucher, taken from what the decision decided, never recomputed: the
    decision's `amount` and `authorised_hours`, or for a family decision (rules/childcare_voucher.yaml)
    the named child's own outputs in `members`. Worked out once for each distinct outputs: a batch's
    decisions mostly share a few, and parsing the JSON and the amount cost 6 µs a voucher."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], tuple[int, int]] = {}

    def of(self, decision: dict[str, Any], request: IssueRequest, param: str) -> tuple[int, int]:
        members = _json(decision.get("members"))
        if members:
            return self._child(decision, members, request, param)
        raw, currency = decision["outputs"], decision["currency"]
        key = (raw, currency) if isinstance(raw, str) else None
        found = self._seen.get(key) if key else None
        if found is None:
            found = _priced(_json(raw), currency, f"{param}decision")
            if key:
                self._seen[key] = found
        return found

    @staticmethod
    def _child(
        decision: dict[str, Any], members: list[dict[str, Any]], request: IssueRequest, param: str
    ) -> tuple[int, int]:
        if request.child is None:
            raise ValidationFailed(
                "child_required",
                "a family decision gives a voucher per child: name the child",
                f"{param}child",
            )
        member = next((m for m in members if m.get("id") == request.child), None)
        if member is None:
            raise Conflict(
                "child_not_in_decision",
                f"decision {decision['public_id']} was not made for child {request.child}",
                f"{param}child",
            )
        if not member.get("eligible"):
            raise Conflict(
                "child_not_eligible",
                f"decision {decision['public_id']} found child {request.child} not eligible",
                f"{param}child",
            )
        return _priced(member["outputs"], decision["currency"], f"{param}child")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _priced(outputs: dict[str, Any], currency: str, param: str) -> tuple[int, int]:
    value = to_minor(outputs["amount"], currency, param)
    return value, round(float(outputs.get("authorised_hours", 0)) * 100)


def _plan(
    request: IssueRequest,
    decision: dict[str, Any] | None,
    people: _People,
    prices: _Prices,
    param: str,
    public_id: str,
) -> _Plan:
    """One voucher checked and priced; nothing written yet."""
    _check_dates(request, param)
    if decision is None or not has_prefix(request.decision, "dec"):
        raise NotFound("decision", f"{param}decision")
    kind = KINDS.get(decision["programme"])
    if kind is None:
        raise ValidationFailed(
            "not_a_voucher_decision",
            f"a {decision['programme']} decision does not give a voucher",
            f"{param}decision",
        )
    if not decision["eligible"]:
        raise Conflict(
            "decision_not_eligible", "the decision found the case not eligible", f"{param}decision"
        )
    if decision["participant"] is None:
        raise ValidationFailed(
            "decision_without_participant",
            "the decision was not made for a registered participant",
            f"{param}decision",
        )
    if request.stipend and kind.name != "transport":
        raise ValidationFailed(
            "stipend_transport_only", "only transport vouchers can be paid as a stipend", f"{param}stipend"
        )
    if request.stipend and request.provider is not None:
        raise ValidationFailed(
            "stipend_without_provider",
            "a stipend is paid to the participant, not a provider",
            f"{param}provider",
        )
    birth_hash = _holder_birth_hash(kind, request, decision, people, param)
    value, hours = prices.of(decision, request, param)
    total = value * periods(kind.period, request.valid_from, request.valid_until)
    return _Plan(
        public_id,
        request,
        kind,
        decision["participant"],
        decision["currency"],
        value,
        hours,
        total,
        birth_hash,
    )


def _commitment(plan: _Plan) -> Operation:
    return Operation(
        Kind.COMMIT,
        Target(plan.request.fund, plan.kind.ledger_programme),
        plan.total,
        f"voucher:{plan.public_id}:commit",
        plan.request.valid_from,
        f"{plan.kind.name.capitalize()} voucher {plan.public_id}",
        "voucher",
        plan.public_id,
    )


def _holder_birth_hash(
    kind: VoucherKind, request: IssueRequest, decision: dict[str, Any], people: _People, param: str
) -> str:
    """The registry's hash of the date of birth a redeemer must give: the child's for childcare, the
    participant's otherwise."""
    participant = people.participants.get(decision["participant"])
    if participant is None or participant.birth_date_hash is None:
        raise NotFound("participant", f"{param}decision")
    if kind.name != "childcare":
        return participant.birth_date_hash
    if request.child is None:
        raise ValidationFailed("child_required", "a childcare voucher names the child", f"{param}child")
    child = people.children.get(request.child)
    if child is None or child.birth_date_hash is None:
        raise NotFound("child", f"{param}child")
    if participant.household != child.household:
        raise ValidationFailed(
            "child_not_in_household", "the child is not in the participant's household", f"{param}child"
        )
    return child.birth_date_hash


_COLUMNS = (
    "public_id",
    "kind",
    "decision",
    "participant",
    "child",
    "provider",
    "mode",
    "fund",
    "programme",
    "currency",
    "period",
    "value_minor",
    "authorised_hours",
    "valid_from",
    "valid_until",
    "total_minor",
    "code_index",
    "code_sealed",
    "holder_check",
    "batch",
    "created_by",
    "status",
    "claimed_minor",
    "released_minor",
    "status_reason",
    "created_at",
    "updated_at",
)
_SEAL_CHUNK = 1_000


def _rows(
    plans: Sequence[_Plan],
    batch_id: str | None,
    created_by: str,
    now: dt.datetime,
    issued: list[dict[str, Any]],
) -> Iterator[tuple]:
    """The voucher rows in _COLUMNS order, made as they are written; each voucher's view with its code
    goes into `issued` as its row is made. Codes are made, sealed and hashed here so that on PostgreSQL
    this work overlaps with the server storing the rows already sent."""
    vault = get_vault()
    code_index, holder_check = vault.indexer("voucher_code"), holders.checker()
    for start in range(0, len(plans), _SEAL_CHUNK):
        chunk = plans[start : start + _SEAL_CHUNK]
        made = codes.new_codes(len(chunk))
        sealed = vault.seal_many([{"code": c} for c in made], [f"voucher:{p.public_id}" for p in chunk])
        for p, code, code_sealed in zip(chunk, made, sealed, strict=True):
            r = p.request
            mode = "stipend" if r.stipend else "provider"
            issued.append({**view(_view_row(p, mode, batch_id)), "code": codes.display(code)})
            yield (
                p.public_id,
                p.kind.name,
                r.decision,
                p.participant,
                r.child,
                r.provider,
                mode,
                r.fund,
                p.kind.ledger_programme,
                p.currency,
                p.kind.period,
                p.value,
                p.hours,
                r.valid_from,
                r.valid_until,
                p.total,
                code_index(code),
                code_sealed,
                holder_check(p.public_id, p.holder_birth_hash),
                batch_id,
                created_by,
                "active",
                0,
                0,
                "",
                now,
                now,
            )


def _view_row(plan: _Plan, mode: str, batch_id: str | None) -> dict[str, Any]:
    """What view() reads of a newly issued voucher."""
    r = plan.request
    return {
        "public_id": plan.public_id,
        "kind": plan.kind.name,
        "status": "active",
        "status_reason": "",
        "decision": r.decision,
        "participant": plan.participant,
        "child": r.child,
        "provider": r.provider,
        "mode": mode,
        "fund": r.fund,
        "programme": plan.kind.ledger_programme,
        "currency": plan.currency,
        "period": plan.kind.period,
        "value_minor": plan.value,
        "authorised_hours": plan.hours,
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
        "total_minor": plan.total,
        "claimed_minor": 0,
        "released_minor": 0,
        "batch": batch_id,
    }


async def _refuse_used_decisions(requests: Sequence[IssueRequest]) -> None:
    """A decision gives one voucher per child it covers (one in all when it names no child): the same
    decision and child twice in a batch, or already issued, is refused."""
    seen: dict[tuple[str, str | None], int] = {}
    for index, request in enumerate(requests):
        pair = (request.decision, request.child)
        if pair in seen:
            raise Conflict(
                "decision_repeated",
                f"decision {request.decision} appears twice in the batch for the same child",
                f"vouchers[{index}].decision",
            )
        seen[pair] = index
    sql = Sql()
    used = await sql.fetch(
        f"SELECT v.decision, v.child, v.public_id FROM voucher v {sql.join_any(1, 'text', 'k')} "
        "ON v.decision = k.value",
        sorted({r.decision for r in requests}),
    )
    for row in used:
        index = seen.get((row["decision"], row["child"]))
        if index is None:
            continue
        where = f"vouchers[{index}].decision" if len(requests) > 1 else "decision"
        for_child = f" for child {row['child']}" if row["child"] else ""
        raise Conflict(
            "decision_already_used",
            f"decision {row['decision']} already gave voucher {row['public_id']}{for_child}",
            where,
        )


async def _refuse_wrong_providers(
    requests: Sequence[IssueRequest], decisions: dict[str, dict[str, Any]], prefix
) -> None:
    """A chosen provider must be registered and give the voucher's service: a childcare voucher names a
    childcare provider, a transport voucher a transport operator."""
    chosen = sorted({r.provider for r in requests if r.provider})
    if not chosen:
        return
    sql = Sql()
    rows = await sql.fetch(
        "SELECT o.public_id, p.service FROM provider p JOIN organisation o ON o.id = p.organisation "
        f"WHERE o.public_id {sql.any_(1, 'text')}",
        chosen,
    )
    services = {row["public_id"]: row["service"] for row in rows}
    for index, request in enumerate(requests):
        if request.provider is None:
            continue
        service = services.get(request.provider)
        if service is None:
            raise NotFound("provider", f"{prefix(index)}provider")
        kind = KINDS[decisions[request.decision]["programme"]]  # checked by _prepare
        if service != kind.name:
            raise ValidationFailed(
                "provider_wrong_service",
                f"{request.provider} provides {service}, not {kind.name}",
                f"{prefix(index)}provider",
            )


def _no_progress(stage: str) -> None:
    return None


async def issue_many(
    actor: Actor, requests: Sequence[IssueRequest], batch: bool = False, progress=_no_progress
) -> list[dict[str, Any]]:
    """Issue vouchers and commit their value, all or nothing. Returns each voucher with its code."""
    if not requests:
        return []
    with collector_paused(len(requests) >= 500):
        return await _issue_many(actor, requests, batch, progress)


async def _people(actor: Actor, requests: Sequence[IssueRequest], decisions: dict[str, dict]) -> _People:
    return _People(
        await birth_checks(actor, {d["participant"] for d in decisions.values() if d["participant"]}),
        await child_birth_checks(actor, {r.child for r in requests if r.child}),
    )


async def _issue_many(
    actor: Actor, requests: Sequence[IssueRequest], batch: bool, progress
) -> list[dict[str, Any]]:
    prefix = (lambda i: f"vouchers[{i}].") if batch else (lambda i: "")
    batch_id = new_id("vbt") if batch else None
    issued: list[dict[str, Any]] = []
    async with write_transaction():
        progress("checking decisions")
        await _refuse_used_decisions(requests)
        decisions = await decisions_to_issue([r.decision for r in requests])
        people = await _people(actor, requests, decisions)
        progress("preparing vouchers")
        prices = _Prices()
        plans = [
            _plan(request, decisions.get(request.decision), people, prices, prefix(i), public_id)
            for i, (request, public_id) in enumerate(
                zip(requests, new_ids("vch", len(requests)), strict=True)
            )
        ]
        await _refuse_wrong_providers(requests, decisions, prefix)
        # Vouchers first, then the ledger: the ledger head stays locked only for the posting, and a
        # refused commitment still rolls the vouchers back with everything else.
        progress("writing vouchers")
        rows = _rows(plans, batch_id, actor.public_id, utcnow(), issued)
        await Sql().insert_many("voucher", _COLUMNS, rows, len(plans))
        if batch_id:
            await audit.record(
                actor, "voucher.batch_issue", "voucher_batch", batch_id, after={"vouchers": len(plans)}
            )
        else:
            await audit.record(
                actor, "voucher.issue", "voucher", plans[0].public_id, after=_audit_values(plans[0])
            )
        progress("committing in the ledger")  # last: the head stays locked until the commit
        await ledger.apply(actor, [_commitment(p) for p in plans])
    return issued


def _audit_values(plan: _Plan) -> dict[str, Any]:
    r = plan.request
    return {
        "decision": r.decision,
        "participant": plan.participant,
        "fund": r.fund,
        "programme": plan.kind.ledger_programme,
        "value_minor": plan.value,
        "total_minor": plan.total,
        "valid_from": r.valid_from,
        "valid_until": r.valid_until,
    }


_money = lru_cache(maxsize=4096)(format_minor)  # a batch formats the same few amounts 500,000 times


def view(row: dict[str, Any]) -> dict[str, Any]:
    currency = row["currency"]
    remaining = row["total_minor"] - row["claimed_minor"] - row["released_minor"]
    return {
        "id": row["public_id"],
        "kind": row["kind"],
        "status": row["status"],
        "status_reason": row["status_reason"],
        "decision": row["decision"],
        "participant": row["participant"],
        "child": row["child"],
        "provider": row["provider"],
        "mode": row["mode"],
        "fund": row["fund"],
        "programme": row["programme"],
        "currency": currency,
        "period": row["period"],
        "value": _money(row["value_minor"], currency),
        "authorised_hours": row["authorised_hours"] / 100,
        "valid_from": row["valid_from"],
        "valid_until": row["valid_until"],
        "total": _money(row["total_minor"], currency),
        "claimed": _money(row["claimed_minor"], currency),
        "released": _money(row["released_minor"], currency),
        "remaining": _money(remaining, currency),
        "batch": row.get("batch"),
    }


async def get(voucher_id: str, with_code: bool = False) -> dict[str, Any]:
    row = (
        await Voucher.select().where(Voucher.public_id == voucher_id).first()
        if has_prefix(voucher_id, "vch")
        else None
    )
    if row is None:
        raise NotFound("voucher")
    result = view(row)
    if with_code:
        result["code"] = codes.display(get_vault().open(row["code_sealed"], f"voucher:{voucher_id}")["code"])
    return result


async def _locked(voucher_id: str) -> dict[str, Any]:
    sql = Sql()
    lock = " FOR UPDATE" if sql.postgres else ""
    rows = await sql.fetch(f"SELECT * FROM voucher WHERE public_id = $1{lock}", voucher_id)
    if not rows or not has_prefix(voucher_id, "vch"):
        raise NotFound("voucher")
    return rows[0]


def claim_deadline(last_service_day: dt.date) -> dt.date:
    """The last day a provider may still claim service given on `last_service_day`."""
    return last_service_day + dt.timedelta(days=CLAIM_DEADLINE_DAYS)


def last_service_day(row: dict[str, Any]) -> dt.date:
    """The last day of service a voucher pays for: the end of its validity, or the day before it was
    revoked."""
    valid_until = as_date(row["valid_until"])
    revoked_on = row.get("revoked_on")
    return min(valid_until, as_date(revoked_on) - dt.timedelta(days=1)) if revoked_on else valid_until


def _still_claimable(row: dict[str, Any], today: dt.date) -> int:
    """The most providers can still claim on the voucher, in time, for service it pays for: its value for
    every period up to its last service day, less what was claimed; nothing once the deadline passed."""
    last = last_service_day(row)
    first = as_date(row["valid_from"])
    if today > claim_deadline(last) or last < first:
        return 0
    payable = row["value_minor"] * periods(row["period"], first, last)
    return max(0, min(_remaining(row), payable - row["claimed_minor"]))


async def _release(
    actor: Actor, rows: Sequence[dict[str, Any]], status: str, reason: str, when: dt.date, today: dt.date
) -> None:
    """Set vouchers' status and give back to the budget what can no longer be claimed, in the caller's
    transaction; what providers may still claim in time stays committed (expire_due releases it later)."""
    operations, updates = [], []
    for row in rows:
        release = _remaining(row) - _still_claimable(row, today)
        released = row["released_minor"] + release
        if release > 0:
            operations.append(
                Operation(
                    Kind.RELEASE,
                    Target(row["fund"], row["programme"]),
                    release,
                    f"voucher:{row['public_id']}:release:{released}",
                    when,
                    f"Voucher {row['public_id']} {status}",
                    "voucher",
                    row["public_id"],
                )
            )
        updates.append((status, reason, released, utcnow(), row["public_id"]))
    if operations:
        await ledger.apply(actor, operations)
    await Sql().executemany(
        "UPDATE voucher SET status = $1, status_reason = $2, released_minor = $3, updated_at = $4 "
        "WHERE public_id = $5",
        updates,
    )


async def revoke(
    actor: Actor, voucher_id: str, reason: str, when: dt.date, today: dt.date | None = None
) -> dict[str, Any]:
    """Revoke from `when` on: service from that day is not paid; service before it may still be claimed
    until its claim deadline, so that much stays committed and the rest is released now."""
    async with write_transaction():
        row = await _locked(voucher_id)
        if row["status"] not in OPEN_STATUSES:
            raise Conflict("voucher_closed", f"the voucher is already {row['status']}", "id")
        await Sql().execute("UPDATE voucher SET revoked_on = $1 WHERE public_id = $2", when, voucher_id)
        await _release(actor, [{**row, "revoked_on": when}], "revoked", reason, when, today or db_today())
        await audit.record(
            actor,
            "voucher.revoke",
            "voucher",
            voucher_id,
            before={"status": row["status"]},
            after={"status": "revoked", "reason": reason, "revoked_on": when.isoformat()},
        )
    return await get(voucher_id)


async def expire_due(actor: Actor, today: dt.date) -> int:
    """Expire every open voucher whose claim deadline passed (its validity ended more than the deadline
    ago) and release what was not claimed; release the rest of revoked vouchers whose deadline passed.
    Returns how many vouchers gave value back or expired."""
    cutoff = today - dt.timedelta(days=CLAIM_DEADLINE_DAYS)  # a last service day before this is past
    async with write_transaction():
        sql = Sql()
        lock = " FOR UPDATE" if sql.postgres else ""
        due = cutoff if sql.postgres else cutoff.isoformat()
        rows = await sql.fetch(
            f"SELECT * FROM voucher WHERE status IN ('active', 'partly_claimed') AND valid_until < $1{lock}",
            due,
        )
        revoked = await sql.fetch(
            "SELECT * FROM voucher WHERE status = 'revoked' "
            f"AND total_minor - claimed_minor - released_minor > 0{lock}"
        )
        revoked = [r for r in revoked if last_service_day(r) < cutoff]
        if rows:
            await _release(
                actor, rows, "expired", "its validity ended and its claim deadline passed", today, today
            )
        for row in revoked:
            await _release(actor, [row], "revoked", row["status_reason"], today, today)
        if rows or revoked:
            await audit.record(
                actor,
                "voucher.expire",
                "voucher_batch",
                today.isoformat(),
                after={"vouchers": len(rows), "revoked_released": len(revoked)},
            )
    return len(rows) + len(revoked)


async def find_by_code(code_text: str, holder_birth_date: dt.date) -> dict[str, Any]:
    """The voucher a code names, if the holder's date of birth matches. Both failures read the same, so a
    stolen code cannot be used to learn whose it is."""
    try:
        code = codes.normalise(code_text)
    except codes.InvalidCode as exc:
        raise ValidationFailed("invalid_code", str(exc), "code") from None
    row = (
        await Voucher.select()
        .where(Voucher.code_index == get_vault().blind_index("voucher_code", code))
        .first()
    )
    if row is None or not holders.matches(row, holder_birth_date):
        raise NotFound("voucher for this code and date of birth", "code")
    return view(row)


async def list_vouchers(
    status: str | None, participant: str | None, limit: int, starting_after: str | None
) -> tuple[list[dict[str, Any]], bool]:
    """A page of vouchers, newest first."""
    where = []
    if status:
        where.append(Voucher.status == status)
    if participant:
        where.append(Voucher.participant == participant)
    page = await paginate(Voucher, Voucher.all_columns(), where, limit, starting_after)
    return [view(row) for row in page.rows], page.has_more


async def pay_stipends(actor: Actor, month: dt.date) -> dict[str, Any]:
    """Pay one month of every open stipend voucher valid in that month: the expenditure and a payable to
    the participant are posted (committed → expended), once per voucher and month, whatever reruns."""
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    async with write_transaction():
        sql = Sql()
        lock = " ORDER BY id FOR UPDATE" if sql.postgres else ""
        rows = await sql.fetch(
            "SELECT * FROM voucher WHERE mode = 'stipend' AND status IN ('active', 'partly_claimed') "
            "AND valid_from <= $1 AND valid_until >= $2 AND public_id NOT IN "
            f"(SELECT voucher FROM voucher_stipend_payment WHERE month = $3){lock}",
            *_dates(sql, last, first, first),
        )
        payments = [(row, min(row["value_minor"], _remaining(row))) for row in rows]
        payments = [(row, amount) for row, amount in payments if amount > 0]
        if payments:
            await ledger.apply(actor, [_stipend_operation(row, amount, first) for row, amount in payments])
            now = utcnow()
            await sql.insert_many(
                "voucher_stipend_payment",
                ("voucher", "month", "amount_minor", "created_by", "created_at"),
                [(row["public_id"], first, amount, actor.public_id, now) for row, amount in payments],
            )
            await sql.executemany(
                "UPDATE voucher SET claimed_minor = claimed_minor + $1, status = $2, updated_at = $3 "
                "WHERE public_id = $4",
                [
                    (
                        amount,
                        "exhausted" if amount >= _remaining(row) else "partly_claimed",
                        now,
                        row["public_id"],
                    )
                    for row, amount in payments
                ],
            )
            await audit.record(
                actor,
                "voucher.stipends_paid",
                "voucher_batch",
                f"stipends:{first:%Y-%m}",
                after={"vouchers": len(payments), "amount_minor": sum(a for _, a in payments)},
            )
    return {"month": first, "vouchers": len(payments), "amount_minor": sum(a for _, a in payments)}


def _dates(sql: Sql, *days: dt.date) -> list[Any]:
    return list(days) if sql.postgres else [d.isoformat() for d in days]


def _remaining(row: dict[str, Any]) -> int:
    return row["total_minor"] - row["claimed_minor"] - row["released_minor"]


def _stipend_operation(row: dict[str, Any], amount: int, month: dt.date) -> Operation:
    return Operation(
        Kind.EXPEND,
        Target(row["fund"], row["programme"], row["participant"]),
        amount,
        f"stipend:{row['public_id']}:{month:%Y-%m}",
        month,
        f"Transport stipend {month:%Y-%m} for voucher {row['public_id']}",
        "voucher",
        row["public_id"],
    )
