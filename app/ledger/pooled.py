"""Pooled programmes: a programme's expenditure shared among the funds (donors) that pay into it, under a
dated cost-sharing key, and posted to the ledger as memo entries so each donor's figure ties back to it.

The key (table ledger_cost_key, append-only) is a dated parameter per programme: from a date on, either
`pro_rata` (each fund's contributions: its budget loaded for the programme, 8100, up to the end of the
period) or `shares` (fixed weights per fund). A change from a date applies to expenditure dated from that
day on. Without a key, expenditure is shared pro rata to contributions (a programme with one fund: that
fund bears all of it, and its allocation entries still tie its report to the ledger).

Allocation (`allocate`, `grants ledger allocate-pooled`): the expenditure of each programme and currency
(expended, 8400 + 8500, by effective date) is cut into periods, one per calendar month and split again at
every key change; each period is one journal entry on the memo track: the expenditure charged to the
funds that booked it credited to 9190, and the same total debited to 9100 of the funds that bear it under
the key. Re-running posts only what changed: a period whose figures moved (a late claim, a new key) has
its entry reversed and a new one posted (append-only; the reversal is dated like the entry it cancels).

Rounding rule for the last cent: every donor gets the whole minor units of its exact share, rounded down;
the minor units left over go one each to the donors with the largest remainders (ties: the larger weight,
then the fund code). So the allocations always add up to the period's expenditure, to the cent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from app.core import audit
from app.core.actor import Actor
from app.core.db import as_date, raw, utcnow
from app.core.errors import Forbidden, ValidationFailed
from app.core.roles import Role
from app.ledger import chart as c
from app.ledger import dimensions, entries, service
from app.ledger.movements import budgetary_movements
from app.ledger.operations import AccountKey, Leg

METHODS = ("pro_rata", "shares")
REFERENCE = "pooled_allocation"
SETTERS = (Role.FINANCE_OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class Key:
    programme: str
    effective_from: dt.date
    method: str
    shares: dict[str, int]


def split(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` minor units pro rata to `weights` (largest remainder; exact to the unit)."""
    pool = sum(weights.values())
    if pool <= 0:
        return dict.fromkeys(weights, 0)
    shares = {fund: divmod(total * weight, pool) for fund, weight in weights.items()}
    left = total - sum(whole for whole, _ in shares.values())
    order = sorted(weights, key=lambda f: (-shares[f][1], -weights[f], f))
    extra = {fund: 1 if i < left else 0 for i, fund in enumerate(order)}
    return {fund: shares[fund][0] + extra[fund] for fund in weights}


# --- the dated key -----------------------------------------------------------------------------------


async def set_key(
    actor: Actor,
    programme: str,
    effective_from: dt.date,
    method: str,
    shares: dict[str, int] | None = None,
    reason: str = "",
) -> Key:
    """Record the programme's cost-sharing key from `effective_from` on (a new row; nothing is changed)."""
    if not actor.has_any(*SETTERS):
        raise Forbidden("not_allowed", "your role does not allow setting a cost-sharing key", None)
    if method not in METHODS:
        raise ValidationFailed("invalid_method", f"method is one of {', '.join(METHODS)}", "method")
    if programme not in {d.code for d in await dimensions.list_all("programme")}:
        raise ValidationFailed("unknown_programme", f"no programme {programme!r}", "programme")
    weights = dict(shares or {})
    if method == "shares":
        funds = {d.code for d in await dimensions.list_all("fund")}
        if not weights:
            raise ValidationFailed("shares_required", "a `shares` key needs a weight per fund", "shares")
        for fund, weight in weights.items():
            if fund not in funds:
                raise ValidationFailed("unknown_fund", f"no fund {fund!r}", f"shares.{fund}")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
                raise ValidationFailed(
                    "invalid_share", "a share is a whole number, 0 or more", f"shares.{fund}"
                )
        if not sum(weights.values()):
            raise ValidationFailed("invalid_share", "at least one share must be above 0", "shares")
    elif weights:
        raise ValidationFailed("unexpected_shares", "a pro_rata key takes no shares", "shares")
    await raw(
        "INSERT INTO ledger_cost_key (programme, effective_from, method, shares, reason, created_by, "
        "created_at) VALUES ({}, {}, {}, {}, {}, {}, {})",
        programme,
        effective_from,
        method,
        json.dumps(weights, sort_keys=True),
        reason,
        actor.public_id,
        utcnow(),
    )
    key = Key(programme, effective_from, method, weights)
    await audit.record(
        actor, "ledger.cost_key", "programme", programme,
        after={"from": effective_from.isoformat(), "method": method, "shares": weights, "reason": reason},
    )  # fmt: skip
    return key


async def keys() -> dict[str, list[Key]]:
    """Each programme's keys by date (for one programme and date, the latest row)."""
    rows = await raw(
        "SELECT programme, effective_from, method, shares FROM ledger_cost_key ORDER BY programme, "
        "effective_from, id"
    )
    latest: dict[tuple[str, dt.date], Key] = {}
    for r in rows:
        day = as_date(r["effective_from"])
        latest[(r["programme"], day)] = Key(r["programme"], day, r["method"], json.loads(r["shares"] or "{}"))
    out: dict[str, list[Key]] = defaultdict(list)
    for (programme, _), key in sorted(latest.items()):
        out[programme].append(key)
    return dict(out)


def key_on(found: list[Key], day: dt.date) -> Key | None:
    """The key in force on `day`: the latest one from that day or before."""
    chosen = None
    for key in found:
        if key.effective_from <= day:
            chosen = key
    return chosen


# --- periods and what each should post ---------------------------------------------------------------


