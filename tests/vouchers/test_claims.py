"""A provider's claim over HTTP: lines judged with reasons, vouchers drawn down, providers kept apart,
and two claims on one voucher at the same moment never exceeding its value (PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from app.core.roles import Role
from app.registry.organisations import LicenceView, add_licence
from app.vouchers import claims, service
from tests.support import SYSTEM, row_counts, run
from tests.vouchers.test_issue import _decision, _world

C = "/api/v1/claims"


def _voucher(people) -> dict:
    world = run(_world(10_000_000))
    decision = run(_decision(world["participant"]))
    request = service.IssueRequest(decision, "ESF", dt.date(2026, 3, 2), dt.date(2026, 5, 24), world["child"])
    voucher = run(service.issue_many(SYSTEM, [request]))[0]
    licence = LicenceView("L-1", dt.date(2025, 1, 1), dt.date(2027, 12, 31))
    run(add_licence(SYSTEM, people.provider_org, licence))
    return voucher


def _line(code: str, **extra) -> dict:
    return {
        "code": code,
        "child_birth_date": "2024-05-10",
        "service_start": "2026-03-02",
        "service_end": "2026-03-27",
        "days_attended": 20,
        "amount": "1040.00",
        **extra,
    }


def _submit(people, lines: list[dict], role=Role.PROVIDER, period=("2026-03-01", "2026-04-30")):
    body = {"period_start": period[0], "period_end": period[1], "lines": lines}
    return people.call(role, "POST", C, json=body)


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.vouchers.api.today", lambda: dt.date(2026, 4, 10))


def test_a_claim_is_judged_line_by_line_and_draws_the_voucher_down(people, frozen_today):
    voucher = _voucher(people)
    lines = [
        _line(voucher["code"]),  # 4 weeks x 260.00 = 1,040.00: accepted
        _line(
            voucher["code"],
            service_start="2026-03-30",
            service_end="2026-04-03",
            days_attended=5,
            amount="300.00",
        ),  # one week: capped at 260.00
        _line(
            voucher["code"],
            child_birth_date="2024-05-11",
            service_start="2026-04-06",
            service_end="2026-04-09",
            days_attended=4,
            amount="100.00",
        ),
        _line("K7QM-3XHD-9PTA-WB"),  # no such voucher (or mistyped)
        _line(
            voucher["code"],
            service_start="2026-03-16",
            service_end="2026-03-20",
            days_attended=5,
            amount="260.00",
        ),  # the same days again
    ]
    response = _submit(people, lines)
    assert response.status_code == 201, response.text
    claim = response.json()
    outcomes = [(ln["outcome"], ln["accepted"], ln["reason"]) for ln in claim["lines"]]
    assert outcomes == [
        ("accepted", "1040.00", None),
        ("reduced", "260.00", "exceeds_rate_for_attendance"),
        ("rejected", "0.00", "child_mismatch"),
        ("rejected", "0.00", "unknown_voucher"),
        ("rejected", "0.00", "already_claimed"),
    ]
    assert claim["lines"][2]["voucher"] is None  # a wrong birth date does not reveal the voucher
    assert claim["accepted"] == "1300.00" and claim["status"] == "submitted"
    after = run(service.get(voucher["id"]))
    assert (
        after["status"] == "partly_claimed"
        and after["claimed"] == "1300.00"
        and after["remaining"] == "1820.00"
    )


def test_a_line_outside_the_claims_period_is_rejected_by_name(people, frozen_today):
    """Issue 11 point 4: seen failing before (an October claim accepted November service)."""
    voucher = _voucher(people)
    april = _line(voucher["code"], service_start="2026-04-06", service_end="2026-04-09", days_attended=4)
    straddling = _line(voucher["code"], service_start="2026-03-30", service_end="2026-04-03", days_attended=5)
    response = _submit(
        people, [_line(voucher["code"]), april, straddling], period=("2026-03-01", "2026-03-31")
    )
    assert response.status_code == 201, response.text
    lines = response.json()["lines"]
    assert [(ln["outcome"], ln["reason"]) for ln in lines] == [
        ("accepted", None),
        ("rejected", "outside_claim_period"),
        ("rejected", "outside_claim_period"),
    ]
    assert response.json()["accepted"] == "1040.00"


def test_a_line_failing_several_checks_lists_them_all_the_first_as_its_reason(people, frozen_today):
    voucher = _voucher(people)
    late_and_outside = _line(
        voucher["code"], service_start="2026-05-25", service_end="2026-05-29", days_attended=9
    )
    response = _submit(people, [late_and_outside], period=("2026-03-01", "2026-04-30"))
    line = response.json()["lines"][0]
    assert line["reason"] == "invalid_service_dates"
    assert line["reasons"] == [
        "invalid_service_dates",
        "outside_claim_period",
        "outside_voucher_validity",
        "period_in_future",
    ]
    wrong_child = _line(voucher["code"], child_birth_date="2024-05-11", service_start="2026-05-25")
    refused = _submit(people, [wrong_child]).json()["lines"][0]
    assert refused["reasons"] == ["child_mismatch"]  # nothing more revealed about someone else's voucher


def test_providers_see_only_their_own_claims(people, frozen_today):
    voucher = _voucher(people)
    claim_id = _submit(people, [_line(voucher["code"])]).json()["id"]
    from app.registry.organisations import create_provider

    other = run(create_provider(SYSTEM, name="Other Provider")).id
    people.make(Role.PROVIDER, organisation=other, key="other_provider")
    response = people.client.get(
        f"{C}/{claim_id}", headers=people.make(Role.PROVIDER, key="other_provider").headers
    )
    assert response.status_code == 404
    assert people.call(Role.FINANCE_OFFICER, "GET", f"{C}/{claim_id}").status_code == 200
    assert _submit(people, [_line(voucher["code"])], role=Role.CASEWORKER).status_code == 403


def test_a_bad_amount_is_refused_with_the_line_named(people, frozen_today):
    voucher = _voucher(people)
    response = _submit(people, [_line(voucher["code"]), _line(voucher["code"], amount="12.345")])
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "lines[1].amount"


@pytest.mark.postgres_only
def test_two_claims_at_once_never_exceed_the_voucher(people):
    voucher = _voucher(people)  # 3,120.00
    provider = people.make(Role.PROVIDER)
    from app.core.credentials import actor_for_token

    actor = run(actor_for_token(provider.token))
    item = claims.LineIn(
        voucher["code"], dt.date(2024, 5, 10), dt.date(2026, 3, 2), dt.date(2026, 5, 22), 60, "2000.00"
    )

    async def both():
        from app.core.db import close_pool, start_pool

        await start_pool(2, 4)
        try:
            return await asyncio.gather(
                *(
                    claims.submit(
                        actor, dt.date(2026, 3, 1), dt.date(2026, 5, 31), [item], dt.date(2026, 5, 24)
                    )
                    for _ in range(2)
                ),
                return_exceptions=True,
            )
        finally:
            await close_pool()

    results = asyncio.run(both())
    # Without the voucher lock both would read an unclaimed voucher and take 2,000.00 each (4,000.00 of
    # 3,120.00); with it the second sees the first's days and refuses them.
    assert sorted(r["accepted"] for r in results) == ["0.00", "2000.00"]
    assert sorted(r["lines"][0]["reason"] or "" for r in results) == ["", "already_claimed"]
    assert run(service.get(voucher["id"]))["claimed"] == "2000.00"


def _two_line_claim(people) -> tuple[dict, dict]:
    voucher = _voucher(people)
    lines = [
        _line(voucher["code"]),
        _line(
            voucher["code"],
            service_start="2026-03-30",
            service_end="2026-04-03",
            days_attended=5,
            amount="260.00",
        ),
    ]
    return voucher, _submit(people, lines).json()


def _position() -> dict[str, int]:
    from app.ledger import queries

    row = run(queries.budget_position(fund="ESF", programme="CHILDCARE"))[0]
    return {"committed": row.committed, "expended": row.expended, "available": row.available}


def test_approval_posts_the_expenditure_against_a_payable_to_the_provider(people, frozen_today):
    _, claim = _two_line_claim(people)
    before = _position()
    response = people.call(Role.FINANCE_OFFICER, "POST", f"{C}/{claim['id']}/approve", json={})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved" and response.json()["approved"] == "1300.00"
    after = _position()
    assert after["committed"] == before["committed"] - 130_000 and after["expended"] == 130_000
    again = people.call(Role.APPROVER, "POST", f"{C}/{claim['id']}/approve", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "claim_decided"
    assert _position() == after  # nothing posted twice


def test_part_approval_gives_the_rest_back_to_the_voucher(people, frozen_today):
    voucher, claim = _two_line_claim(people)
    response = people.call(Role.FINANCE_OFFICER, "POST", f"{C}/{claim['id']}/approve", json={"lines": [1]})
    body = response.json()
    assert body["status"] == "partly_approved" and body["approved"] == "1040.00"
    assert [ln["approved"] for ln in body["lines"]] == ["1040.00", "0.00"]
    assert run(service.get(voucher["id"]))["claimed"] == "1040.00"
    assert _position()["expended"] == 104_000
    bad = people.call(Role.FINANCE_OFFICER, "POST", f"{C}/{claim['id']}/approve", json={"lines": [7]})
    assert bad.status_code == 409  # decided already


def test_rejection_gives_everything_back(people, frozen_today):
    voucher, claim = _two_line_claim(people)
    response = people.call(
        Role.APPROVER, "POST", f"{C}/{claim['id']}/reject", json={"reason": "no attendance sheets"}
    )
    assert (
        response.json()["status"] == "rejected"
        and response.json()["decided_reason"] == "no attendance sheets"
    )
    assert run(service.get(voucher["id"]))["status"] == "active"
    assert _position()["expended"] == 0
    again = _submit(people, [_line(voucher["code"])])  # the same days, corrected and sent again
    assert again.json()["lines"][0]["outcome"] == "accepted"


def test_above_the_limit_two_different_approvers_are_needed(people, frozen_today, monkeypatch):
    from dataclasses import replace

    from app.core import approvals
    from app.core.settings import get_settings

    low = replace(get_settings(), approval_second_approver_limit_minor=100_000)
    monkeypatch.setattr(approvals, "get_settings", lambda: low)
    _, claim = _two_line_claim(people)  # 1,300.00 > 1,000.00
    first = people.call(Role.FINANCE_OFFICER, "POST", f"{C}/{claim['id']}/approve", json={"lines": [1]})
    assert first.json()["status"] == "second_approval_due"
    assert _position()["expended"] == 0
    twice = people.call(Role.FINANCE_OFFICER, "POST", f"{C}/{claim['id']}/approve", json={})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_approved_by_you"
    other = people.call(Role.APPROVER, "POST", f"{C}/{claim['id']}/approve", json={"lines": [1, 2]})
    assert other.status_code == 409 and other.json()["error"]["code"] == "selection_differs"
    second = people.call(Role.APPROVER, "POST", f"{C}/{claim['id']}/approve", json={})
    assert second.json()["status"] == "partly_approved" and _position()["expended"] == 104_000


def test_whoever_submitted_cannot_approve(people):
    import asyncio

    from app.core import approvals
    from app.core.actor import Actor
    from app.core.db import write_transaction
    from app.core.errors import Forbidden
    from app.core.roles import Role as R

    both = Actor(None, "usr_0000000000000001", "clerk", frozenset({R.FINANCE_OFFICER}))

    async def attempt():
        async with write_transaction():
            await approvals.open_approval(both, "thing", "thg_1", 100, "EUR", [both.public_id])
        async with write_transaction():
            await approvals.approve(both, "thing", "thg_1")

    with pytest.raises(Forbidden, match="cannot approve"):
        asyncio.run(attempt())


HEADER = "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"


def _upload(people, body: bytes, role=Role.PROVIDER):
    return people.call(
        role,
        "POST",
        f"{C}/csv?period_start=2026-03-01&period_end=2026-03-31",
        content=body,
        headers={"Content-Type": "text/csv"},
    )


def test_a_csv_claim_is_judged_like_the_api_and_shows_in_the_statement(people, frozen_today):
    voucher = _voucher(people)
    body = (
        HEADER
        + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00\n"
        + "K7QM-3XHD-9PTA-WB,2024-05-10,2026-03-02,2026-03-27,20,10.00\n"
    )
    response = _upload(people, body.encode())
    assert response.status_code == 201, response.text
    claim = response.json()
    assert claim["source"] == "csv"
    assert [ln["outcome"] for ln in claim["lines"]] == ["accepted", "rejected"]
    assert [ln["line"] for ln in claim["lines"]] == [2, 3]  # the file's lines: partial approval uses them
    statement = people.call(Role.PROVIDER, "GET", f"{C}/statement.csv?from=2026-03-01&to=2026-03-31")
    assert statement.status_code == 200 and statement.headers["content-type"].startswith("text/csv")
    rows = statement.text.strip().splitlines()
    assert rows[0].startswith("claim,submitted_at,claim_status,line,voucher")
    assert len(rows) == 3 and "unknown_voucher" in rows[2]
    listed = people.call(Role.PROVIDER, "GET", C).json()
    assert [c["id"] for c in listed["data"]] == [claim["id"]]


def test_a_malformed_csv_is_refused_whole_with_line_and_column(people, frozen_today):
    voucher = _voucher(people)
    people.make(Role.PROVIDER)
    before = run(row_counts())
    body = (
        HEADER
        + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00\n"
        + f"{voucher['code']},10/05/2024,2026-03-02,2026-03-27,twenty,10.001\n"
    )
    response = _upload(people, body.encode())
    assert response.status_code == 400
    params = [d["param"] for d in response.json()["error"]["details"]]
    assert params == ["line 3.child_birth_date", "line 3.days_attended", "line 3.amount"]
    negative = (
        HEADER
        + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-06,5,-1.00\n\n"
        + (f"{voucher['code']},2024-05-10,2026-03-09,2026-03-13,5,-2.00\n")
    )
    found_late = _upload(people, negative.encode())  # found after parsing, still named by file line
    assert found_late.status_code == 400
    assert [d["param"] for d in found_late.json()["error"]["details"]] == ["line 2.amount", "line 4.amount"]
    assert _upload(people, b"code,amount\nx,1\n").json()["error"]["code"] == "invalid_header"
    latin = (HEADER + f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00 \xe9\n").encode(
        "latin-1"
    )
    refused = _upload(people, latin)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_encoding"
    assert run(row_counts()) == before


def test_an_oversized_upload_is_refused_before_it_is_read(people, frozen_today):
    big = HEADER.encode() + b"x" * (21 * 1024 * 1024)
    response = _upload(people, big)
    assert response.status_code == 413


def test_the_second_approver_limit_counts_the_providers_month_across_claims(
    people, frozen_today, monkeypatch
):
    """Issue 11 point 7 for providers: a partial approval and a second claim of the same month add up."""
    from app.core.settings import get_settings

    monkeypatch.setenv("GRANTS_SECOND_APPROVER_LIMIT_MINOR", "120000")  # 1,200.00
    get_settings.cache_clear()
    try:
        voucher, claim = _two_line_claim(people)  # lines of 1,040.00 (March) and 260.00 (30 March - 3 April)
        officer = Role.FINANCE_OFFICER
        part = people.call(officer, "POST", f"{C}/{claim['id']}/approve", json={"lines": [1]}).json()
        assert part["status"] == "partly_approved" and part["approved"] == "1040.00"  # under 1,200.00
        late = _line(voucher["code"], service_start="2026-03-30", service_end="2026-03-31", days_attended=2)
        more = _submit(people, [{**late, "amount": "200.00"}], period=("2026-03-01", "2026-03-31")).json()
        held = people.call(officer, "POST", f"{C}/{more['id']}/approve", json={}).json()
        assert held["status"] == "second_approval_due"  # 1,040.00 + 200.00 for March is over the limit
        final = people.call(Role.APPROVER, "POST", f"{C}/{more['id']}/approve", json={}).json()
        assert final["status"] == "approved" and final["approved"] == "200.00"
    finally:
        monkeypatch.delenv("GRANTS_SECOND_APPROVER_LIMIT_MINOR")
        get_settings.cache_clear()


def _claim_on(people, voucher: dict, day: dt.date, start: str, end: str, days: int, amount: str):
    provider = people.make(Role.PROVIDER)
    from app.core.credentials import actor_for_token

    actor = run(actor_for_token(provider.token))
    item = claims.LineIn(
        voucher["code"],
        dt.date(2024, 5, 10),
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        days,
        amount,
    )
    first, last = dt.date.fromisoformat(start).replace(day=1), dt.date.fromisoformat(end)
    return run(claims.submit(actor, first, last, [item], day))["lines"][0]


def test_expiry_keeps_the_value_claimable_until_the_claim_deadline(people):
    """Issue 11 point 5: seen failing before (the expiry job released the value the day after validity,
    and an in-time claim for May was rejected voucher_inactive)."""
    voucher = _voucher(people)  # valid 2 March to 24 May, 3,120.00
    assert run(service.expire_due(SYSTEM, dt.date(2026, 5, 25))) == 0
    assert _position()["committed"] == 312_000  # still committed: May may still be claimed
    line = _claim_on(people, voucher, dt.date(2026, 6, 20), "2026-05-18", "2026-05-22", 5, "260.00")
    assert (line["outcome"], line["reason"]) == ("accepted", None)
    assert run(service.expire_due(SYSTEM, dt.date(2026, 7, 23))) == 0  # the last day to claim 24 May
    assert run(service.expire_due(SYSTEM, dt.date(2026, 7, 24))) == 1
    after = run(service.get(voucher["id"]))
    assert after["status"] == "expired" and after["released"] == "2860.00"
    assert _position()["committed"] == 26_000  # only the claim awaiting approval
    late = _claim_on(people, voucher, dt.date(2026, 7, 24), "2026-05-11", "2026-05-15", 5, "260.00")
    assert late["reason"] == "voucher_inactive"


def test_revocation_keeps_service_before_it_claimable_until_its_deadline(people):
    voucher = _voucher(people)
    revoked = run(
        service.revoke(SYSTEM, voucher["id"], "moved away", dt.date(2026, 4, 6), dt.date(2026, 4, 10))
    )
    # service from 2 March to 5 April (5 weeks started, 1,300.00) may still be claimed; the rest goes back
    assert revoked["status"] == "revoked" and revoked["released"] == "1820.00"
    assert _position()["committed"] == 130_000
    march = _claim_on(people, voucher, dt.date(2026, 4, 20), "2026-03-02", "2026-03-27", 20, "1040.00")
    assert (march["outcome"], march["accepted"]) == ("accepted", "1040.00")
    april = _claim_on(people, voucher, dt.date(2026, 4, 20), "2026-04-06", "2026-04-10", 5, "260.00")
    assert april["reason"] == "voucher_inactive"
    assert run(service.get(voucher["id"]))["status"] == "revoked"
    assert run(service.expire_due(SYSTEM, dt.date(2026, 6, 4))) == 0  # 5 April's deadline
    assert run(service.expire_due(SYSTEM, dt.date(2026, 6, 5))) == 1
    after = run(service.get(voucher["id"]))
    assert after["released"] == "2080.00" and after["remaining"] == "0.00"
    assert _position()["committed"] == 104_000  # the March claim, awaiting approval
