"""For every rule file, one case at a time and the whole caseload at once decide identically: same
eligibility, same failed conditions, same outputs to the last bit — on generated cases and dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.money import exponent
from app.core.settings import get_settings
from app.eligibility.dates import day_number
from app.eligibility.engine import CaseEvaluator, CaseloadEvaluator
from app.eligibility.expr import Number
from app.eligibility.inputs import iso_date, json_value, parse_case
from app.eligibility.loader import load_rule_file
from app.eligibility.model import Brackets, InputSpec, Kind, Rule

RULE_FILES = sorted(get_settings().rules_dir.glob("*.yaml"))


def _boundaries(rule: Rule) -> list[float]:
    """Numbers the rule compares against (literals, parameter values, bracket thresholds): where the two
    evaluators could disagree, so cases are drawn at them and a hair either side."""
    found: set[float] = set()
    for node in rule.types:
        if isinstance(node, Number):
            found.add(float(node.value))
    for parameter in rule.parameters.values():
        for version in parameter.versions:
            values = [version.value]
            while values:
                value = values.pop()
                if isinstance(value, dict):
                    values.extend(value.values())
                elif isinstance(value, Brackets):
                    values.extend([*value.thresholds, *value.values])
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    found.add(float(value))
    return sorted(found)


def _value(spec: InputSpec, rule: Rule, when: dt.date) -> st.SearchStrategy:
    kind, low, high = spec.type.kind, spec.minimum, spec.maximum
    if kind is Kind.ENUM:
        return st.sampled_from(spec.type.values)
    if kind is Kind.BOOLEAN:
        return st.booleans()
    if kind is Kind.DATE:
        low = low if low is not None else 7305  # 1990-01-01
        high = high if high is not None else 22280  # 2030-12-31
        anniversaries = st.tuples(st.integers(0, 30), st.integers(0, 11), st.integers(-1, 1)).map(
            lambda t: day_number(_months_before(when, 12 * t[0] + t[1])) + t[2]
        )
        return (
            st.one_of(st.integers(low, high), anniversaries).filter(lambda d: low <= d <= high).map(iso_date)
        )
    lo = float(low) if low is not None else -1e6
    hi = float(high) if high is not None else 1e6
    near = [b + d for b in _boundaries(rule) for d in (-1, 0, 1) if lo <= b + d <= hi]
    if kind is Kind.MONEY:
        minor = st.one_of(
            st.integers(int(lo), int(min(hi, 1e8))), st.sampled_from(near or [int(lo)]).map(int)
        )
        return minor.map(lambda m: json_value(m, Kind.MONEY, rule.currency))
    if kind is Kind.INTEGER:
        picks = [int(n) for n in near if float(n).is_integer()] or [int(lo)]
        return st.one_of(st.integers(int(lo), int(hi)), st.sampled_from(picks))
    cents = st.integers(int(lo * 100), int(hi * 100)).map(lambda c: c / 100)
    shifted = st.sampled_from(near or [lo]).map(lambda n: n - 0.25).filter(lambda n: lo <= n <= hi)
    return st.one_of(cents, st.sampled_from(near or [lo]), shifted)


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, 28 if month + 1 == 2 else 30))


def _cases(rule: Rule, when: dt.date) -> st.SearchStrategy:
    fields = {name: _value(spec, rule, when) for name, spec in rule.inputs.items()}
    return st.lists(st.fixed_dictionaries(fields), min_size=1, max_size=25)


def _dates(rule: Rule) -> st.SearchStrategy:
    changes = rule.parameters_changed_on()
    near = st.sampled_from(changes).flatmap(
        lambda d: st.integers(-3, 3).map(lambda k: d + dt.timedelta(days=k))
    )
    later = st.integers(0, 3 * 365).map(lambda k: changes[0] + dt.timedelta(days=k))
    return st.one_of(near, later).filter(lambda d: d >= changes[0])


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: Path(p).stem)
def test_one_case_and_caseload_agree(path):
    rule = load_rule_file(path)
    single, caseload = CaseEvaluator(rule), CaseloadEvaluator(rule)
    assert exponent(rule.currency) >= 0

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), when=_dates(rule))
    def agree(data, when):
        cases = data.draw(_cases(rule, when))
        result = caseload.decide(pd.DataFrame(cases), when, as_text=True)
        assert result.errors.empty, result.errors.to_dict("records")
        for case, (_, row) in zip(cases, result.decisions.iterrows(), strict=True):
            one = single.decide(parse_case(rule, case), when)
            assert bool(row["eligible"]) == one.eligible, (case, when)
            assert [f for f in row["failed"].split(";") if f] == one.failed, (case, when)
            for name, value in one.outputs.items():
                vector_value = row[name]
                if isinstance(value, bool):
                    assert bool(vector_value) == value, (name, case, when)
                elif isinstance(value, float):
                    assert float(vector_value) == value, (name, case, when)
                else:
                    assert str(vector_value) == str(value), (name, case, when)

    agree()


def test_every_programme_has_a_rule_file():
    assert {p.stem for p in RULE_FILES} >= {"childcare_voucher", "transport_voucher", "wage_subsidy"}
