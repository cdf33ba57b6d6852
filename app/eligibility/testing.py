"""Running the test cases written in rule files (`grants rules test`). Each case runs through both
evaluators; a case passes when both give the expected values and agree with each other.

A test may give a named value directly (in `input`, or in a member's input): its formula is then not
used in that test. It may state `absolute_error_margin` for amounts. A household's test expects each
member's outputs and values under `members`, by member id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.core.errors import GrantsError
from app.core.money import to_minor
from app.eligibility.evaluators import caseload_evaluator, single_evaluator
from app.eligibility.inputs import MEMBERS, json_value, parse_case
from app.eligibility.loader import convert_literal
from app.eligibility.model import InputSpec, Kind, Level, Rule, TestCase, Type
from app.eligibility.results import Decision


@dataclass
class TestResult:
    rule: str
    name: str
    line: int
    passed: bool
    problems: list[str] = field(default_factory=list)


def run_tests(rule: Rule) -> list[TestResult]:
    evaluators: dict[frozenset[str], tuple[Any, Any]] = {}
    results = []
    for case in rule.tests:
        given = _given(rule, case)
        if given not in evaluators:
            evaluators[given] = (single_evaluator(rule, given), caseload_evaluator(rule, given))
        single, caseload = evaluators[given]
        results.append(_run(rule, single, caseload, case, given))
    return results


def _given(rule: Rule, case: TestCase) -> frozenset[str]:
    """The named values a test gives instead of their formulas."""
    names = {k for k in case.inputs if rule.value(k) is not None}
    for member in case.inputs.get(MEMBERS) or []:
        if isinstance(member, dict):
            names |= {k for k in member if rule.value(k) is not None}
    return frozenset(names)


def _given_specs(rule: Rule, given: frozenset[str]) -> dict[str, InputSpec]:
    specs = {}
    for name in given:
        value = rule.value(name)
        assert value is not None
        key = f"{MEMBERS}.{name}" if value.level is Level.MEMBER else name
        specs[key] = InputSpec(name, value.type)
    return specs


def _run(rule: Rule, single: Any, caseload: Any, case: TestCase, given: frozenset[str]) -> TestResult:
    result = TestResult(rule.id, case.name, case.line, True)
    raw = _jsonable(case.inputs)
    try:
        inputs = parse_case(rule, raw, given=_given_specs(rule, given))
        decision = single.decide(inputs, case.date)
    except GrantsError as exc:
        result.passed = False
        result.problems.append(f"could not evaluate: {exc.message}")
        return result
    for key, expected in case.expect.items():
        if key == MEMBERS:
            result.problems.extend(_compare_members(rule, decision, expected, case.margin))
            continue
        problem = _compare(rule, decision, key, expected, case.margin)
        if problem:
            result.problems.append(problem)
    if rule.members is None:
        mismatch = _vector_mismatch(rule, caseload, case, decision, raw)
    else:
        mismatch = _household_mismatch(rule, caseload, case, decision, raw)
    if mismatch:
        result.problems.append(mismatch)
    result.passed = not result.problems
    return result


def _jsonable(value: Any) -> Any:
    """YAML gives dates as dates and amounts as numbers; the case parser takes JSON-like values."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _compare(rule: Rule, decision: Decision, key: str, expected: Any, margin: int | None) -> str | None:
    if key == "eligible":
        actual: Any = decision.eligible
        return None if actual is expected else f"eligible: expected {expected}, got {actual}"
    if key == "failed":
        want = sorted(expected or [])
        got = sorted(decision.failed)
        return None if want == got else f"failed: expected {want}, got {got}"
    actual = decision.outputs.get(key) if key in decision.outputs else decision.explanation["values"].get(key)
    return _same(rule, key, _type_of(rule, key, Level.GROUP), actual, expected, margin)


def _compare_members(rule: Rule, decision: Decision, expected: dict, margin: int | None) -> list[str]:
    problems = []
    decided = {m["id"]: m for m in decision.members or []}
    explained = {m["id"]: m for m in decision.explanation.get("members", [])}
    for member_id, wanted in expected.items():
        member, shown = decided[str(member_id)], explained[str(member_id)]
        for key, value in wanted.items():
            where = f"members.{member_id}.{key}"
            if key == "eligible":
                if member["eligible"] is not value:
                    problems.append(f"{where}: expected {value}, got {member['eligible']}")
            elif key == "failed":
                if sorted(value or []) != sorted(member["failed"]):
                    problems.append(
                        f"{where}: expected {sorted(value or [])}, got {sorted(member['failed'])}"
                    )
            else:
                actual = member["outputs"][key] if key in member["outputs"] else shown["values"].get(key)
                problem = _same(rule, where, _type_of(rule, key, Level.MEMBER), actual, value, margin)
                if problem:
                    problems.append(problem)
    return problems


