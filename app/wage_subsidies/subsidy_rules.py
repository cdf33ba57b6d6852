"""Judging an employer's monthly claim, line by line. Pure: no database. The wage_subsidy rule (rules/) is
evaluated in process for each month's rate, cap and statutory minimum, so the API, the CSV upload and a
later portal form judge alike, and the numbers are the rule's, explainable by it.

A claim covers one calendar month. The hire month is month 1 of the employment; a part month (the first,
or the last when the employment ends) is paid as the rule's part-month policy says (`amount_for_days`),
at a claim and when a separation is recorded after the claim. Lines are judged in order: a
month claimed earlier in the same file is caught like one claimed in an earlier claim.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.money import format_minor, to_minor

RULE = "wage_subsidy"
BONUS_MILESTONES = (6, 12)  # months of continuous employment


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REDUCED = "reduced"
    REJECTED = "rejected"


class Reason(StrEnum):
    NO_AGREEMENT = "no_active_agreement"
    OUTSIDE = "period_outside_agreement"
    ALREADY_CLAIMED = "already_claimed"
    AFTER_END = "after_employment_ended"
    BELOW_MINIMUM = "wage_below_minimum"
    RULE_NOT_MET = "subsidy_rule_not_met"
    HOURS_ABOVE = "hours_above_contract"
    BONUS_NOT_DUE = "bonus_not_due"
    EXCEEDS_AGREEMENT = "exceeds_agreement_remaining"


@dataclass(frozen=True)
class AgreementState:
    id: str
    hire_date: dt.date
    end_date: dt.date | None  # the employment's end, once reported
    months: int  # subsidised months of employment
    contracted_hours: int  # a week, hundredths of an hour
    contract_wage_minor: int  # a month
    remaining_minor: int  # the maximum total not yet approved or awaiting approval
    rule_inputs: dict[str, Any]  # the rule's inputs fixed at signing (employer, agreement, contract)
    claimed: frozenset[tuple[str, int]] = frozenset()  # (kind, month number) of standing lines


@dataclass(frozen=True)
class PayrollLine:
    number: int  # line of the file, or position in the request
    agreement: str | None  # None when the employer has no agreement for the placement it named
    kind: str  # wage | bonus
    gross_wage_minor: int  # paid for the month
    hours_worked: int  # in the month, hundredths of an hour
    still_employed: bool  # on the month's last day
    end_date: dt.date | None  # the last day employed, when not still employed


@dataclass(frozen=True)
class Judged:
    number: int
    agreement: str | None
    kind: str
    month_number: int
    employed_days: int
    outcome: Outcome
    accepted_minor: int
    reason: Reason | None
    message: str


@dataclass(frozen=True)
class RuleFigures:
    eligible: bool
    failed: tuple[str, ...]
    reasons: tuple[str, ...]
    amount_minor: int  # the subsidy for a whole month at this wage
    bonus_minor: int
    required_minimum_minor: int
    rate: str = ""  # the month's share of the wage, as the rule gives it (e.g. "0.7")
    for_days_minor: int = 0  # the rule's amount for the days employed (its part-month policy)


@dataclass(frozen=True)
class Payroll:
    """What a payroll line says of the month, as the rule takes it (None: the contract wage, whole month)."""

    wage_paid_monthly_minor: int  # as a whole month's wage, for the contracted hours
    days_employed: int
    days_in_month: int
    still_employed: bool


Figures = Callable[..., RuleFigures]


@dataclass
class _Running:
    remaining: dict[str, int]
    claimed: dict[str, set[tuple[str, int]]] = field(default_factory=dict)


# --- calendar arithmetic -------------------------------------------------------------------------


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_number(hire: dt.date, month_start: dt.date) -> int:
    return (month_start.year * 12 + month_start.month) - (hire.year * 12 + hire.month) + 1


def anniversary(hire: dt.date, months: int) -> dt.date:
    """The day `months` months of employment are complete (hired 16 February: 6 months on 15 August)."""
    total = hire.year * 12 + hire.month - 1 + months
    year, month = divmod(total, 12)
    day = min(hire.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day) - dt.timedelta(days=1)


def employed_span(
    hire: dt.date, ends: Sequence[dt.date | None], month_start: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The days of the month in employment, or None when there are none."""
    first, last = month_bounds(month_start)
    start = max(hire, first)
    end = min([last, *(e for e in ends if e is not None)])
    return (start, end) if start <= end else None


def pro_rata(amount: int, days: int, of_days: int) -> int:
    """amount x days / of_days, rounded half away from zero, in integers."""
    return (2 * amount * days + of_days) // (2 * of_days)


