"""Judging claim lines: every named reason, the caps, and that a voucher never pays out more than it holds."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.vouchers.claim_rules import Context, Line, Outcome, Reason, VoucherState, judge

D = dt.date
VOUCHER = VoucherState("vch_a", "active", None, D(2026, 3, 2), D(2026, 5, 31), "week", 26_000, 312_000)
CONTEXT = Context("org_p", D(2026, 4, 10), 60, ((D(2025, 1, 1), D(2026, 12, 31)),))


def line(
    number=2, voucher="vch_a", holder=True, start=D(2026, 3, 2), end=D(2026, 3, 31), days=20, amount=100_000
):
    return Line(number, voucher, holder, start, end, days, amount)


def one(ln: Line, state: VoucherState = VOUCHER, context: Context = CONTEXT):
    return judge([ln], {state.id: state}, context)[0]


def test_a_good_line_is_accepted_in_full():
    judged = one(line())
    assert (judged.outcome, judged.accepted_minor, judged.reason) == (Outcome.ACCEPTED, 100_000, None)


def test_each_refusal_has_its_named_reason():
    expired = VoucherState(**{**VOUCHER.__dict__, "status": "expired"})
    theirs = VoucherState(**{**VOUCHER.__dict__, "provider": "org_other"})
    claimed = VoucherState(**{**VOUCHER.__dict__, "claimed": ((D(2026, 3, 30), D(2026, 4, 3)),)})
    empty = VoucherState(**{**VOUCHER.__dict__, "remaining_minor": 0})
    unlicensed = Context("org_p", D(2026, 4, 10), 60, ((D(2025, 1, 1), D(2026, 3, 15)),))
    operator = Context("org_p", D(2026, 4, 10), 60, CONTEXT.licences, service="transport")
    cases = [
        (one(line(voucher=None)), Reason.UNKNOWN_VOUCHER),
        (one(line(holder=False)), Reason.CHILD_MISMATCH),
        (one(line(), expired), Reason.VOUCHER_INACTIVE),
        (one(line(), theirs), Reason.OTHER_PROVIDER),
        (one(line(), context=operator), Reason.WRONG_SERVICE),
        (one(line(start=D(2026, 3, 31), end=D(2026, 3, 2))), Reason.BAD_DATES),
        (one(line(start=D(2026, 3, 1))), Reason.OUTSIDE_VALIDITY),
        (one(line(start=D(2026, 4, 1), end=D(2026, 4, 30))), Reason.PERIOD_IN_FUTURE),
        (one(line(), context=Context("org_p", D(2026, 6, 1), 60, CONTEXT.licences)), Reason.LATE_SUBMISSION),
        (one(line(), context=unlicensed), Reason.NOT_LICENSED),
        (one(line(), claimed), Reason.ALREADY_CLAIMED),
        (one(line(), empty), Reason.EXHAUSTED),
    ]
    for judged, reason in cases:
        assert judged.outcome is Outcome.REJECTED and judged.reason is reason and judged.accepted_minor == 0


def test_the_deadline_and_licence_edges():
    on_time = Context("org_p", D(2026, 5, 30), 60, CONTEXT.licences)  # 60 days after 31 March
    assert one(line(), context=on_time).outcome is Outcome.ACCEPTED
    joined = Context(
        "org_p", D(2026, 4, 10), 60, ((D(2025, 1, 1), D(2026, 3, 15)), (D(2026, 3, 16), D(2027, 1, 1)))
    )
    assert one(line(), context=joined).outcome is Outcome.ACCEPTED


def test_amounts_are_capped_by_attendance_then_by_what_remains():
    judged = one(line(days=6, amount=100_000))  # 6 days = 2 weeks started = 520.00
    assert (judged.outcome, judged.accepted_minor, judged.reason) == (
        Outcome.REDUCED,
        52_000,
        Reason.EXCEEDS_RATE,
    )
    assert "520.00" in judged.message
    low = VoucherState(**{**VOUCHER.__dict__, "remaining_minor": 30_000})
    judged = one(line(), low)
    assert (judged.accepted_minor, judged.reason) == (30_000, Reason.EXCEEDS_REMAINING)


def test_the_same_days_twice_in_one_file_are_caught():
    first, second = judge(
        [line(2), line(3, start=D(2026, 3, 16), end=D(2026, 3, 20), days=5)], {"vch_a": VOUCHER}, CONTEXT
    )
    assert first.outcome is Outcome.ACCEPTED
    assert second.reason is Reason.ALREADY_CLAIMED


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(1, 60), st.integers(0, 200_000)), min_size=1, max_size=30
    )
)
def test_a_voucher_never_pays_more_than_it_holds(raw):
    lines = []
    for number, (offset, length, amount) in enumerate(raw, start=2):
        start = D(2026, 3, 2) + dt.timedelta(days=offset)
        end = min(start + dt.timedelta(days=length - 1), D(2026, 4, 10))
        days = max(0, min(length, (end - start).days + 1))
        lines.append(line(number, start=start, end=end, days=days, amount=amount))
    results = judge(lines, {"vch_a": VOUCHER}, CONTEXT)
    assert sum(r.accepted_minor for r in results) <= VOUCHER.remaining_minor
    accepted = [
        (ln.service_start, ln.service_end) for ln, r in zip(lines, results, strict=True) if r.accepted_minor
    ]
    for i, (a_start, a_end) in enumerate(accepted):
        for b_start, b_end in accepted[i + 1 :]:
            assert a_end < b_start or b_end < a_start  # no day paid twice
