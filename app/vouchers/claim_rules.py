"""Judging a provider's claim, line by line: pure functions, no database, so the API, the CSV upload and
the portal form all judge the same way.

Each line is accepted, reduced (with the cap that applied) or rejected, with a named reason. Lines are
judged in order; what an earlier line takes from a voucher is no longer there for a later one, and a
voucher claimed twice for the same days in one file is caught like one claimed in an earlier claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.money import format_minor


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REDUCED = "reduced"
    REJECTED = "rejected"


class Reason(StrEnum):
    UNKNOWN_VOUCHER = "unknown_voucher"
    CHILD_MISMATCH = "child_mismatch"
    VOUCHER_INACTIVE = "voucher_inactive"
    OTHER_PROVIDER = "voucher_for_another_provider"
    STIPEND = "voucher_paid_as_stipend"
    WRONG_SERVICE = "voucher_not_for_this_service"
    BAD_DATES = "invalid_service_dates"
    OUTSIDE_PERIOD = "outside_claim_period"
    OUTSIDE_VALIDITY = "outside_voucher_validity"
    PERIOD_IN_FUTURE = "period_in_future"
    LATE_SUBMISSION = "submitted_after_deadline"
    NOT_LICENSED = "provider_not_licensed"
    ALREADY_CLAIMED = "already_claimed"
    EXHAUSTED = "voucher_exhausted"
    EXCEEDS_RATE = "exceeds_rate_for_attendance"
    EXCEEDS_REMAINING = "exceeds_remaining_value"


@dataclass(frozen=True)
class Line:
    number: int  # line of the file, or position in the request
    voucher: str | None  # the voucher the code names, None when no voucher has that code
    holder_matches: bool  # the date of birth given matches the voucher's holder
    service_start: dt.date
    service_end: dt.date
    days_attended: int
    amount_minor: int


@dataclass(frozen=True)
class VoucherState:
    id: str
    status: str
    provider: str | None
    valid_from: dt.date
    valid_until: dt.date
    period: str  # week | month
    value_minor: int  # per period
    remaining_minor: int
    claimed: tuple[tuple[dt.date, dt.date], ...] = ()  # service periods already claimed (not rejected)
    mode: str = "provider"  # stipend vouchers are paid to the participant, never claimed
    kind: str = "childcare"  # childcare | transport: the service the voucher pays for
    last_service_day: dt.date | None = None  # valid_until, or the day before its revocation


@dataclass(frozen=True)
class Context:
    provider: str
    today: dt.date
    deadline_days: int  # a line must arrive within this many days of its service period's end
    licences: tuple[tuple[dt.date, dt.date], ...]  # the provider's licence periods
    currency: str = "EUR"
    service: str = "childcare"  # what the provider gives: childcare, or transport (an operator)
    period: tuple[dt.date, dt.date] | None = None  # the claim's service period: every line lies inside


@dataclass(frozen=True)
class Judged:
    number: int
    voucher: str | None
    outcome: Outcome
    accepted_minor: int
    reason: Reason | None
    message: str
    reasons: tuple[Reason, ...] = ()  # every check the line failed, in CHECK order; the first is `reason`


@dataclass
class _Running:
    remaining: dict[str, int]
    claimed: dict[str, list[tuple[dt.date, dt.date]]] = field(default_factory=dict)


def attendance_cap(state: VoucherState, line: Line) -> int:
    """The voucher's rate times the attendance: weeks attended (5 days a week, started weeks count) for a
    weekly voucher, months for a monthly one."""
    if state.period == "week":
        weeks = -(-line.days_attended // 5)
        return state.value_minor * weeks
    months = (
        (line.service_end.year * 12 + line.service_end.month)
        - (line.service_start.year * 12 + line.service_start.month)
        + 1
    )
    return state.value_minor * months


def _covered(start: dt.date, end: dt.date, periods: Sequence[tuple[dt.date, dt.date]]) -> bool:
    """Every day from start to end lies in one of the periods (they may join end to end)."""
    day = start
    for first, last in sorted(periods):
        if first <= day <= last:
            day = last + dt.timedelta(days=1)
        if day > end:
            return True
    return day > end


def _overlaps(start: dt.date, end: dt.date, periods: Sequence[tuple[dt.date, dt.date]]) -> bool:
    return any(start <= last and first <= end for first, last in periods)


Refusal = tuple[Reason, str]


def _refusals(line: Line, state: VoucherState | None, context: Context, running: _Running) -> list[Refusal]:
    """Every check the line fails, in the documented order (docs/vouchers.md#how-a-line-is-judged). A
    code no voucher has, or a date of birth that is not the holder's, is the only reason given: nothing
    more about the voucher is revealed to someone who may not hold it."""
    if line.voucher is None or state is None:
        return [(Reason.UNKNOWN_VOUCHER, "no voucher has this code")]
    if not line.holder_matches:
        return [(Reason.CHILD_MISMATCH, "the date of birth does not match the voucher's holder")]
    found = [check(line, state, context, running) for check in CHECKS]
    return [refusal for refusal in found if refusal is not None]


def _inactive(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    """Open vouchers are claimable; a revoked one only for service before its revocation (until that
    service's claim deadline). A voucher past its validity stays open until its claim deadline passed."""
    if state.status in ("active", "partly_claimed"):
        return None
    last = state.last_service_day
    if state.status == "revoked" and last is not None and line.service_end <= last:
        return None
    if state.status == "revoked" and last is not None:
        return Reason.VOUCHER_INACTIVE, f"the voucher was revoked from {last + dt.timedelta(days=1)}"
    return Reason.VOUCHER_INACTIVE, f"the voucher is {state.status}"


def _stipend(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if state.mode == "stipend":
        return Reason.STIPEND, "this voucher is paid to the participant as a stipend"
    return None


def _service(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if state.kind != context.service:
        return Reason.WRONG_SERVICE, f"a {state.kind} voucher cannot be claimed for {context.service}"
    return None


def _provider(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if state.provider is not None and state.provider != context.provider:
        return Reason.OTHER_PROVIDER, "the voucher was issued for another provider"
    return None


def _dates(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if (
        line.service_end < line.service_start
        or line.days_attended > (line.service_end - line.service_start).days + 1
    ):
        return Reason.BAD_DATES, "the service dates are reversed or fewer than the days attended"
    return None


def _in_period(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if context.period is None:
        return None
    first, last = context.period
    if line.service_start < first or line.service_end > last:
        return Reason.OUTSIDE_PERIOD, f"the service dates must lie in the claim's period, {first} to {last}"
    return None


def _validity(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if line.service_start < state.valid_from or line.service_end > state.valid_until:
        return Reason.OUTSIDE_VALIDITY, f"the voucher is valid from {state.valid_from} to {state.valid_until}"
    return None


def _future(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if line.service_end > context.today:
        return Reason.PERIOD_IN_FUTURE, "the service period has not ended yet"
    return None


def _deadline(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if (context.today - line.service_end).days > context.deadline_days:
        return (
            Reason.LATE_SUBMISSION,
            f"claims are due within {context.deadline_days} days of the period's end",
        )
    return None


def _licensed(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if not _covered(line.service_start, line.service_end, context.licences):
        return Reason.NOT_LICENSED, "the provider's licence does not cover these dates"
    return None


def _claimed(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if _overlaps(line.service_start, line.service_end, running.claimed.get(state.id, [])):
        return Reason.ALREADY_CLAIMED, "these days of this voucher were already claimed"
    return None


def _exhausted(line: Line, state: VoucherState, context: Context, running: _Running) -> Refusal | None:
    if running.remaining[state.id] <= 0:
        return Reason.EXHAUSTED, "nothing remains on the voucher"
    return None


# The order in which a line's checks apply (documented in docs/vouchers.md): the first failed is the
# line's reason, and every failed one is listed.
CHECKS = (
    _inactive,
    _stipend,
    _service,
    _provider,
    _dates,
    _in_period,
    _validity,
    _future,
    _deadline,
    _licensed,
    _claimed,
    _exhausted,
)


def judge(lines: Sequence[Line], vouchers: dict[str, VoucherState], context: Context) -> list[Judged]:
    running = _Running(
        remaining={v.id: v.remaining_minor for v in vouchers.values()},
        claimed={v.id: list(v.claimed) for v in vouchers.values()},
    )
    results = []
    for line in lines:
        state = vouchers.get(line.voucher) if line.voucher else None
        refusals = _refusals(line, state, context, running)
        if refusals:
            reason, message = refusals[0]
            reasons = tuple(r for r, _ in refusals)
            results.append(Judged(line.number, line.voucher, Outcome.REJECTED, 0, reason, message, reasons))
            continue
        assert state is not None
        results.append(_amount(line, state, running, context.currency))
        running.claimed.setdefault(state.id, []).append((line.service_start, line.service_end))
    return results


def _amount(line: Line, state: VoucherState, running: _Running, currency: str) -> Judged:
    accepted, reason, message = line.amount_minor, None, ""
    cap = attendance_cap(state, line)
    if accepted > cap:
        shown = format_minor(cap, currency)
        accepted, reason, message = (
            cap,
            Reason.EXCEEDS_RATE,
            f"capped at the voucher's rate for the attendance, {shown}",
        )
    remaining = running.remaining[state.id]
    if accepted > remaining:
        shown = format_minor(remaining, currency)
        accepted, reason, message = (
            remaining,
            Reason.EXCEEDS_REMAINING,
            f"capped at the value left on the voucher, {shown}",
        )
    running.remaining[state.id] = remaining - accepted
    outcome = Outcome.ACCEPTED if reason is None else Outcome.REDUCED
    return Judged(line.number, state.id, outcome, accepted, reason, message, (reason,) if reason else ())