def contracted_hours_for(state: AgreementState, days: int) -> int:
    """The contract's hours for `days` days (weekly hours x days / 7, rounded up), hundredths of an hour."""
    return -(-state.contracted_hours * days // 7)


def wage_as_whole_month(
    state: AgreementState, gross_wage_minor: int, hours_worked: int, days: int, month_days: int
) -> int:
    """The rule's `wage_paid_monthly`: the wage paid for `days` days as a whole month's wage, counted for
    the contracted hours only (the facts a payroll line gives, not a policy)."""
    equivalent = pro_rata(gross_wage_minor, month_days, days)
    allowed = contracted_hours_for(state, days)
    return pro_rata(equivalent, allowed, hours_worked) if hours_worked > allowed else equivalent


# --- judging -------------------------------------------------------------------------------------


def judge(
    lines: Sequence[PayrollLine],
    agreements: dict[str, AgreementState],
    month_start: dt.date,
    figures: Figures,
    currency: str = "EUR",
) -> list[Judged]:
    running = _Running(
        remaining={a.id: a.remaining_minor for a in agreements.values()},
        claimed={a.id: set(a.claimed) for a in agreements.values()},
    )
    results = []
    for line in lines:
        state = agreements.get(line.agreement) if line.agreement else None
        if state is None:
            results.append(
                _rejected(line, 0, 0, Reason.NO_AGREEMENT, "no active agreement for this placement")
            )
            continue
        judge_one = _judge_bonus if line.kind == "bonus" else _judge_wage
        judged = judge_one(line, state, month_start, figures, running, currency)
        if judged.outcome is not Outcome.REJECTED:
            running.claimed[state.id].add((line.kind, judged.month_number))
            running.remaining[state.id] -= judged.accepted_minor
        results.append(judged)
    return results


def _rejected(line: PayrollLine, number: int, days: int, reason: Reason, message: str) -> Judged:
    return Judged(line.number, line.agreement, line.kind, number, days, Outcome.REJECTED, 0, reason, message)


def _line_end(line: PayrollLine) -> dt.date | None:
    return None if line.still_employed else line.end_date


def _judge_wage(
    line: PayrollLine,
    state: AgreementState,
    month_start: dt.date,
    figures: Figures,
    running: _Running,
    currency: str,
) -> Judged:
    number = month_number(state.hire_date, month_start)
    if not 1 <= number <= state.months:
        return _rejected(
            line,
            number,
            0,
            Reason.OUTSIDE,
            f"the agreement pays months 1 to {state.months}; this is {number}",
        )
    span = employed_span(state.hire_date, (state.end_date, _line_end(line)), month_start)
    if span is None:
        return _rejected(line, number, 0, Reason.AFTER_END, "the employment had ended before this month")
    if ("wage", number) in running.claimed[state.id]:
        return _rejected(line, number, 0, Reason.ALREADY_CLAIMED, f"month {number} was already claimed")
    days = (span[1] - span[0]).days + 1
    month_end = month_bounds(month_start)[1]
    month_days = month_end.day
    equivalent = pro_rata(line.gross_wage_minor, month_days, days)  # the wage paid, for a whole month
    still = span[1] == month_end
    checked = figures(state, number, month_end, equivalent, Payroll(equivalent, days, month_days, still))
    if "minimum_wage" in checked.failed:
        required = format_minor(checked.required_minimum_minor, currency)
        shown = format_minor(equivalent, currency)
        return _rejected(
            line,
            number,
            days,
            Reason.BELOW_MINIMUM,
            f"the wage for a whole month, {shown}, is below the statutory minimum {required}",
        )
    if not checked.eligible:
        return _rejected(
            line, number, days, Reason.RULE_NOT_MET, checked.reasons[0] if checked.reasons else ""
        )
    amount, reason, message = checked.for_days_minor, None, ""
    allowed_hours = contracted_hours_for(state, days)
    if line.hours_worked > allowed_hours:
        considered = pro_rata(equivalent, allowed_hours, line.hours_worked)
        payroll = Payroll(considered, days, month_days, still)
        amount = figures(state, number, month_end, considered, payroll).for_days_minor
        reason = Reason.HOURS_ABOVE
        message = (
            f"hours above the contract ({allowed_hours / 100:g} for {days} days) are not subsidised; "
            "the wage was counted for the contracted hours"
        )
    return _capped(line, state, number, days, amount, reason, message, running, currency)


def _capped(
    line: PayrollLine,
    state: AgreementState,
    number: int,
    days: int,
    amount: int,
    reason: Reason | None,
    message: str,
    running: _Running,
    currency: str,
) -> Judged:
    remaining = max(running.remaining[state.id], 0)
    if amount > remaining:
        amount, reason = remaining, Reason.EXCEEDS_AGREEMENT
        message = f"capped at what is left of the agreement's maximum, {format_minor(remaining, currency)}"
    outcome = Outcome.ACCEPTED if reason is None else Outcome.REDUCED
    return Judged(line.number, state.id, line.kind, number, days, outcome, amount, reason, message)


def _judge_bonus(
    line: PayrollLine,
    state: AgreementState,
    month_start: dt.date,
    figures: Figures,
    running: _Running,
    currency: str,
) -> Judged:
    last_day = month_bounds(month_start)[1]
    ended = min([e for e in (state.end_date, _line_end(line)) if e is not None], default=None)
    open_milestones = [m for m in BONUS_MILESTONES if ("bonus", m) not in running.claimed[state.id]]
    if not open_milestones:
        return _rejected(line, 0, 0, Reason.ALREADY_CLAIMED, "both retention bonuses were already claimed")
    milestone = open_milestones[0]
    due = anniversary(state.hire_date, milestone)
    still = ended is None or ended >= due  # employed when the milestone is reached: a fact for the rule
    if not still:
        owed = figures(state, milestone, due, state.contract_wage_minor, still_employed=False)
        if not owed.eligible or owed.bonus_minor <= 0:  # the rule pays no bonus once the employment ended
            return _rejected(
                line,
                milestone,
                0,
                Reason.AFTER_END,
                f"the employment ended before {milestone} months ({due})",
            )
    if due > last_day:
        return _rejected(
            line,
            milestone,
            0,
            Reason.BONUS_NOT_DUE,
            f"the {milestone}-month retention bonus is due after {due}, at {milestone} months of employment",
        )
    bonus = figures(state, milestone, due, state.contract_wage_minor, still_employed=still)
    if not bonus.eligible or bonus.bonus_minor <= 0:
        return _rejected(line, milestone, 0, Reason.RULE_NOT_MET, bonus.reasons[0] if bonus.reasons else "")
    return _capped(line, state, milestone, 0, bonus.bonus_minor, None, "", running, currency)


# --- the payment schedule ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledMonth:
    month_number: int
    month: dt.date  # its first day
    rate: str
    amount_minor: int  # a whole month at the contract wage (the hire month is paid pro rata)


@dataclass(frozen=True)
class ScheduledBonus:
    milestone: int  # months of continuous employment
    due: dt.date
    amount_minor: int


def schedule(state: AgreementState, figures: Figures) -> tuple[list[ScheduledMonth], list[ScheduledBonus]]:
    """What the rule pays month by month at the contract wage, with the parameters in force each month."""
    hire_month = state.hire_date.replace(day=1)
    months = []
    for number in range(1, state.months + 1):
        first = anniversary(hire_month, number - 1) + dt.timedelta(days=1)
        paid = figures(state, number, month_bounds(first)[1], state.contract_wage_minor)
        months.append(ScheduledMonth(number, first, paid.rate, paid.amount_minor))
    bonuses = []
    for milestone in BONUS_MILESTONES:
        due = anniversary(state.hire_date, milestone)
        bonuses.append(
            ScheduledBonus(
                milestone, due, figures(state, milestone, due, state.contract_wage_minor).bonus_minor
            )
        )
    return months, bonuses


# --- what an ended agreement must keep ------------------------------------------------------------


def still_claimable(state: AgreementState, end_date: dt.date, figures: Figures) -> int:
    """The most the months and bonuses up to the employment's end, not claimed yet, can still cost at the
    contract wage: an ended agreement keeps this much committed for late claims and releases the rest."""
    hire_month = state.hire_date.replace(day=1)
    last = min(state.months, month_number(state.hire_date, end_date.replace(day=1)))
    total = 0
    for number in range(1, last + 1):
        if ("wage", number) in state.claimed:
            continue
        first = anniversary(hire_month, number - 1) + dt.timedelta(days=1)
        span = employed_span(state.hire_date, (end_date,), first)
        if span is None:
            continue
        month_end = month_bounds(first)[1]
        days = (span[1] - span[0]).days + 1
        at_contract = Payroll(state.contract_wage_minor, days, month_end.day, span[1] == month_end)
        total += figures(state, number, month_end, state.contract_wage_minor, at_contract).for_days_minor
    for milestone in BONUS_MILESTONES:
        due = anniversary(state.hire_date, milestone)
        if ("bonus", milestone) not in state.claimed and due <= end_date:
            total += figures(state, milestone, due, state.contract_wage_minor).bonus_minor
    return min(total, max(state.remaining_minor, 0))


# --- a separation recorded after a line was judged -----------------------------------------------


@dataclass(frozen=True)
class StandingLine:
    """A claim line that still stands (accepted or reduced), as recorded."""

    kind: str  # wage | bonus
    month_number: int  # the month of employment, or the bonus milestone
    month_start: dt.date  # the first day of the month claimed
    gross_wage_minor: int
    hours_worked: int
    employed_days: int  # the days it was judged for


@dataclass(frozen=True)
class AfterEnd:
    worth_minor: int  # what the rule gives the line with the employment ended (before any cap)
    employed_days: int


def after_separation(
    state: AgreementState, line: StandingLine, end_date: dt.date, figures: Figures
) -> AfterEnd | None:
    """What the rule gives a standing line once the employment is known to have ended on `end_date`, or
    None when the end changes nothing for it. The separation only changes the facts (the days employed,
    not employed at the month's end); the rule decides what that month is worth, as at a claim."""
    if line.kind == "bonus":
        due = anniversary(state.hire_date, line.month_number)
        if end_date >= due:
            return None
        ended = figures(state, line.month_number, due, state.contract_wage_minor, still_employed=False)
        return AfterEnd(ended.bonus_minor if ended.eligible else 0, 0)
    first, month_end = month_bounds(line.month_start)
    claimed_until = max(state.hire_date, first) + dt.timedelta(days=line.employed_days - 1)
    if end_date >= claimed_until:
        return None
    span = employed_span(state.hire_date, (end_date,), first)
    if span is None:  # no day of the month in employment: nothing is paid for time after the end
        return AfterEnd(0, 0)
    days = (span[1] - span[0]).days + 1
    wage = wage_as_whole_month(
        state, line.gross_wage_minor, line.hours_worked, line.employed_days, month_end.day
    )
    ruled = figures(state, line.month_number, month_end, wage, Payroll(wage, days, month_end.day, False))
    return AfterEnd(ruled.for_days_minor if ruled.eligible else 0, days)


# --- the rule ------------------------------------------------------------------------------------


def rule_figures(
    state: AgreementState,
    number: int,
    as_of: dt.date,
    monthly_wage_minor: int,
    payroll: Payroll | None = None,
    still_employed: bool = True,
) -> RuleFigures:
    """The wage_subsidy rule for one month of employment, as in force on `as_of`: at the contract wage for
    a whole month, or for a payroll line (the wage paid, the days employed, whether still employed at the
    month's end; `still_employed` says it for a case without a payroll line, e.g. a bonus once the
    employment ended). The rule decides the wage subsidised and the part-month policy; this never
    overrides its conditions."""
    from app.eligibility.service import decide

    currency = state.rule_inputs.get("currency", "EUR")
    case = {
        **{k: v for k, v in state.rule_inputs.items() if k != "currency"},
        "month_number": number,
        "gross_monthly_wage": format_minor(state.contract_wage_minor, currency),
        "still_employed": still_employed,
    }
    if payroll is not None:
        case |= {
            "payroll_claim": True,
            "wage_paid_monthly": format_minor(payroll.wage_paid_monthly_minor, currency),
            "days_employed": payroll.days_employed,
            "days_in_month": payroll.days_in_month,
            "still_employed": payroll.still_employed,
        }
    elif monthly_wage_minor != state.contract_wage_minor:
        case["gross_monthly_wage"] = format_minor(monthly_wage_minor, currency)
    _, decided = decide(RULE, case, as_of)
    failed = tuple(decided.failed)
    reasons = tuple(
        c.get("reason", "") for c in decided.explanation.get("conditions", []) if not c.get("met", True)
    )
    required = decided.explanation.get("values", {}).get("required_minimum_wage", "0")
    return RuleFigures(
        eligible=decided.eligible,
        failed=failed,
        reasons=reasons,
        amount_minor=to_minor(decided.outputs["amount"], currency),
        bonus_minor=to_minor(decided.outputs["retention_bonus"], currency),
        required_minimum_minor=to_minor(str(required), currency),
        rate=str(decided.outputs.get("subsidy_rate", "")),
        for_days_minor=to_minor(decided.outputs.get("amount_for_days", decided.outputs["amount"]), currency),
    )