def _same(rule: Rule, label: str, kind: Type, actual: Any, expected: Any, margin: int | None) -> str | None:
    try:
        want = json_value(convert_literal(_jsonable(expected), kind, rule.currency), kind.kind, rule.currency)
    except ValueError as exc:
        return f"{label}: the expected value is not valid: {exc}"
    if kind.kind is Kind.NUMBER:
        ok = abs(float(actual) - float(want)) <= 1e-9 * max(1.0, abs(float(want)))
    elif kind.kind is Kind.MONEY and margin is not None and actual is not None:
        ok = abs(to_minor(actual, rule.currency) - to_minor(want, rule.currency)) <= margin
    else:
        ok = actual == want
    return None if ok else f"{label}: expected {want}, got {actual}"


def _type_of(rule: Rule, key: str, level: Level) -> Type:
    outputs = rule.outputs if level is Level.GROUP else (rule.members.outputs if rule.members else ())
    for output in outputs:
        if output.name == key:
            return output.type
    value = rule.value(key)
    if value is not None:
        return value.type
    raise KeyError(key)


def _vector_mismatch(
    rule: Rule, caseload: Any, case: TestCase, decision: Decision, raw: dict[str, Any]
) -> str | None:
    given = {k: v for k, v in raw.items() if rule.value(k) is not None}
    frame = pd.DataFrame([{**{k: decision.inputs[k] for k in rule.inputs}, **given}])
    result = caseload.decide(frame, case.date, as_text=True)
    if not result.errors.empty:
        return "the caseload evaluator refused the case: " + "; ".join(result.errors["reason"])
    row = result.decisions.iloc[0]
    if bool(row["eligible"]) != decision.eligible:
        return "the caseload evaluator disagrees on eligible"
    mismatch = _outputs_differ(row, decision.outputs)
    if mismatch:
        return f"the caseload evaluator disagrees on {mismatch}"
    failed = [f for f in str(row["failed"]).split(";") if f]
    if failed != decision.failed:
        return f"the caseload evaluator disagrees on failed: {failed} vs {decision.failed}"
    return None


def _household_mismatch(
    rule: Rule, caseload: Any, case: TestCase, decision: Decision, raw: dict[str, Any]
) -> str | None:
    """The same household through the caseload evaluator, as a households frame and a members frame."""
    given = {k: v for k, v in raw.items() if rule.value(k) is not None}
    households = pd.DataFrame([{"group": "h", **{k: decision.inputs[k] for k in rule.inputs}, **given}])
    rows = []
    for shown, original in zip(decision.inputs[MEMBERS], raw[MEMBERS], strict=True):
        extra = {k: v for k, v in original.items() if rule.value(k) is not None}
        rows.append({"group": "h", **shown, **extra})
    members = pd.DataFrame(rows) if rows else pd.DataFrame({"group": pd.Series(dtype=str), "role": []})
    result = caseload.decide(households, members, case.date, as_text=True)
    if not result.errors.empty:
        return "the caseload evaluator refused the household: " + "; ".join(result.errors["reason"])
    row = result.decisions.iloc[0]
    if bool(row["eligible"]) != decision.eligible:
        return "the caseload evaluator disagrees on eligible"
    mismatch = _outputs_differ(row, decision.outputs)
    if mismatch:
        return f"the caseload evaluator disagrees on {mismatch}"
    failed = [f for f in str(row["failed"]).split(";") if f]
    if failed != decision.failed:
        return f"the caseload evaluator disagrees on failed: {failed} vs {decision.failed}"
    for (_, vector_member), member in zip(result.members.iterrows(), decision.members or [], strict=True):
        if bool(vector_member["eligible"]) != member["eligible"]:
            return f"the caseload evaluator disagrees on member {member['id']}'s eligibility"
        mismatch = _outputs_differ(vector_member, member["outputs"])
        if mismatch:
            return f"the caseload evaluator disagrees on member {member['id']}'s {mismatch}"
        failed = [f for f in str(vector_member["failed"]).split(";") if f]
        if failed != member["failed"]:
            return f"the caseload evaluator disagrees on member {member['id']}'s failed: {failed}"
    return None


def _outputs_differ(row: Any, outputs: dict[str, Any]) -> str | None:
    for name, value in outputs.items():
        vector_value = row[name]
        if isinstance(value, bool):
            same = bool(vector_value) == value
        elif isinstance(value, float):
            same = abs(float(vector_value) - value) <= 1e-9 * max(1.0, abs(value))
        else:
            same = str(vector_value) == str(value)
        if not same:
            return f"{name}: {vector_value} vs {value}"
    return None
