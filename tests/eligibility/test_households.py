"""The rule language about households, parameters and rule-file tests: every problem found when the file
loads (with file, line and column), and what each new form computes, in both evaluators."""

from __future__ import annotations

import datetime as dt
import textwrap

import pandas as pd
import pytest

from app.eligibility.evaluators import caseload_evaluator, single_evaluator
from app.eligibility.inputs import parse_case
from app.eligibility.loader import RuleFileError, load_rule_text
from app.eligibility.testing import run_tests

HOUSEHOLD = """\
id: family
title: Family
currency: EUR
parameters:
  limit:
    type: money
    values:
      2026-01-01: "1000.00"
  rate:
    type: money
    values:
      2026-01-01: {young: "10.00", old: "5.00"}
members:
  roles: {parent: parents, child: children}
  inputs:
    born: {type: date}
    income: {type: money, min: 0, default: 0}
  values:
    band: if age(born, as_of) < 6 then "young" else "old"
    grant: rate[band]
  beneficiaries: children
  conditions:
    - id: under_18
      when: age(born, as_of) < 18
      reason: too old at {band}
"""
TAIL = """\
values:
  total_income: "sum(members: income)"
conditions:
  - id: poor
    when: total_income < limit
    reason: too rich
outputs:
  amount: "sum(children where eligible: grant)"
"""


