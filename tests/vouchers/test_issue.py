"""Issuing vouchers from eligible decisions, with their commitments in the ledger; revoking, expiring,
and finding a voucher by its code and the holder's date of birth."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from app.core.roles import Role
from app.eligibility import service as eligibility
from app.ledger import dimensions, queries
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry.households import add_child, create_household
from app.registry.participants import register
from app.registry.personal import ChildPersonal, ParticipantPersonal
from app.vouchers import service
from tests.support import PERSON_EXAMPLE, SYSTEM, row_counts, run

V = "/api/v1/vouchers"
CHILD_BIRTH = "2024-05-10"
PARENT = {
    "id": "parent",
    "role": "parent",
    "birth_date": "1990-04-01",
    "activity": "employment",
    "weekly_activity_hours": 30,
    "activity_start": "2025-06-01",
    "monthly_income": "1200.00",
}
CHILD = {"id": "child", "role": "child", "birth_date": CHILD_BIRTH, "weekly_care_hours": 35}
OTHER = {"id": "other", "role": "other_adult", "birth_date": "1960-01-01"}
CASE = {"members": [PARENT, CHILD, OTHER]}  # childcare_voucher decides a household


async def _world(budget_minor: int) -> dict[str, str]:
    await dimensions.create(SYSTEM, "fund", "ESF", "European Social Fund", "EUR")
    await dimensions.create(SYSTEM, "programme", "CHILDCARE", "Childcare vouchers", "EUR")
    if budget_minor:
        load = Operation(
            Kind.BUDGET_LOAD, Target("ESF", "CHILDCARE"), budget_minor, "load", dt.date(2026, 1, 1)
        )
        await ledger.apply_one(SYSTEM, load)
    household = (await create_household(SYSTEM, "North")).id
    participant = (await register(SYSTEM, msgspec.convert(PERSON_EXAMPLE, ParticipantPersonal), household)).id
    personal = ChildPersonal(given_name="Ada", family_name="Quillfeather", date_of_birth=dt.date(2024, 5, 10))
    child = (await add_child(SYSTEM, household, personal)).id
    return {"participant": participant, "child": child}


async def _household_child(participant: str) -> str:
    """The registry id of the one child in the participant's household (the world has one)."""
    from app.registry.tables import Child, Participant

    household = await Participant.select(Participant.household).where(Participant.public_id == participant)
    rows = await Child.select(Child.public_id).where(Child.household == household[0]["household"])
    return rows[0]["public_id"]


async def _decision(participant: str, case: dict = CASE) -> str:
    """A childcare decision for the household, its child member named by the child's registry id (as
    app/eligibility/registry_input.household_case names it), so vouchers can be issued for that child."""
    child = await _household_child(participant)
    members = [{**m, "id": child} if m["id"] == "child" else m for m in case["members"]]
    decided = {**case, "members": members}
    view = await eligibility.evaluate(SYSTEM, "childcare_voucher", decided, dt.date(2026, 3, 2), participant)
    return view["id"]


def _issue(people, decision: str, child: str, **extra):
    body = {
        "decision": decision,
        "fund": "ESF",
        "valid_from": "2026-03-02",
        "valid_until": "2026-05-24",
        "child": child,
        **extra,
    }
    return people.call(Role.CASEWORKER, "POST", V, json=body)


def _position() -> dict[str, int]:
    rows = run(queries.budget_position(fund="ESF", programme="CHILDCARE"))
    return {"available": rows[0].available, "committed": rows[0].committed}


def test_issuing_commits_the_full_value_and_gives_a_code(people):
    world = run(_world(1_000_000))
    decision = run(_decision(world["participant"]))
    response = _issue(people, decision, world["child"])
    assert response.status_code == 201, response.text
    voucher = response.json()
    assert voucher["value"] == "260.00" and voucher["period"] == "week"
    assert voucher["total"] == "3120.00"  # 12 weeks from 2 March to 24 May
    assert voucher["status"] == "active" and voucher["authorised_hours"] == 35.0
    assert _position() == {"available": 1_000_000 - 312_000, "committed": 312_000}
    found = run(service.find_by_code(voucher["code"].lower(), dt.date(2024, 5, 10)))
    assert found["id"] == voucher["id"]
    shown = people.call(Role.CASEWORKER, "GET", f"{V}/{voucher['id']}").json()
    assert shown["code"] == voucher["code"]
    assert people.call(Role.AUDITOR, "GET", f"{V}/{voucher['id']}").json()["code"] is None


