"""Running the test cases written in rule files (`grants rules test`). Each case runs through both
evaluators; a case passes when both give the expected values and agree with each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.core.errors import GrantsError
from app.eligibility.engine import CaseEvaluator, CaseloadEvaluator, Decision
from app.eligibility.inputs import json_value, parse_case
from app.eligibility.loader import convert_literal
from app.eligibility.model import Kind, Rule, TestCase, Type


@dataclass
class TestResult:
    rule: str
    name: str
    line: int
    passed: bool
    problems: list[str] = field(default_factory=list)


def run_tests(rule: Rule) -> list[TestResult]:
    single, caseload = CaseEvaluator(rule), CaseloadEvaluator(rule)
    return [_run(rule, single, caseload, case) for case in rule.tests]


def _run(rule: Rule, single: CaseEvaluator, caseload: CaseloadEvaluator, case: TestCase) -> TestResult:
    result = TestResult(rule.id, case.name, case.line, True)
    try:
        inputs = parse_case(rule, _jsonable(case.inputs))
        decision = single.decide(inputs, case.date)
    except GrantsError as exc:
        result.passed = False
        result.problems.append(f"could not evaluate: {exc.message}")
        return result
    for key, expected in case.expect.items():
        problem = _compare(rule, decision, key, expected)
        if problem:
            result.problems.append(problem)
    mismatch = _vector_mismatch(rule, caseload, case, decision)
    if mismatch:
        result.problems.append(mismatch)
    result.passed = not result.problems
    return result


def _jsonable(inputs: dict[str, Any]) -> dict[str, Any]:
    """YAML gives dates as dates and amounts as numbers; the case parser takes JSON-like values."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in inputs.items()}


def _compare(rule: Rule, decision: Decision, key: str, expected: Any) -> str | None:
    if key == "eligible":
        actual: Any = decision.eligible
        return None if actual is expected else f"eligible: expected {expected}, got {actual}"
    if key == "failed":
        want = sorted(expected or [])
        got = sorted(decision.failed)
        return None if want == got else f"failed: expected {want}, got {got}"
    kind = _type_of(rule, key)
    actual = decision.outputs.get(key) if key in decision.outputs else _value_of(decision, key)
    try:
        want = json_value(
            convert_literal(_jsonable({"v": expected})["v"], kind, rule.currency), kind.kind, rule.currency
        )
    except ValueError as exc:
        return f"{key}: the expected value is not valid: {exc}"
    if kind.kind is Kind.NUMBER:
        ok = abs(float(actual) - float(want)) <= 1e-9 * max(1.0, abs(float(want)))
    else:
        ok = actual == want
    return None if ok else f"{key}: expected {want}, got {actual}"


def _type_of(rule: Rule, key: str) -> Type:
    for output in rule.outputs:
        if output.name == key:
            return output.type
    for value in rule.values:
        if value.name == key:
            return value.type
    raise KeyError(key)


def _value_of(decision: Decision, name: str) -> Any:
    return decision.explanation["values"].get(name)


def _vector_mismatch(
    rule: Rule, caseload: CaseloadEvaluator, case: TestCase, decision: Decision
) -> str | None:
    frame = pd.DataFrame([{k: decision.inputs[k] for k in rule.inputs}])
    result = caseload.decide(frame, case.date, as_text=True)
    if not result.errors.empty:
        return "the caseload evaluator refused the case: " + "; ".join(result.errors["reason"])
    row = result.decisions.iloc[0]
    if bool(row["eligible"]) != decision.eligible:
        return "the caseload evaluator disagrees on eligible"
    for name, value in decision.outputs.items():
        vector_value = row[name]
        if isinstance(value, float):
            same = abs(float(vector_value) - value) <= 1e-9 * max(1.0, abs(value))
        else:
            same = (
                str(vector_value) == str(value)
                if not isinstance(value, bool)
                else bool(vector_value) == value
            )
        if not same:
            return f"the caseload evaluator disagrees on {name}: {vector_value} vs {value}"
    failed = [f for f in str(row["failed"]).split(";") if f]
    if failed != decision.failed:
        return f"the caseload evaluator disagrees on failed: {failed} vs {decision.failed}"
    return None
