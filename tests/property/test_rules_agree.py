"""For every rule file, one case at a time and the whole caseload at once decide identically: same
eligibility, same failed conditions, same outputs to the last bit — on generated cases and dates.
Rules about households are decided on generated households of 1 to 12 members (and a rule written here
uses every kind of aggregate, rank and range), member by member too."""

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
from app.eligibility.evaluators import caseload_evaluator, single_evaluator
from app.eligibility.expr import Number
from app.eligibility.inputs import iso_date, json_value, parse_case
from app.eligibility.loader import load_rule_file, load_rule_text
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


FLAT_FILES = [p for p in RULE_FILES if load_rule_file(p).members is None]
HOUSEHOLD_FILES = [p for p in RULE_FILES if load_rule_file(p).members is not None]


@pytest.mark.parametrize("path", FLAT_FILES, ids=lambda p: Path(p).stem)
def test_one_case_and_caseload_agree(path):
    rule = load_rule_file(path)
    single, caseload = single_evaluator(rule), caseload_evaluator(rule)
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


# A household rule that uses every aggregate, rank, range and list form, with numbers that carry
# fractions (so sums must be added in member order in both evaluators).
FEATURES = """
id: features
title: Every aggregate
currency: EUR
inputs:
  region: {type: enum, values: [north, south]}
  rent: {type: money, min: 0, max: 5000}
parameters:
  counted:
    type: enum
    choices: [wage, pension, benefit, none]
    list: true
    values: {2025-04-01: [wage, pension], 2026-07-01: [wage, pension, benefit]}
  bonus_months: {type: integer, list: true, values: {2025-04-01: [3, 6]}}
  rate: {type: number, values: {2025-04-01: 0.37}}
  scale:
    type: money
    values:
      2025-04-01: {north: {a: "10.10", b: "20.20"}, south: {a: "30.30", b: "40.40"}}
    changes:
      2026-07-01: {south: {b: "45.45"}}
  limit: {type: money, as_at: {period: year, start_month: 4}, values: {2025-04-01: "900.00", 2026-06-01: "950.00"}}
members:
  roles: {adult: adults, child: children}
  inputs:
    born: {type: date, min: 1950-01-01, max: 2026-12-31}
    hours: {type: number, min: 0, max: 60}
    income: {type: money, min: 0, max: 4000}
    source: {type: enum, values: [wage, pension, benefit, none]}
    keen: {type: boolean, default: false}
  values:
    counts: source in counted
    band: if hours > 20 then "b" else "a"
    share: "hours * rate + sum(m in 1..3: m * 0.1)"
    weight: "share / (1 + count(members))"
    place: rank(members where counts by born descending)
    eldest_child: rank(children by born)
    months: "sum(m in bonus_months where m > month(born): scale[region, band] * m)"
  beneficiaries: children
  conditions:
    - {id: young, when: "age(born, as_of) < 18", reason: too old}
    - {id: keen_enough, when: keen or hours > 5, reason: not keen}
  outputs:
    amount: round(scale[region, band] * share) + months
    place: place
    weight: weight
values:
  total_share: "sum(members: share)"
  total_weight: "sum(members where counts: weight)"
  counted_income: "sum(members where counts: income)"
  oldest: "min(members: born)"
  youngest_adult: "max(adults: born)"
  most_hours: "max(members: hours)"
  least_child_hours: "min(children: hours)"
  any_keen: "any(adults: keen)"
  some_pension: 'any(members where source == "pension")'
  all_counted: "all(adults: counts)"
  kids: count(children)
  yearly: period_start(as_of, "year", 4)
conditions:
  - {id: poor, when: counted_income + rent < limit * 3, reason: rich}
  - {id: adult_there, when: count(adults) > 0 or any_keen, reason: alone}
outputs:
  amount: "sum(children where eligible: round(scale[region, band] * share) + months)"
  total_share: total_share
  total_weight: total_weight
  oldest: oldest
  youngest_adult: youngest_adult
  most_hours: most_hours
  least_child_hours: least_child_hours
  all_counted: all_counted
  some_pension: some_pension
  kids: kids
  yearly: yearly
"""


def _household_rules() -> list:
    return [*(load_rule_file(p) for p in HOUSEHOLD_FILES), load_rule_text(FEATURES, "features.yaml")]


def _households(rule: Rule, when: dt.date) -> st.SearchStrategy:
    fields = {name: _value(spec, rule, when) for name, spec in rule.inputs.items()}
    member_fields = {name: _value(spec, rule, when) for name, spec in rule.members.inputs.items()}
    member_fields["role"] = st.sampled_from(rule.members.roles)
    member = st.fixed_dictionaries(member_fields)
    household = st.fixed_dictionaries({**fields, "members": st.lists(member, min_size=1, max_size=12)})
    return st.lists(household, min_size=1, max_size=4)


def _same_outputs(vector_row, outputs: dict, where) -> None:
    for name, value in outputs.items():
        vector_value = vector_row[name]
        if isinstance(value, bool):
            assert bool(vector_value) == value, (name, where)
        elif isinstance(value, float):
            assert float(vector_value) == value, (name, where)
        else:
            assert str(vector_value) == str(value), (name, where)


@pytest.mark.parametrize("rule", _household_rules(), ids=lambda r: r.id)
def test_one_household_and_the_caseload_agree_member_by_member(rule):
    single, caseload = single_evaluator(rule), caseload_evaluator(rule)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), when=_dates(rule))
    def agree(data, when):
        households = data.draw(_households(rule, when))
        for household in households:
            for m, member in enumerate(household["members"]):
                member["id"] = f"m{m + 1}"
        group_rows = [
            {"group": f"h{h}", **{k: v for k, v in x.items() if k != "members"}}
            for h, x in enumerate(households)
        ]
        member_rows = [{"group": f"h{h}", **m} for h, x in enumerate(households) for m in x["members"]]
        result = caseload.decide(pd.DataFrame(group_rows), pd.DataFrame(member_rows), when, as_text=True)
        assert result.errors.empty, result.errors.to_dict("records")
        vector_members = result.members.groupby("group", sort=False)
        for household, (_, row) in zip(households, result.decisions.iterrows(), strict=True):
            one = single.decide(parse_case(rule, household), when)
            where = (household, when)
            assert bool(row["eligible"]) == one.eligible, where
            assert [f for f in row["failed"].split(";") if f] == one.failed, where
            _same_outputs(row, one.outputs, where)
            members = vector_members.get_group(row["group"])
            assert list(members["id"]) == [m["id"] for m in one.members], where
            for (_, vector_member), member in zip(members.iterrows(), one.members, strict=True):
                assert bool(vector_member["eligible"]) == member["eligible"], (member, where)
                assert [f for f in vector_member["failed"].split(";") if f] == member["failed"], (
                    member,
                    where,
                )
                _same_outputs(vector_member, member["outputs"], (member, where))

    agree()


def test_every_programme_has_a_rule_file():
    assert {p.stem for p in RULE_FILES} >= {"childcare_voucher", "transport_voucher", "wage_subsidy"}
