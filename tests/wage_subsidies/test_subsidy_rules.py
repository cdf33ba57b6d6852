"""Judging payroll lines with the wage_subsidy rule: every named reason, pro rata part months, the hours
and agreement caps, and the retention bonuses."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.wage_subsidies.subsidy_rules import (
    AgreementState,
    Outcome,
    PayrollLine,
    Reason,
    anniversary,
    judge,
    month_number,
    pro_rata,
    rule_figures,
)

D = dt.date
INPUTS = {
    "employer_registered": True,
    "layoffs_same_role_last_90_days": False,
    "labour_law_declaration_signed": True,
    "is_programme_participant": True,
    "employed_by_employer_last_12_months": False,
    "agreement_date": "2026-01-05",
    "hire_date": "2026-01-12",
    "contracted_weekly_hours": 40,
    "currency": "EUR",
}
STATE = AgreementState("agr_a", D(2026, 1, 12), None, 12, 4_000, 180_000, 1_101_000, INPUTS)


def line(n=1, agreement="agr_a", kind="wage", wage=180_000, hours=16_000, employed=True, end=None):
    return PayrollLine(n, agreement, kind, wage, hours, employed, end)


def one(ln: PayrollLine, month: dt.date, state: AgreementState = STATE):
    return judge([ln], {state.id: state}, month, rule_figures)[0]


def test_a_whole_month_at_its_rate_and_cap():
    march = one(line(), D(2026, 3, 1))  # month 3: 70% of 1,800.00 = 1,260.00, capped at 1,000.00
    assert (march.outcome, march.accepted_minor, march.month_number) == (Outcome.ACCEPTED, 100_000, 3)
    june = one(line(wage=150_000), D(2026, 6, 1))  # month 6: 50% of 1,500.00
    assert june.accepted_minor == 75_000


def test_the_first_and_last_months_are_paid_pro_rata():
    january = one(line(wage=116_129, hours=11_200), D(2026, 1, 1))  # from the 12th: 20 of 31 days
    assert (january.employed_days, january.accepted_minor) == (20, 64_516)
    leaving = one(line(wage=90_000, hours=8_000, employed=False, end=D(2026, 4, 15)), D(2026, 4, 1))
    assert (leaving.employed_days, leaving.accepted_minor) == (15, 50_000)  # 1,000.00 x 15/30


def test_each_refusal_has_its_named_reason():
    ended = AgreementState(**{**STATE.__dict__, "end_date": D(2026, 3, 31)})
    claimed = AgreementState(**{**STATE.__dict__, "claimed": frozenset({("wage", 3)})})
    cases = [
        (one(line(agreement=None), D(2026, 3, 1)), Reason.NO_AGREEMENT),
        (one(line(), D(2025, 12, 1)), Reason.OUTSIDE),
        (one(line(), D(2027, 1, 1)), Reason.OUTSIDE),  # month 13
        (one(line(), D(2026, 4, 1), ended), Reason.AFTER_END),
        (one(line(), D(2026, 3, 1), claimed), Reason.ALREADY_CLAIMED),
        (one(line(wage=100_000), D(2026, 3, 1)), Reason.BELOW_MINIMUM),
        (one(line(kind="bonus"), D(2026, 6, 1)), Reason.BONUS_NOT_DUE),
    ]
    for judged, reason in cases:
        assert (judged.outcome, judged.reason, judged.accepted_minor) == (Outcome.REJECTED, reason, 0), reason
    assert "1250.00" in cases[5][0].message  # the statutory minimum in force


def test_a_month_twice_in_one_file_is_already_claimed():
    first, second = judge([line(1), line(2)], {"agr_a": STATE}, D(2026, 3, 1), rule_figures)
    assert first.outcome is Outcome.ACCEPTED and second.reason is Reason.ALREADY_CLAIMED


def test_the_minimum_wage_is_a_dated_parameter():
    late = AgreementState(**{**STATE.__dict__, "hire_date": D(2026, 6, 1)})
    inputs = dict(INPUTS, hire_date="2026-06-01", agreement_date="2026-06-01")
    late = AgreementState(**{**late.__dict__, "rule_inputs": inputs})
    assert one(line(wage=127_500), D(2026, 12, 1), late).outcome is Outcome.ACCEPTED  # 1,250.00 in 2026
    january = one(line(wage=127_500), D(2027, 1, 1), late)  # 1,300.00 from 2027
    assert january.reason is Reason.BELOW_MINIMUM and "1300.00" in january.message


def test_hours_above_the_contract_reduce_the_wage_counted():
    part_time = AgreementState(
        **{
            **STATE.__dict__,
            "contracted_hours": 2_000,
            "rule_inputs": INPUTS | {"contracted_weekly_hours": 20},
        }
    )
    # 20 hours a week over 31 days is 88.58 hours; 120 hours were paid 1,000.00
    judged = one(line(wage=100_000, hours=12_000), D(2026, 3, 1), part_time)
    assert judged.outcome is Outcome.REDUCED and judged.reason is Reason.HOURS_ABOVE
    assert judged.accepted_minor == round(100_000 * 8_858 / 12_000 * 0.7)


def test_the_agreement_maximum_caps_what_is_left():
    nearly_spent = AgreementState(**{**STATE.__dict__, "remaining_minor": 30_000})
    judged = one(line(), D(2026, 3, 1), nearly_spent)
    assert (judged.outcome, judged.reason, judged.accepted_minor) == (
        Outcome.REDUCED,
        Reason.EXCEEDS_AGREEMENT,
        30_000,
    )


def test_retention_bonuses_at_six_and_twelve_months_of_continuous_employment():
    assert anniversary(D(2026, 1, 12), 6) == D(2026, 7, 11)
    six = one(line(kind="bonus"), D(2026, 7, 1))
    assert (six.outcome, six.month_number, six.accepted_minor) == (Outcome.ACCEPTED, 6, 50_000)
    paid_six = AgreementState(**{**STATE.__dict__, "claimed": frozenset({("bonus", 6)})})
    assert one(line(kind="bonus"), D(2026, 12, 1), paid_six).reason is Reason.BONUS_NOT_DUE
    twelve = one(line(kind="bonus"), D(2027, 1, 1), paid_six)
    assert (twelve.month_number, twelve.accepted_minor) == (12, 75_000)
    left = AgreementState(**{**STATE.__dict__, "end_date": D(2026, 7, 1)})
    assert one(line(kind="bonus"), D(2026, 7, 1), left).reason is Reason.AFTER_END


def test_month_numbers_count_from_the_hire_month():
    assert month_number(D(2026, 1, 12), D(2026, 1, 1)) == 1
    assert month_number(D(2026, 1, 12), D(2027, 1, 1)) == 13


@given(st.integers(0, 10**9), st.integers(1, 31), st.integers(1, 31))
def test_pro_rata_rounds_half_away_and_never_exceeds_the_whole(amount, days, of_days):
    days = min(days, of_days)
    expected = int((amount * days / of_days) + 0.5) if amount < 10**6 else None
    got = pro_rata(amount, days, of_days)
    assert 0 <= got <= amount
    if expected is not None:
        assert abs(got - expected) <= 1
