"""A family decision built from the registry's household: its participant and children become members."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from app.core.errors import ValidationFailed
from app.eligibility import service
from app.eligibility.registry_input import household_case
from app.registry.households import add_child, create_household
from app.registry.participants import register
from app.registry.personal import ChildPersonal, ParticipantPersonal
from tests.support import PERSON_EXAMPLE, SYSTEM, run


def test_the_registry_household_becomes_the_rules_members_and_is_decided():
    household = run(create_household(SYSTEM, "North")).id
    parent = run(register(SYSTEM, msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal), household)).id
    toddler = run(
        add_child(
            SYSTEM,
            household,
            ChildPersonal(given_name="Ada", family_name="Q", date_of_birth=dt.date(2024, 5, 10)),
        )
    )
    older = ChildPersonal(
        given_name="Bo", family_name="Q", date_of_birth=dt.date(2013, 1, 1), has_disability=True
    )
    teen = run(add_child(SYSTEM, household, older))
    case = run(household_case(SYSTEM, "childcare_voucher", household))
    assert [(m["id"], m["role"]) for m in case["members"]] == [
        (parent, "parent"),
        (toddler.id, "child"),
        (teen.id, "child"),
    ]
    assert case["members"][1]["birth_date"] == "2024-05-10" and case["members"][1]["has_disability"] is False
    assert case["members"][2]["has_disability"] is True
    # the caseworker adds what the registry does not hold, then decides
    case["members"][0].update(activity="employment", weekly_activity_hours=30, activity_start="2025-06-01")
    case["members"][1]["weekly_care_hours"] = 35
    case["members"][2]["weekly_care_hours"] = 10
    decided = run(service.evaluate(SYSTEM, "childcare_voucher", case, dt.date(2026, 3, 2), parent))
    assert decided["eligible"] is True and decided["outputs"]["children_covered"] == 2
    assert {m["id"]: m["outputs"]["amount"] for m in decided["members"]}[teen.id] == "45.00"


def test_a_flat_rule_or_a_role_it_lacks_is_refused():
    household = run(create_household(SYSTEM, "North")).id
    with pytest.raises(ValidationFailed, match="decides one case"):
        run(household_case(SYSTEM, "transport_voucher", household))
    with pytest.raises(ValidationFailed, match="not 'guardian'"):
        run(household_case(SYSTEM, "childcare_voucher", household, adult_role="guardian"))
