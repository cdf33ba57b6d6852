"""Eligibility: rule files in rules/, the expression language, one-case and caseload evaluation, decisions."""
