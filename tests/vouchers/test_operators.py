"""Transport vouchers claimed by registered transport operators: an operator is a provider whose service is
transport; it claims transport vouchers only, and a childcare provider cannot claim them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.errors import NotFound, ValidationFailed
from app.core.roles import Role
from app.eligibility import service as eligibility
from app.ledger import dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry.organisations import LicenceView, create_provider
from app.vouchers import service
from tests.support import SYSTEM, run
from tests.vouchers.test_issue import _world
from tests.vouchers.test_stipends import CASE

C = "/api/v1/claims"
PARTICIPANT_BIRTH = "1990-04-17"  # PERSON_EXAMPLE's date of birth: the holder of a transport voucher


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.vouchers.api.today", lambda: dt.date(2026, 4, 10))


def _operator(name: str = "City Buses") -> str:
    licence = LicenceView("OP-7", dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    return run(create_provider(SYSTEM, name=name, service="transport", licence=licence)).id


async def _transport_request(participant: str, provider: str | None) -> service.IssueRequest:
    await dimensions.create(SYSTEM, "programme", "TRANSPORT", "Transport", "EUR")
    load = Operation(Kind.BUDGET_LOAD, Target("ESF", "TRANSPORT"), 100_000, "load-t", dt.date(2026, 1, 1))
    await ledger.apply_one(SYSTEM, load)
    decision = await eligibility.evaluate(SYSTEM, "transport_voucher", CASE, dt.date(2026, 3, 2), participant)
    return service.IssueRequest(
        decision["id"], "ESF", dt.date(2026, 3, 2), dt.date(2026, 4, 30), None, provider
    )


def _line(code: str, **extra) -> dict:
    return {
        "code": code,
        "child_birth_date": PARTICIPANT_BIRTH,
        "service_start": "2026-03-02",
        "service_end": "2026-03-31",
        "days_attended": 20,
        "amount": "62.00",
        **extra,
    }


def _submit(people, key: str, lines: list[dict]):
    body = {"period_start": "2026-03-01", "period_end": "2026-03-31", "lines": lines}
    return people.client.post(C, json=body, headers=people.make(Role.PROVIDER, key=key).headers)


def test_an_operator_claims_a_transport_voucher_and_a_childcare_provider_cannot(people, frozen_today):
    world = run(_world(0))
    operator = _operator()
    people.make(Role.PROVIDER, organisation=operator, key="operator")
    voucher = run(service.issue_many(SYSTEM, [run(_transport_request(world["participant"], None))]))[0]
    claimed = _submit(people, "operator", [_line(voucher["code"])])
    assert claimed.status_code == 201, claimed.text
    assert [(ln["outcome"], ln["accepted"]) for ln in claimed.json()["lines"]] == [("accepted", "62.00")]
    # the childcare provider of the test world: the same voucher, April
    april = _line(voucher["code"], service_start="2026-04-01", service_end="2026-04-09", days_attended=6)
    people.make(Role.PROVIDER, key="childcare")
    refused = _submit(people, "childcare", [april]).json()["lines"][0]
    assert (refused["outcome"], refused["reason"]) == ("rejected", "voucher_not_for_this_service")
    assert run(service.get(voucher["id"]))["claimed"] == "62.00"


def test_a_chosen_provider_must_be_registered_and_give_the_vouchers_service(people):
    world = run(_world(0))
    request = run(_transport_request(world["participant"], people.provider_org))  # a childcare provider
    with pytest.raises(ValidationFailed, match="provides childcare, not transport"):
        run(service.issue_many(SYSTEM, [request]))
    unknown = service.IssueRequest(**{**request.__dict__, "provider": "prv_nobody"})
    with pytest.raises(NotFound):
        run(service.issue_many(SYSTEM, [unknown]))
    chosen = service.IssueRequest(**{**request.__dict__, "provider": _operator()})
    assert run(service.issue_many(SYSTEM, [chosen]))[0]["provider"] == chosen.provider


def test_operators_are_listed_by_service(people):
    operator = _operator("Night Line")
    listed = people.call(Role.CASEWORKER, "GET", "/api/v1/providers?service=transport").json()["data"]
    assert [(p["id"], p["service"]) for p in listed] == [(operator, "transport")]
    bad = people.call(Role.CASEWORKER, "GET", "/api/v1/providers?service=taxi")
    assert bad.status_code == 400
    created = people.call(
        Role.ADMIN, "POST", "/api/v1/providers", json={"name": "Ferry Co", "service": "transport"}
    )
    assert created.status_code == 201 and created.json()["service"] == "transport"
