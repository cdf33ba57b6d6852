"""The caseload evaluator's bracket index (counting thresholds for short tables, binary search for long
ones) picks the bracket the one-case evaluator's bisect picks, for every key: below the first
threshold, on a threshold, between, above the last, NaN, and repeated thresholds."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.eligibility.model import Brackets
from app.eligibility.vector import SHORT_BRACKETS, bracket_index

thresholds = st.lists(st.integers(-50, 50), min_size=1, max_size=SHORT_BRACKETS + 4).map(sorted)
keys = st.lists(
    st.one_of(st.integers(-60, 60).map(float), st.floats(-60, 60), st.just(math.nan)), max_size=30
)


@settings(deadline=None)  # a busy machine is not a failure
@given(thresholds, keys)
def test_bracket_index_agrees_with_bisect(listed: list[int], wanted: list[float]) -> None:
    table = Brackets(tuple(listed), tuple(range(len(listed))))
    index = bracket_index(np.asarray(listed), np.asarray(wanted, dtype=np.float64))
    assert [int(i) for i in index] == [table.lookup(k) for k in wanted]
    for key in wanted[:3]:  # one key at a time (a constant key) takes the binary search
        assert int(bracket_index(np.asarray(listed), key)) == table.lookup(key)
