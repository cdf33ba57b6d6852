"""Placements (a participant hired by an employer) and their subsidy agreements.

Signing runs the wage_subsidy rule on the placement and commits the agreement's maximum total in the
ledger; without the budget it is refused and nothing is written. Employers see only their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.approvals import UNDECIDED
from app.core.db import as_date, utcnow, write_transaction
from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.ids import has_prefix, new_id
from app.core.money import format_minor, to_minor
from app.core.organisations import find_organisation
from app.core.sql import Sql
from app.eligibility import service as eligibility
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry.tables import Employer, Participant
from app.wage_subsidies.subsidy_rules import RULE, AgreementState, rule_figures, schedule, still_claimable
from app.wage_subsidies.tables import Agreement, Placement

PROGRAMME = "WAGE-SUBSIDY"  # the ledger programme agreements commit on
SUBSIDISED_MONTHS = 12
# A line holds its month while it may still be paid: not rejected when judged, its claim not rejected, and
# not left out of a partial approval. A month given back may be claimed again.
STANDING = (
    "l.outcome <> 'rejected' AND c.status <> 'rejected' "
    "AND NOT (c.status = 'partly_approved' AND l.amount_approved_minor = 0)"
)


@dataclass(frozen=True)
class PlacementIn:
    employer: str
    participant: str
    role: str
    start_date: dt.date
    contracted_hours: int  # a week, hundredths of an hour
    gross_wage: str  # a month, decimal text
    currency: str = "EUR"


@dataclass(frozen=True)
class AgreementIn:
    fund: str
    agreement_date: dt.date
    labour_law_declaration_signed: bool
    layoffs_same_role_last_90_days: bool
    employed_by_employer_last_12_months: bool


def _money(minor: int, currency: str) -> str:
    return format_minor(minor, currency)


def placement_view(row: dict[str, Any], agreement: dict[str, Any] | None) -> dict[str, Any]:
    currency = row["currency"]
    return {
        "id": row["public_id"],
        "employer": row["employer"],
        "participant": row["participant"],
        "role": row["role"],
        "start_date": row["start_date"],
        "contracted_weekly_hours": row["contracted_hours"] / 100,
        "gross_wage": _money(row["gross_wage_minor"], currency),
        "currency": currency,
        "status": row["status"],
        "end_date": row["end_date"],
        "end_reason": row["end_reason"],
        "agreement": agreement_view(agreement, row["gross_wage_minor"]) if agreement else None,
    }


def agreement_view(row: dict[str, Any], contract_wage_minor: int) -> dict[str, Any]:
    currency = row["currency"]
    # the terms as signed: the employer was verified then
    state = agreement_state({**row, "contract_wage_minor": contract_wage_minor}, True, 0, frozenset())
    months, bonuses = schedule(state, rule_figures)
    return {
        "id": row["public_id"],
        "decision": row["decision"],
        "fund": row["fund"],
        "programme": row["programme"],
        "agreement_date": row["agreement_date"],
        "hire_date": row["hire_date"],
        "months": row["months"],
        "status": row["status"],
        "end_date": row["end_date"],
        "max_total": _money(row["max_total_minor"], currency),
        "expended": _money(row["expended_minor"], currency),
        "released": _money(row["released_minor"], currency),
        "schedule": [
            {
                "month_number": m.month_number,
                "month": m.month,
                "rate": m.rate,
                "amount": _money(m.amount_minor, currency),
            }
            for m in months
        ],
        "bonuses": [
            {"milestone": b.milestone, "due": b.due, "amount": _money(b.amount_minor, currency)}
            for b in bonuses
        ],
    }


# --- placements ----------------------------------------------------------------------------------


async def create_placement(actor: Actor, data: PlacementIn) -> dict[str, Any]:
    """A caseworker records that an employer hired a participant."""
    await find_organisation(actor, "employer", data.employer)
    if not has_prefix(data.participant, "par") or not await Participant.exists().where(
        Participant.public_id == data.participant
    ):
        raise NotFound("participant", "participant")
    wage = to_minor(data.gross_wage, data.currency, "gross_wage")
    if wage <= 0:
        raise ValidationFailed("invalid_amount", "the gross wage must be above zero", "gross_wage")
    public_id = new_id("plc")
    row = {
        "public_id": public_id,
        "employer": data.employer,
        "participant": data.participant,
        "role": data.role.strip(),
        "start_date": data.start_date,
        "contracted_hours": data.contracted_hours,
        "gross_wage_minor": wage,
        "currency": data.currency,
        "status": "proposed",
        "end_date": None,
        "end_reason": "",
        "created_by": actor.public_id,
    }
    async with write_transaction():
        await Placement.insert(Placement(**row))
        await audit.record(actor, "placement.create", "placement", public_id, after=_plain(row))
    return await get_placement(actor, public_id)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}


async def _placement_row(actor: Actor, public_id: str, lock: bool = False) -> dict[str, Any]:
    """The placement, if the actor may see it; another employer's reads as missing. Locked when asked
    (inside the caller's transaction)."""
    if not has_prefix(public_id, "plc"):
        raise NotFound("placement")
    if lock:
        sql = Sql()
        suffix = " FOR UPDATE" if sql.postgres else ""
        rows = await sql.fetch(f"SELECT * FROM wage_placement WHERE public_id = $1{suffix}", public_id)
    else:
        rows = await Placement.select().where(Placement.public_id == public_id)
    return employers_own(actor, rows[0] if rows else None, "placement")


def employers_own(actor: Actor, row: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """The row, unless it is missing or another employer's: both read as missing, so nothing is revealed."""
    if row is None or (actor.is_outside and row["employer"] != actor.organisation_public_id):
        raise NotFound(what)
    return row


async def placement_for_update(actor: Actor, public_id: str) -> dict[str, Any]:
    return await _placement_row(actor, public_id, lock=True)


async def _agreement_for(placement: str) -> dict[str, Any] | None:
    return await Agreement.select().where(Agreement.placement == placement).first()


async def get_placement(actor: Actor, public_id: str) -> dict[str, Any]:
    row = await _placement_row(actor, public_id)
    return placement_view(row, await _agreement_for(public_id))


async def list_placements(
    actor: Actor, status: str | None, limit: int, starting_after: str | None
) -> tuple[list[dict[str, Any]], bool]:
    from app.core.pagination import paginate

    where = []
    if actor.is_outside:
        where.append(Placement.employer == actor.organisation_public_id)
    if status:
        where.append(Placement.status == status)
    page = await paginate(Placement, Placement.all_columns(), where, limit, starting_after)
    ids = [r["public_id"] for r in page.rows]
    agreements = (
        {a["placement"]: a for a in await Agreement.select().where(Agreement.placement.is_in(ids))}
        if ids
        else {}
    )
    return [placement_view(r, agreements.get(r["public_id"])) for r in page.rows], page.has_more


# --- agreements ----------------------------------------------------------------------------------


def rule_inputs(placement: dict[str, Any], agreement: dict[str, Any], employer_verified: bool) -> dict:
    """The wage_subsidy rule's inputs that are fixed when the agreement is signed."""
    return {
        "employer_registered": employer_verified,
        "layoffs_same_role_last_90_days": bool(agreement["layoffs_same_role"]),
        "labour_law_declaration_signed": bool(agreement["labour_law_declaration"]),
        "is_programme_participant": True,
        "employed_by_employer_last_12_months": bool(agreement["employed_last_12_months"]),
        "agreement_date": _iso(agreement["agreement_date"]),
        "hire_date": _iso(placement["start_date"]),
        "contracted_weekly_hours": placement["contracted_hours"] / 100,
        "currency": placement["currency"],
    }


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


async def employer_verified(employer: str) -> bool:
    row = (
        await Employer.select(Employer.verified_at).where(Employer.organisation.public_id == employer).first()
    )
    return row is not None and row["verified_at"] is not None


async def sign_agreement(actor: Actor, placement_id: str, data: AgreementIn) -> dict[str, Any]:
    """Decide with the wage_subsidy rule (month 1, at the contract wage) and, when eligible, sign: the
    agreement's maximum total is committed in the ledger, in the same transaction."""
    async with write_transaction():
        placement = await _placement_row(actor, placement_id, lock=True)
        if placement["status"] != "proposed":
            raise Conflict("placement_not_open", f"the placement is {placement['status']}", None)
        facts = {
            "layoffs_same_role": data.layoffs_same_role_last_90_days,
            "labour_law_declaration": data.labour_law_declaration_signed,
            "employed_last_12_months": data.employed_by_employer_last_12_months,
            "agreement_date": data.agreement_date,
        }
        inputs = rule_inputs(placement, facts, await employer_verified(placement["employer"]))
        currency = inputs.pop("currency")
        case = {
            **inputs,
            "month_number": 1,
            "gross_monthly_wage": format_minor(placement["gross_wage_minor"], currency),
        }
        decision = await eligibility.evaluate(
            actor, RULE, case, data.agreement_date, placement["participant"], store=True
        )
        if not decision["eligible"]:
            reasons = [c["reason"] for c in decision["explanation"]["conditions"] if not c["met"]]
            raise Conflict(
                "not_eligible",
                "the wage_subsidy rule does not allow this agreement: " + " ".join(reasons),
                None,
                extra={"failed": decision["failed"]},
            )
        max_total = to_minor(decision["outputs"]["agreement_max_total"], currency)
        row = {
            "public_id": new_id("agr"),
            "placement": placement_id,
            "employer": placement["employer"],
            "participant": placement["participant"],
            "decision": decision["id"],
            "fund": data.fund,
            "programme": PROGRAMME,
            "currency": currency,
            "hire_date": placement["start_date"],
            "months": SUBSIDISED_MONTHS,
            "contracted_hours": placement["contracted_hours"],
            "max_total_minor": max_total,
            "status": "active",
            "signed_by": actor.public_id,
            **facts,
        }
        await Agreement.insert(Agreement(**row))
        await Sql().execute(
            "UPDATE wage_placement SET status = 'agreed', updated_at = $1 WHERE public_id = $2",
            utcnow(),
            placement_id,
        )
        await audit.record(actor, "agreement.sign", "agreement", row["public_id"], after=_plain(row))
        # Last: the ledger head stays locked from the posting to the commit, no longer.
        await ledger.apply_one(actor, _commitment(row))
    return await get_placement(actor, placement_id)


def _commitment(row: dict[str, Any]) -> Operation:
    return Operation(
        Kind.COMMIT,
        Target(row["fund"], row["programme"]),
        row["max_total_minor"],
        f"agreement:{row['public_id']}:commit",
        row["agreement_date"],
        f"Wage subsidy agreement {row['public_id']} signed",
        "wage_agreement",
        row["public_id"],
    )


AGREEMENTS_SQL = (
    "SELECT a.*, p.gross_wage_minor AS contract_wage_minor FROM wage_agreement a "
    "JOIN wage_placement p ON p.public_id = a.placement"
)


async def standing(sql: Sql, agreement_ids: list[str]) -> tuple[dict[str, int], dict[str, set]]:
    """Per agreement: what claims awaiting approval hold, and the (kind, month) already claimed."""
    rows = await sql.fetch(
        "SELECT l.agreement, l.kind, l.month_number, l.amount_accepted_minor, c.status "
        f"FROM wage_claim_line l JOIN wage_claim c ON c.public_id = l.claim WHERE {STANDING} "
        f"AND l.agreement {sql.any_(1, 'text')}",
        agreement_ids,
    )
    pending: dict[str, int] = {}
    claimed: dict[str, set] = {}
    for row in rows:
        claimed.setdefault(row["agreement"], set()).add((row["kind"], row["month_number"]))
        if row["status"] in UNDECIDED:
            pending[row["agreement"]] = pending.get(row["agreement"], 0) + row["amount_accepted_minor"]
    return pending, claimed


async def release_unneeded(actor: Actor, sql: Sql, agreement_ids: list[str], when: dt.date) -> None:
    """An ended agreement keeps committed what its claims awaiting approval need and what its months (and
    bonuses) up to the end, not yet claimed, can still cost; the rest goes back to the available budget."""
    if not agreement_ids:
        return
    rows = await sql.fetch(
        f"{AGREEMENTS_SQL} WHERE a.status = 'ended' AND a.public_id {sql.any_(1, 'text')}", agreement_ids
    )
    if not rows:
        return
    pending, claimed = await standing(sql, [r["public_id"] for r in rows])
    verified = {r["employer"]: await employer_verified(r["employer"]) for r in rows}
    for row in rows:
        held = pending.get(row["public_id"], 0)
        state = agreement_state(
            row, verified[row["employer"]], held, frozenset(claimed.get(row["public_id"], ()))
        )
        free = state.remaining_minor - still_claimable(state, as_date(row["end_date"]), rule_figures)
        if free > 0:
            await _release(actor, sql, row, free, when)


async def _release(actor: Actor, sql: Sql, row: dict[str, Any], amount: int, when: dt.date) -> None:
    released = row["released_minor"] + amount
    await ledger.apply_one(
        actor,
        Operation(
            Kind.RELEASE,
            Target(row["fund"], row["programme"]),
            amount,
            f"agreement:{row['public_id']}:release:{released}",
            when,
            f"Wage subsidy agreement {row['public_id']} ended: unused commitment released",
            "wage_agreement",
            row["public_id"],
        ),
    )
    await sql.execute(
        "UPDATE wage_agreement SET released_minor = $1 WHERE public_id = $2", released, row["public_id"]
    )


def agreement_state(
    row: dict[str, Any], employer_verified: bool, pending_minor: int, claimed: frozenset
) -> AgreementState:
    placement = {
        "start_date": row["hire_date"],
        "contracted_hours": row["contracted_hours"],
        "currency": row["currency"],
    }
    return AgreementState(
        id=row["public_id"],
        hire_date=as_date(row["hire_date"]),
        end_date=as_date(row["end_date"]) if row["end_date"] else None,
        months=row["months"],
        contracted_hours=row["contracted_hours"],
        contract_wage_minor=row["contract_wage_minor"],
        remaining_minor=row["max_total_minor"]
        - row["expended_minor"]
        - row["released_minor"]
        - pending_minor,
        rule_inputs=rule_inputs(placement, row, employer_verified),
        claimed=claimed,
    )
