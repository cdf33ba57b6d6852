"""The group-by reductions of the caseload evaluator (app/eligibility/groups.py) against adding and
comparing member by member in Python, as the one-household evaluator does: the same bits, for values
that take the fast paths (whole numbers, cents, quarter hours) and those that must not (fractions that
round, NaN, infinities, signed zeros, huge amounts, households without members)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.eligibility.groups import Groups

SPECIAL = [0.0, -0.0, 0.25, -0.25, 0.1, 1e-300, 2.0**60, -(2.0**60), math.inf, -math.inf, math.nan]
FLOATS = st.one_of(
    st.integers(-(10**9), 10**9).map(float),
    st.integers(-(10**6), 10**6).map(lambda q: q / 4),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from(SPECIAL),
)
INTEGERS = st.one_of(st.integers(-(10**12), 10**12), st.sampled_from([0, 2**60, -(2**60), 2**53 + 1]))


@st.composite
def households(draw, values):
    sizes = draw(st.lists(st.integers(0, 6), min_size=1, max_size=12))
    rows = [draw(st.lists(st.tuples(values, st.booleans()), min_size=n, max_size=n)) for n in sizes]
    return sizes, rows


def _groups(sizes: list[int]) -> Groups:
    return Groups(np.repeat(np.arange(len(sizes)), sizes).astype(np.int64), len(sizes))


def _columns(rows, dtype) -> tuple[np.ndarray, np.ndarray]:
    flat = [member for household in rows for member in household]
    return np.array([v for v, _ in flat], dtype=dtype), np.array([m for _, m in flat], dtype=bool)


def _same(got, expected) -> bool:
    if isinstance(expected, float):
        return (math.isnan(got) and math.isnan(expected)) or (
            got == expected and math.copysign(1, got) == math.copysign(1, expected)
        )
    return got == expected


def _one_by_one(rows, function: str, masked: bool):
    out = []
    for household in rows:
        taken = [v for v, m in household if m or not masked]
        if function == "sum":
            total = 0
            for v in taken:
                total = total + v
            out.append(total)
            continue
        best, seen = 0, False
        for v in taken:
            if not seen or (v < best if function == "min" else v > best):
                best, seen = v, True
        out.append(best if seen else 0)
    return out


def _check(sizes, rows, dtype) -> None:
    groups = _groups(sizes)
    values, mask = _columns(rows, dtype)
    for masked in (False, True):
        chosen = mask if masked else None
        for function in ("sum", "min", "max"):
            if function == "sum":
                got = groups.sum(values, chosen)
            else:
                got = groups.extreme(values, chosen, function == "min")
            expected = _one_by_one(rows, function, masked)
            if dtype is np.float64:
                expected = [float(e) for e in expected]
            for g, e in zip(got.tolist(), expected, strict=True):
                assert _same(g, e), (function, masked, sizes, rows, got, expected)
        counted = groups.count(chosen)
        assert counted.tolist() == [sum(1 for _, m in h if m or not masked) for h in rows]
    assert groups.any(mask).tolist() == [any(m for _, m in h) for h in rows]


@settings(max_examples=300, deadline=None)
@given(households(FLOATS))
def test_float_reductions_agree_with_one_by_one(data):
    _check(*data, np.float64)


@settings(max_examples=300, deadline=None)
@given(households(st.sampled_from([0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan])))
def test_signed_zeros_and_non_finite_values_agree_with_one_by_one(data):
    _check(*data, np.float64)


@settings(max_examples=200, deadline=None)
@given(households(INTEGERS))
def test_integer_reductions_agree_with_one_by_one(data):
    _check(*data, np.int64)
