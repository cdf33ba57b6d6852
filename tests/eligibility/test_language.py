"""The rule language: parsing, types, names and cycles; every problem reported with file, line and column."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from app.eligibility.engine import CaseEvaluator, CaseloadEvaluator
from app.eligibility.expr import ExpressionError, parse
from app.eligibility.inputs import parse_case
from app.eligibility.loader import RuleFileError, load_rule_text

HEADER = """\
id: demo
title: Demo
currency: EUR
inputs:
  income: {type: money, min: 0}
  size: {type: integer, min: 1, max: 9}
  kind: {type: enum, values: [alpha, beta]}
  born: {type: date}
parameters:
  limit:
    type: money
    values:
      2026-01-01: "1000.00"
      2026-07-01: "1100.00"
  rate:
    type: number
    brackets: money
    values:
      2026-01-01:
        - {from: 0, value: 0%}
        - {from: "500.00", value: 10%}
  weekly:
    type: money
    values:
      2026-01-01: {alpha: "10.00", beta: "20.00"}
"""


def load(body: str):
    return load_rule_text(HEADER + textwrap.dedent(body), "demo.yaml")


def problems(body: str) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load(body)
    return [str(e) for e in caught.value.errors]


def test_parser_reports_the_offset_of_a_syntax_error():
    with pytest.raises(ExpressionError) as caught:
        parse("a + * b")
    assert caught.value.offset == 4
    with pytest.raises(ExpressionError, match="every 'if' needs an 'else'"):
        parse("if a then b")
    with pytest.raises(ExpressionError, match="cannot be chained"):
        parse("1 < a < 3")


def test_a_typo_is_reported_at_its_line_and_column_with_a_suggestion():
    found = problems(
        """
        conditions:
          - id: poor
            when: incme < limit
            reason: too rich
        outputs:
          amount: weekly[kind]
        """
    )
    # line 29 of header + body is "    when: incme < limit"; the name starts in column 11
    assert found == ["demo.yaml:29:11: unknown name 'incme' (did you mean 'income'?)"]


def test_type_errors_unknown_texts_and_functions_are_all_reported_together():
    found = problems(
        """
        values:
          mixed: income + size
          label: if kind == "alpah" then 1 else 2
          wrong: sqrt(size)
        conditions:
          - id: ok
            when: size
            reason: r
        outputs:
          amount: weekly[kind]
        """
    )
    text = "\n".join(found)
    assert "cannot add a integer to a money" in text
    assert "'alpah' is not one of alpha, beta (did you mean 'alpha'?)" in text
    assert "unknown function 'sqrt'" in text
    assert "condition 'ok' must be true or false, this is a integer" in text
    assert len(found) == 4


def test_a_cycle_between_named_values_is_an_error():
    found = problems(
        """
        values:
          a: b + 1
          b: a + 1
        conditions: []
        outputs:
          amount: weekly[kind]
        """
    )
    assert any("cycle: a → b → a" in f for f in found)


def test_a_table_lookup_must_cover_every_category():
    found = problems(
        """
        inputs_extra: 1
        conditions: []
        outputs:
          amount: weekly["gamma"]
        """
    )
    assert any("unknown section 'inputs_extra'" in f for f in found)
    assert any("'weekly' has no value for 'gamma'" in f for f in found)


def test_block_expressions_report_the_right_line():
    found = problems(
        """
        conditions:
          - id: c
            when: |
              income < limit
              and size > "two"
            reason: r
        outputs:
          amount: weekly[kind]
        """
    )
    assert found == ["demo.yaml:31:11: cannot compare a integer with a enum(two)"]  # at `size`, in the block


def test_invalid_yaml_and_bad_parameter_values_are_located():
    with pytest.raises(RuleFileError) as caught:
        load_rule_text("id: x\ntitle: [unclosed\n", "bad.yaml")
    assert str(caught.value.errors[0]).startswith("bad.yaml:")
    found = problems(
        """
        extra_parameters: {}
        conditions: []
        outputs:
          amount: weekly[kind]
        tests:
          - {name: t, date: 2026-01-01, input: {incom: "1.00"}, expect: {amont: "1.00"}}
        """
    )
    assert any("unknown input 'incom'" in f and "income" in f for f in found)
    assert any("cannot expect 'amont'" in f for f in found)


RULE = """
values:
  share: income / limit
  band: if size >= 3 then "large" else "small"
  age_now: age(born, as_of)
conditions:
  - id: under_limit
    when: income < limit
    reason: Income must be under {limit}.
  - id: born
    when: born <= as_of
    reason: Not born yet.
outputs:
  amount: round(weekly[kind] * (1 - rate[income]))
  share: share
  band: band
  age_now: age_now
  months: months_between(born, as_of)
"""


def test_single_and_caseload_agree_on_a_dated_parameter_change():
    import pandas as pd

    rule = load(RULE)
    case = {"income": "600.00", "size": 3, "kind": "beta", "born": "2020-02-29"}
    single, caseload = CaseEvaluator(rule), CaseloadEvaluator(rule)
    for day, limit in ((dt.date(2026, 6, 30), "1000.00"), (dt.date(2026, 7, 1), "1100.00")):
        decision = single.decide(parse_case(rule, case), day)
        assert decision.eligible
        assert decision.outputs["amount"] == "18.00"
        assert decision.explanation["parameters"]["limit"]["value"] == limit
        frame = caseload.decide(pd.DataFrame([case]), day, as_text=True).decisions.iloc[0]
        assert frame["amount"] == "18.00" and frame["band"] == "large"
        assert frame["share"] == decision.outputs["share"]
    assert single.decide(parse_case(rule, case), dt.date(2027, 2, 28)).outputs["age_now"] == 6
    assert single.decide(parse_case(rule, case), dt.date(2027, 3, 1)).outputs["age_now"] == 7


def test_money_outputs_round_half_away_from_zero_and_are_zero_when_not_eligible():
    rule = load(
        """
        conditions:
          - id: under_limit
            when: income < limit
            reason: r
        outputs:
          amount: income * 50%
          ratio: income / 0
        """
    )
    single = CaseEvaluator(rule)
    day = dt.date(2026, 3, 1)
    base = {"size": 1, "kind": "alpha", "born": "2020-01-01"}
    assert single.decide(parse_case(rule, {**base, "income": "0.05"}), day).outputs["amount"] == "0.03"
    assert single.decide(parse_case(rule, {**base, "income": "0.07"}), day).outputs["ratio"] == "0.00"
    over = single.decide(parse_case(rule, {**base, "income": "1000.00"}), day)
    assert not over.eligible and over.outputs["amount"] == "0.00"