def periods(first: dt.date, through: dt.date, changes: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Calendar months from `first`'s month to `through`, each split again at every key change."""
    cuts = sorted({d for d in changes if first <= d <= through})
    out, start = [], first.replace(day=1)
    while start <= through:
        month_end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        end = min(month_end, through)
        for cut in [d for d in cuts if start < d <= end]:
            out.append((start, cut - dt.timedelta(days=1)))
            start = cut
        out.append((start, end))
        start = month_end + dt.timedelta(days=1)
    return out


@dataclass(frozen=True)
class Period:
    programme: str
    currency: str
    start: dt.date
    end: dt.date
    charged: dict[str, int]  # fund -> expenditure it booked in the period
    allocated: dict[str, int]  # fund -> expenditure it bears under the key
    key: str  # how the key was read, for the entry's description

    @property
    def reference(self) -> str:
        return f"{self.programme}:{self.currency}:{self.start.isoformat()}"

    def legs(self) -> tuple[Leg, ...]:
        out = [
            Leg(AccountKey(c.POOLED_ALLOCATED, f, self.programme), v)
            for f, v in sorted(self.allocated.items())
            if v
        ]
        out += [
            Leg(AccountKey(c.POOLED_CHARGED, f, self.programme), -v)
            for f, v in sorted(self.charged.items())
            if v
        ]
        return tuple(out)


def _weights(key: Key | None, budget: dict[str, int], charged: dict[str, int]) -> tuple[dict[str, int], str]:
    if key is not None and key.method == "shares":
        return {f: w for f, w in key.shares.items() if w}, f"shares {json.dumps(key.shares, sort_keys=True)}"
    contributions = {f: v for f, v in budget.items() if v > 0}
    if contributions:
        return contributions, "pro rata to contributions"
    return {f: v for f, v in charged.items() if v}, "as charged (no contributions yet)"


async def plan(through: dt.date) -> list[Period]:
    """What the allocation entries should be, from the ledger's budgetary movements up to `through`."""
    spent: dict[tuple[str, str], dict[dt.date, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    loaded: dict[tuple[str, str], list[tuple[dt.date, str, int]]] = defaultdict(list)
    for m in await budgetary_movements(through):
        unit = (m.programme, m.currency)
        if m.code in (c.EXPENDED_UNPAID, c.EXPENDED_PAID):
            day = spent[unit][m.day]
            day[m.fund] = day.get(m.fund, 0) - m.net
        elif m.code == c.APPROPRIATION:
            loaded[unit].append((m.day, m.fund, m.net))
    found = await keys()
    out = []
    for (programme, currency), by_day in sorted(spent.items()):
        mine = found.get(programme, [])
        for start, end in periods(min(by_day), through, [k.effective_from for k in mine]):
            charged: dict[str, int] = defaultdict(int)
            for day, per_fund in by_day.items():
                if start <= day <= end:
                    for fund, amount in per_fund.items():
                        charged[fund] += amount
            total = sum(charged.values())
            if not total:
                continue
            budget: dict[str, int] = defaultdict(int)
            for day, fund, amount in loaded[(programme, currency)]:
                if day <= end:
                    budget[fund] += amount
            weights, how = _weights(key_on(mine, start), budget, charged)
            out.append(Period(programme, currency, start, end, dict(charged), split(total, weights), how))
    return out


# --- posting -----------------------------------------------------------------------------------------


async def _posted() -> dict[str, list[dict[str, Any]]]:
    """Live allocation entries (not reversed) per period reference, and how many were ever posted."""
    rows = await raw(
        "SELECT e.id, e.reference_id, e.effective_date, e.reverses, "
        "(SELECT r.id FROM ledger_entry r WHERE r.reverses = e.id) AS reversed_by "
        "FROM ledger_entry e WHERE e.reference_type = {} ORDER BY e.id",
        REFERENCE,
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["reference_id"]].append(r)
    return out


def _same(legs: tuple[Leg, ...], posted: Any) -> bool:
    mine = sorted((leg.account.code, leg.account.fund, leg.amount) for leg in legs)
    theirs = sorted((leg.code, leg.fund, leg.amount) for leg in posted.legs)
    return mine == theirs


async def allocate(actor: Actor, through: dt.date) -> dict[str, int]:
    """Post (or correct) the allocation entries of every pooled programme up to `through`."""
    if not actor.has_any(*SETTERS):
        raise Forbidden("not_allowed", "your role does not allow posting pooled allocations", None)
    wanted = {p.reference: p for p in await plan(through)}
    history = await _posted()
    live = {ref: [r for r in rows if r["reverses"] is None and r["reversed_by"] is None]
            for ref, rows in history.items()}  # fmt: skip
    loaded = {e.seq: e for e in await entries.load_entries([r["id"] for rows in live.values() for r in rows])}
    posted = reversed_ = 0
    for ref in sorted(set(wanted) | set(live)):
        period, current = wanted.get(ref), live.get(ref, [])
        if period is not None and len(current) == 1 and _same(period.legs(), loaded[current[0]["id"]]):
            continue
        for r in current:
            await service.reverse(
                actor, int(r["id"]), idempotency_key=f"pooled-reversal:{r['id']}",
                reason="pooled allocation corrected", effective_date=as_date(r["effective_date"]),
            )  # fmt: skip
            reversed_ += 1
        if period is None:
            continue
        version = len([r for r in history.get(ref, []) if r["reverses"] is None]) + 1
        await service.journal(
            actor,
            period.legs(),
            idempotency_key=f"pooled:{ref}:v{version}",
            effective_date=period.end,
            description=f"Pooled allocation {period.programme} {period.start}..{period.end}: {period.key}",
            reference_type=REFERENCE,
            reference_id=ref,
        )
        posted += 1
    return {"periods": len(wanted), "posted": posted, "reversed": reversed_}