def load(members_extra: str = "", tail: str = TAIL):
    return load_rule_text(HOUSEHOLD + textwrap.dedent(members_extra) + tail, "family.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rule_text(text, "family.yaml")
    return [str(e) for e in caught.value.errors]


def test_a_members_own_value_outside_an_aggregate_is_an_error_at_its_column():
    found = problems(HOUSEHOLD + TAIL.replace('total_income: "sum(members: income)"', "total_income: income"))
    assert found == [
        "family.yaml:27:17: 'income' is each member's own: a household's value uses it inside an aggregate "
        "over members (e.g. sum(members: income) or count(children where …))"
    ]


def test_sets_aggregate_forms_ranges_and_lists_are_checked_when_the_file_loads():
    tail = TAIL.replace(
        'total_income: "sum(members: income)"',
        'total_income: "sum(kids: income)"\n'
        '  n: "count(children: income)"\n'
        '  s: "sum(m in 1..limit: m)"\n'
        '  b: "sum(children: income > 0)"\n'
        '  p: period_start(as_of, "week")',
    )
    found = problems(HOUSEHOLD + tail)
    assert "family.yaml:27:18: 'kids' is not a set of members (sets: members, parents, children)" in found
    assert any("count takes no ':' part" in f for f in found)
    assert any("a range goes over whole numbers, this is a money" in f for f in found)
    assert any(
        "cannot take the sum of boolean values (count(… where …) counts what is true)" in f for f in found
    )
    assert any('period_start takes a date and "year" or "month"' in f for f in found)


def test_an_expression_with_a_colon_needs_quotes_and_the_loader_says_so():
    found = problems(HOUSEHOLD + TAIL.replace('"sum(members: income)"', "sum(members: income)"))
    assert len(found) == 1 and "written in quotes or after |" in found[0]


def test_a_member_condition_that_uses_eligible_is_a_cycle():
    found = problems(HOUSEHOLD.replace("when: age(born, as_of) < 18", "when: eligible") + TAIL)
    assert any("cycle" in f and "eligible" in f for f in found)


def test_one_household_and_its_members_are_decided_in_both_evaluators():
    rule = load()
    household = {
        "members": [
            {"id": "mum", "role": "parent", "born": "1990-01-01", "income": "600.00"},
            {"id": "a", "role": "child", "born": "2024-01-01"},
            {"id": "b", "role": "child", "born": "2015-01-01"},
            {"id": "c", "role": "child", "born": "2000-01-01"},
        ]
    }
    decided = single_evaluator(rule).decide(parse_case(rule, household), dt.date(2026, 3, 2))
    assert decided.eligible and decided.outputs == {"amount": "15.00"}
    assert [(m["id"], m["eligible"], m["failed"]) for m in decided.members] == [
        ("mum", False, []),
        ("a", True, []),
        ("b", True, []),
        ("c", False, ["under_18"]),
    ]
    too_old = next(m for m in decided.explanation["members"] if m["id"] == "c")
    assert too_old["conditions"][0]["reason"] == "too old at old"
    groups = pd.DataFrame({"group": ["h"]})
    members = pd.DataFrame([{"group": "h", **m} for m in household["members"]])
    result = caseload_evaluator(rule).decide(groups, members, dt.date(2026, 3, 2), as_text=True)
    assert list(result.decisions["amount"]) == ["15.00"]
    assert list(result.members["failed"]) == ["", "", "", "under_18"]


def test_a_bad_member_sets_its_household_aside_with_the_row_and_field():
    rule = load()
    groups = pd.DataFrame({"group": ["h1", "h2"]})
    members = pd.DataFrame(
        {"group": ["h1", "h2", "h9"], "role": ["child", "chld", "child"], "born": ["2024-01-01"] * 3}
    )
    result = caseload_evaluator(rule).decide(groups, members, dt.date(2026, 3, 2))
    assert list(result.decisions["group"]) == ["h1"]
    assert sorted(map(tuple, result.errors[["source", "row", "field"]].to_numpy().tolist())) == [
        ("households", 1, "members"),
        ("members", 1, "role"),
        ("members", 2, "group"),
    ]


def test_a_table_cell_changed_from_a_date_keeps_the_rest_of_the_table():
    rule = load_rule_text(
        HOUSEHOLD.replace(
            '      2026-01-01: {young: "10.00", old: "5.00"}',
            '      2026-01-01: {young: "10.00", old: "5.00"}\n    changes:\n      2026-07-01: {old: "6.00"}',
        )
        + TAIL,
        "family.yaml",
    )
    versions = [v.value for v in rule.parameters["rate"].versions]
    assert versions == [{"young": 1000, "old": 500}, {"young": 1000, "old": 600}]
    found = problems(
        HOUSEHOLD.replace(
            '      2026-01-01: {young: "10.00", old: "5.00"}',
            '      2026-01-01: {young: "10.00", old: "5.00"}\n    changes:\n      2026-07-01: {olde: "6.00"}',
        )
        + TAIL
    )
    assert found == ["family.yaml:14:20: the table has no key 'olde' (did you mean 'old'?)"]


def test_a_parameter_fixed_for_a_fiscal_year_keeps_its_april_value():
    rule = load_rule_text(
        HOUSEHOLD.replace(
            '      2026-01-01: "1000.00"',
            '      2025-04-01: "1000.00"\n      2026-06-01: "2000.00"\n    as_at: {period: year, start_month: 4}',
        )
        + TAIL,
        "family.yaml",
    )
    from app.eligibility.dates import day_number
    from app.eligibility.parameters import resolve

    assert resolve(rule, day_number(dt.date(2026, 9, 1))).values["limit"] == 100000  # year from 1 April 2026
    assert resolve(rule, day_number(dt.date(2027, 4, 1))).values["limit"] == 200000


def test_rule_file_tests_may_give_a_value_and_a_margin():
    tests = """\
tests:
  - name: given income
    date: 2026-03-02
    input: {total_income: "2000.00", members: [{role: child, born: 2024-01-01}]}
    expect: {eligible: false, failed: [poor]}
  - name: within a cent
    date: 2026-03-02
    absolute_error_margin: "0.01"
    input: {members: [{role: child, born: 2024-01-01}]}
    expect: {amount: "10.01", members: {1: {grant: "10.00", eligible: true}}}
  - name: outside the margin
    date: 2026-03-02
    absolute_error_margin: "0.01"
    input: {members: [{role: child, born: 2024-01-01}]}
    expect: {amount: "10.02"}
"""
    results = run_tests(load(tail=TAIL + tests))
    assert [r.passed for r in results] == [True, True, False]
    assert results[2].problems == ["amount: expected 10.02, got 10.00"]
