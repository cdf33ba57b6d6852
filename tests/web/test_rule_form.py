"""The eligibility form is built from the rule file's inputs and reads back into a case the rule accepts;
a wrong value is refused by the rule's own parser, naming the field."""

from __future__ import annotations

import pytest

from app.core.errors import ValidationFailed
from app.eligibility.catalogue import catalogue
from app.eligibility.describe import detail
from app.eligibility.inputs import parse_case
from app.web import rule_form

MEMBERS = [
    {"id": "par_1", "role": "parent", "birth_date": "1990-01-01"},
    {"id": "chd_1", "role": "child", "birth_date": "2024-05-10", "has_disability": False},
]


def _rule(programme: str):
    rule = catalogue().current(programme).rule
    return rule, detail(rule)


def test_a_household_rule_gives_one_group_of_fields_per_member_prefilled():
    rule, described = _rule("childcare_voucher")
    form = rule_form.build(described, {"members": MEMBERS})
    assert [m.id for m in form.members] == ["par_1", "chd_1"]
    fields = {f.input: f for f in form.members[0].fields}
    assert set(fields) == set(rule.members.inputs)
    assert fields["birth_date"].value == "1990-01-01" and fields["birth_date"].kind == "date"
    assert fields["activity"].values == ("employment", "training", "job_search", "none")
    assert fields["activity"].value == "none"  # the rule's default
    assert fields["weekly_activity_hours"].maximum == 80
    assert fields["activity"].name == "m0.activity"
    assert fields["monthly_income"].label == "Monthly income"


def test_the_posted_form_reads_back_into_a_case_the_rule_decides():
    rule, described = _rule("childcare_voucher")
    posted = {
        "m0.birth_date": "1990-01-01",
        "m0.activity": "training",
        "m0.weekly_activity_hours": "20",
        "m0.activity_start": "2026-01-12",
        "m0.monthly_income": "1500.00",
        "m1.birth_date": "2024-05-10",
        "m1.weekly_care_hours": "32.5",
        "m1.has_disability": "on",
        "m0.role": "child",  # ignored: roles come from the registry
    }
    case = rule_form.case_from(described, posted, MEMBERS)
    assert case["members"][0] == {
        "id": "par_1",
        "role": "parent",
        "birth_date": "1990-01-01",
        "activity": "training",
        "weekly_activity_hours": 20,
        "activity_start": "2026-01-12",
        "monthly_income": "1500.00",
        "has_disability": False,
    }
    assert case["members"][1]["weekly_care_hours"] == 32.5 and case["members"][1]["has_disability"] is True
    parse_case(rule, case)  # accepted as it is
    again = rule_form.build(described, case)
    assert {f.input: f.value for f in again.members[1].fields}["weekly_care_hours"] == "32.5"


def test_a_wrong_value_is_refused_by_the_rule_naming_its_field():
    rule, described = _rule("transport_voucher")
    form = rule_form.build(described)
    assert not form.members and [f.input for f in form.fields][:2] == ["activity", "activity_start"]
    posted = {"activity": "training", "activity_start": "2026-01-05", "attendance_days": "many"}
    with pytest.raises(ValidationFailed) as refused:
        parse_case(rule, rule_form.case_from(described, posted, []))
    params = {d.param for d in refused.value.details}
    assert any("attendance_days" in p for p in params)
    assert any("distance_km" in p for p in params)  # required and left empty