def test_a_code_without_the_right_birth_date_finds_nothing(people):
    world = run(_world(1_000_000))
    voucher = _issue(people, run(_decision(world["participant"])), world["child"]).json()
    from app.core.errors import NotFound, ValidationFailed

    with pytest.raises(NotFound):
        run(service.find_by_code(voucher["code"], dt.date(2024, 5, 11)))
    typo = voucher["code"][:-1] + ("2" if voucher["code"][-1] != "2" else "3")
    with pytest.raises(ValidationFailed, match="mistyped"):
        run(service.find_by_code(typo, dt.date(2024, 5, 10)))


def test_too_little_budget_is_refused_by_name_and_nothing_is_written(people):
    world = run(_world(300_000))  # less than 3,120.00
    decision = run(_decision(world["participant"]))
    people.make(Role.CASEWORKER)
    before = run(row_counts())
    response = _issue(people, decision, world["child"])
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "insufficient_available_budget"
    assert run(row_counts()) == before


def test_a_decision_gives_one_voucher_and_must_be_eligible(people):
    world = run(_world(10_000_000))
    decision = run(_decision(world["participant"]))
    assert _issue(people, decision, world["child"]).status_code == 201
    again = _issue(people, decision, world["child"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "decision_already_used"
    refused = run(
        _decision(world["participant"], {"members": [{**PARENT, "monthly_income": "9000.00"}, CHILD, OTHER]})
    )
    response = _issue(people, refused, world["child"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "decision_not_eligible"


def test_one_family_decision_gives_one_voucher_per_child_at_each_childs_own_value(people):
    """Issue 11 point 3 (and issue 16 step 5): seen failing before — a voucher naming the household's
    6-year-old was issued from a decision made for the toddler, at the household's total."""
    world = run(_world(10_000_000))
    household = run(_household_of(world["participant"]))
    older_personal = ChildPersonal(
        given_name="Bo", family_name="Quillfeather", date_of_birth=dt.date(2022, 1, 15)
    )
    older = run(add_child(SYSTEM, household, older_personal)).id
    elsewhere = run(create_household(SYSTEM, "South")).id
    stranger_personal = ChildPersonal(given_name="Cy", family_name="Other", date_of_birth=dt.date(2020, 2, 2))
    stranger = run(add_child(SYSTEM, elsewhere, stranger_personal)).id
    toddler_member = {**CHILD, "id": world["child"]}
    older_member = {"id": older, "role": "child", "birth_date": "2022-01-15", "weekly_care_hours": 20}
    family = {"members": [{**PARENT, "monthly_income": "2000.00"}, toddler_member, older_member, OTHER]}
    view = run(
        eligibility.evaluate(SYSTEM, "childcare_voucher", family, dt.date(2026, 3, 2), world["participant"])
    )
    by_child = {m["id"]: m["outputs"] for m in view["members"] if m["role"] == "child"}
    people.make(Role.CASEWORKER)
    toddler_only = run(_decision(world["participant"]))  # made for the toddler (born 2024)
    before = run(row_counts())
    refused = _issue(people, toddler_only, older)  # the household's other child
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "child_not_in_decision"
    assert refused.json()["error"]["param"] == "child"
    assert run(row_counts()) == before
    outsider = _issue(people, view["id"], stranger)
    assert outsider.status_code == 400 and outsider.json()["error"]["code"] == "child_not_in_household"
    assert run(row_counts()) == before
    toddler = _issue(people, view["id"], world["child"])
    assert toddler.status_code == 201, toddler.text
    older_voucher = _issue(people, view["id"], older)
    assert older_voucher.status_code == 201, older_voucher.text
    assert toddler.json()["value"] == by_child[world["child"]]["amount"]
    assert older_voucher.json()["value"] == by_child[older]["amount"]
    assert toddler.json()["value"] != older_voucher.json()["value"]  # each child's own, not the total
    assert older_voucher.json()["authorised_hours"] == 20.0
    again = _issue(people, view["id"], older)
    assert again.status_code == 409 and again.json()["error"]["code"] == "decision_already_used"


async def _household_of(participant: str) -> str:
    from app.registry.tables import Household, Participant

    rows = await Participant.select(Participant.household).where(Participant.public_id == participant)
    found = await Household.select(Household.public_id).where(Household.id == rows[0]["household"])
    return found[0]["public_id"]


def test_batch_issuance_is_all_or_nothing(people):
    world = run(_world(700_000))  # affords two vouchers of 3,120.00, not three
    decisions = [run(_decision(world["participant"])) for _ in range(3)]
    people.make(Role.CASEWORKER)
    before = run(row_counts())
    body = {
        "vouchers": [
            {
                "decision": d,
                "fund": "ESF",
                "valid_from": "2026-03-02",
                "valid_until": "2026-05-24",
                "child": world["child"],
            }
            for d in decisions
        ]
    }
    response = people.call(Role.CASEWORKER, "POST", f"{V}/batch", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "insufficient_available_budget"
    assert run(row_counts()) == before
    body["vouchers"] = body["vouchers"][:2]
    response = people.call(Role.CASEWORKER, "POST", f"{V}/batch", json=body)
    assert response.status_code == 201, response.text
    assert len({v["code"] for v in response.json()}) == 2
    assert _position()["committed"] == 624_000


def test_revoking_and_expiring_release_what_was_not_claimed(people):
    world = run(_world(10_000_000))
    first = _issue(people, run(_decision(world["participant"])), world["child"]).json()
    second = _issue(people, run(_decision(world["participant"])), world["child"]).json()
    response = people.call(
        Role.CASEWORKER, "POST", f"{V}/{first['id']}/revoke", json={"reason": "moved away"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked" and response.json()["released"] == "3120.00"
    assert _position()["committed"] == 312_000
    again = people.call(Role.CASEWORKER, "POST", f"{V}/{first['id']}/revoke", json={"reason": "twice"})
    assert again.status_code == 409
    assert run(service.expire_due(SYSTEM, dt.date(2026, 5, 24))) == 0  # still valid that day
    assert run(service.expire_due(SYSTEM, dt.date(2026, 7, 23))) == 0  # May's service may still be claimed
    assert run(service.expire_due(SYSTEM, dt.date(2026, 7, 24))) == 1  # the claim deadline has passed
    assert people.call(Role.AUDITOR, "GET", f"{V}/{second['id']}").json()["status"] == "expired"
    assert _position() == {"available": 10_000_000, "committed": 0}
    assert run(service.expire_due(SYSTEM, dt.date(2026, 6, 1))) == 0


def test_childcare_needs_the_participants_own_child(people):
    world = run(_world(10_000_000))
    decision = run(_decision(world["participant"]))
    other = run(create_household(SYSTEM, "South")).id
    stranger = run(
        add_child(
            SYSTEM, other, ChildPersonal(given_name="B", family_name="C", date_of_birth=dt.date(2023, 1, 1))
        )
    ).id
    response = _issue(people, decision, stranger)
    assert response.status_code == 400 and response.json()["error"]["param"] == "child"
    assert _issue(people, decision, None).json()["error"]["code"] == "child_required"


def test_bad_dates_are_refused(people):
    world = run(_world(10_000_000))
    decision = run(_decision(world["participant"]))
    response = _issue(people, decision, world["child"], valid_until="2026-03-01")
    assert response.status_code == 400 and response.json()["error"]["param"] == "valid_until"
    response = _issue(people, decision, world["child"], valid_until="2027-04-01")
    assert response.json()["error"]["code"] == "validity_too_long"


def test_vouchers_are_listed_newest_first_by_status(people):
    world = run(_world(10_000_000))
    ids = [
        _issue(people, run(_decision(world["participant"])), world["child"]).json()["id"] for _ in range(3)
    ]
    people.call(Role.CASEWORKER, "POST", f"{V}/{ids[0]}/revoke", json={"reason": "moved away"})
    page = people.call(Role.FINANCE_OFFICER, "GET", f"{V}?status=active&limit=1").json()
    assert [v["id"] for v in page["data"]] == [ids[2]] and page["has_more"] is True
    rest = people.call(Role.FINANCE_OFFICER, "GET", f"{V}?status=active&starting_after={ids[2]}").json()
    assert [v["id"] for v in rest["data"]] == [ids[1]] and rest["has_more"] is False
    assert all(v["code"] is None for v in page["data"])


def test_issuing_opens_no_sealed_record(people, monkeypatch):
    """The holder check comes from the registry's birth-date hash: a batch never decrypts personal data."""
    from app.core.crypto import Vault

    world = run(_world(10_000_000))
    decisions = [run(_decision(world["participant"])) for _ in range(2)]

    def refuse(*args, **kwargs):
        raise AssertionError("a sealed record was opened")

    monkeypatch.setattr(Vault, "open", refuse)
    requests = [
        service.IssueRequest(d, "ESF", dt.date(2026, 3, 2), dt.date(2026, 5, 24), child=world["child"])
        for d in decisions
    ]
    issued = run(service.issue_many(SYSTEM, requests, batch=True))
    monkeypatch.undo()
    for voucher in issued:
        assert run(service.find_by_code(voucher["code"], dt.date(2024, 5, 10)))["id"] == voucher["id"]


def test_vouchers_from_before_the_birth_date_hash_are_migrated(people):
    """Vouchers issued when the holder check hashed the date itself still open with the right date after
    the registry and voucher migrations, and not with a wrong one."""
    import importlib

    from app.core.crypto import get_vault
    from app.core.db import write_transaction
    from app.core.errors import NotFound
    from app.registry.tables import Child
    from app.vouchers.tables import Voucher

    registry = importlib.import_module("app.registry.piccolo_migrations.registry_2026_11_27t03_00_01_000000")
    vouchers = importlib.import_module("app.vouchers.piccolo_migrations.vouchers_2026_11_27t03_00_02_000000")
    world = run(_world(1_000_000))
    voucher = _issue(people, run(_decision(world["participant"])), world["child"]).json()
    before = get_vault().blind_index("voucher_holder", f"{voucher['id']}:{CHILD_BIRTH}")
    run(Voucher.update({Voucher.holder_check: before}).where(Voucher.public_id == voucher["id"]))
    run(Child.update({Child.birth_date_hash: None}).where(Child.public_id == world["child"]))

    async def migrate() -> None:
        async with write_transaction():
            await registry._backfill("child", "child")
            await registry._backfill("participant", "participant")
            await vouchers._recompute()

    run(migrate())
    assert run(service.find_by_code(voucher["code"], dt.date(2024, 5, 10)))["id"] == voucher["id"]
    with pytest.raises(NotFound):
        run(service.find_by_code(voucher["code"], dt.date(2024, 5, 11)))


def test_verify_recomputes_voucher_money_from_the_ledger(people):
    """A voucher row edited in the database (worth more than was committed) passed `grants ledger
    verify` before it recomputed vouchers from the ledger (this test failed then)."""
    from click.testing import CliRunner

    from app.cli import main
    from app.core.db import raw

    world = run(_world(1_000_000))
    response = _issue(people, run(_decision(world["participant"])), world["child"])
    assert response.status_code == 201, response.text
    voucher = response.json()["id"]
    assert CliRunner().invoke(main, ["ledger", "verify"]).exit_code == 0
    run(raw("UPDATE voucher SET total_minor = total_minor * 2 WHERE public_id = {}", voucher))
    result = CliRunner().invoke(main, ["ledger", "verify"])
    assert result.exit_code == 1
    assert f"voucher_total_mismatch at {voucher}" in result.stderr
