"""The evaluators of a rule: for one case (a flat case or a household) and for a whole caseload."""

from __future__ import annotations

from typing import Any

from app.eligibility.engine import CaseEvaluator, CaseloadEvaluator
from app.eligibility.family import HouseholdEvaluator
from app.eligibility.family_vector import HouseholdCaseloadEvaluator
from app.eligibility.model import Rule


def single_evaluator(rule: Rule, given: frozenset[str] = frozenset()) -> Any:
    """The one-case evaluator for a rule: a flat case, or a household with its members. `given`: named
    values a rule file's test supplies instead of their formulas."""
    if rule.members is not None:
        return HouseholdEvaluator(rule, given)
    return CaseEvaluator(rule, given)


def caseload_evaluator(rule: Rule, given: frozenset[str] = frozenset()) -> Any:
    """The whole-caseload evaluator: flat cases, or households as a flat member frame."""
    if rule.members is not None:
        return HouseholdCaseloadEvaluator(rule, given)
    return CaseloadEvaluator(rule, given)
