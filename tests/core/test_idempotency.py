"""Idempotency-Key on every mutating API route: a retry with the same key and body returns the first
response and acts once; another body with the key is refused; keys are the caller's own; the route table
has no mutating route without the mechanism except the exemptions docs/api.md lists."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from litestar.handlers import HTTPRouteHandler

from app.core import idempotency
from app.core.roles import Role
from app.http.idempotency import EXEMPT, MUTATING, IdempotencyMiddleware, applies
from app.vouchers.tables import Claim
from app.wage_subsidies.tables import WageClaim
from tests.support import run
from tests.vouchers.test_claims import _line, _voucher

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _mutating_handlers(app) -> list[tuple[str, str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods & MUTATING):
                found.append((method, route.path, handler))
    return found


def _documented_exemptions() -> set[str]:
    """`METHOD /path` of every route docs/api.md lists under "Routes without idempotency keys"."""
    text = DOCS.read_text()
    section = text.split("### Routes without idempotency keys", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`((?:POST|PUT|PATCH|DELETE) [^`]+)`", section))


def test_every_mutating_route_takes_idempotency_keys_unless_documented_as_exempt(app):
    assert any(m.__class__ is IdempotencyMiddleware for m in app.middleware)
    handlers = _mutating_handlers(app)
    assert len(handlers) > 40  # the walk found the app's routes
    documented = _documented_exemptions()
    undocumented = []
    for method, path, handler in handlers:
        if applies(handler, method):
            continue
        if f"{method} {path}" not in documented:
            undocumented.append(f"{method} {path}: {handler.opt.get(EXEMPT) or 'public'}")
    assert not undocumented, f"routes without Idempotency-Key, not listed in docs/api.md: {undocumented}"
    assert documented, "docs/api.md lists the exemptions"


@pytest.fixture
def frozen_today(monkeypatch):
    monkeypatch.setattr("app.vouchers.api.today", lambda: dt.date(2026, 4, 10))
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))


def _claim_body(code: str) -> dict:
    return {"period_start": "2026-03-01", "period_end": "2026-03-31", "lines": [_line(code)]}


def test_a_retried_claim_with_the_same_key_is_recorded_once(people, frozen_today):
    """Issue 11 point 6: seen failing before the middleware (the retry made a second claim)."""
    voucher = _voucher(people)
    headers = {**people[Role.PROVIDER].headers, "Idempotency-Key": "claim-march-1"}
    first = people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=headers)
    again = people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert run(Claim.count()) == 1
    other_body = {**_claim_body(voucher["code"]), "period_end": "2026-03-30"}
    reused = people.client.post("/api/v1/claims", json=other_body, headers=headers)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert run(Claim.count()) == 1


def test_a_retried_csv_upload_is_recorded_once(people, frozen_today):
    voucher = _voucher(people)
    csv = (
        "voucher_code,child_birth_date,service_start,service_end,days_attended,amount\n"
        f"{voucher['code']},2024-05-10,2026-03-02,2026-03-27,20,1040.00\n"
    ).encode()
    headers = {
        **people[Role.PROVIDER].headers,
        "Idempotency-Key": "csv-1",
        "Content-Type": "text/csv",
    }
    url = "/api/v1/claims/csv?period_start=2026-03-01&period_end=2026-03-31"
    first = people.client.post(url, content=csv, headers=headers)
    again = people.client.post(url, content=csv, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"] and run(Claim.count()) == 1
    other_query = url.replace("2026-03-31", "2026-03-30")
    reused = people.client.post(other_query, content=csv, headers=headers)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"


def test_wage_claims_and_their_csv_take_keys(people, frozen_today):
    from tests.wage_subsidies.test_journey import _ok, agreed_placement, set_up_budget

    set_up_budget(people)
    _ok(people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify"))
    placement = agreed_placement(people, "2026-01-12", "1800.00")["id"]
    headers = {**people[Role.EMPLOYER].headers, "Idempotency-Key": "wage-2026-03"}
    body = {
        "period": "2026-03",
        "lines": [{"placement": placement, "gross_wage": "1800.00", "hours_worked": 160}],
    }
    first = people.client.post("/api/v1/wage-claims", json=body, headers=headers)
    again = people.client.post("/api/v1/wage-claims", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    csv = (
        "placement,kind,gross_wage_paid,hours_worked,still_employed,end_date\n"
        f"{placement},wage,1800.00,160,yes,\n"
    ).encode()
    csv_headers = {**headers, "Idempotency-Key": "wage-csv-2026-04", "Content-Type": "text/csv"}
    url = "/api/v1/wage-claims/csv?period=2026-04"
    one = people.client.post(url, content=csv, headers=csv_headers)
    two = people.client.post(url, content=csv, headers=csv_headers)
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]
    assert run(WageClaim.count()) == 2


def test_keys_are_the_callers_own_and_refusals_are_not_kept(people, frozen_today):
    voucher = _voucher(people)
    own = {**people[Role.PROVIDER].headers, "Idempotency-Key": "shared-key"}
    refused = people.client.post("/api/v1/claims", json={"lines": []}, headers=own)
    assert refused.status_code == 400
    first = people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=own)
    assert first.status_code == 201, first.text  # the refused attempt did not keep the key
    colleague = people.make(Role.PROVIDER, key="provider_colleague")
    theirs = {**colleague.headers, "Idempotency-Key": "shared-key"}
    second = people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=theirs)
    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in second.headers


def test_a_bad_key_is_refused_and_the_stored_response_is_sealed(people, frozen_today):
    voucher = _voucher(people)
    headers = {**people[Role.PROVIDER].headers, "Idempotency-Key": "x" * 256}
    bad = people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_idempotency_key"
    assert bad.json()["error"]["param"] == "Idempotency-Key"
    headers["Idempotency-Key"] = "ok"
    assert people.client.post("/api/v1/claims", json=_claim_body(voucher["code"]), headers=headers).is_success
    from app.core.tables import IdempotencyRecord

    stored = run(IdempotencyRecord.select().first())
    assert stored["state"] == "completed" and stored["status_code"] == 201
    assert voucher["id"] not in stored["response"] and "clm_" not in stored["response"]


async def test_a_key_still_running_is_refused_and_a_lost_one_is_taken_over():
    print_ = idempotency.fingerprint("POST", "/x", b"", b"{}")
    assert await idempotency.begin("usr_a", "k", print_, now_s=1_000) is None
    with pytest.raises(idempotency.Conflict) as running:
        await idempotency.begin("usr_a", "k", print_, now_s=1_010)
    assert running.value.code == "idempotency_request_in_progress"
    assert await idempotency.begin("usr_a", "k", print_, now_s=1_000 + idempotency.LEASE_S) is None
    await idempotency.finish("usr_a", "k", idempotency.StoredResponse(201, [], b"{}"))
    replay = await idempotency.begin("usr_a", "k", print_, now_s=2_000)
    assert replay == idempotency.StoredResponse(201, [], b"{}")
    later = 1_000 + idempotency.LEASE_S + 24 * 3600  # the TTL counts from the take-over
    assert await idempotency.begin("usr_a", "k", print_, now_s=later) is None  # past the TTL: a new request


def test_today_is_the_date_in_the_configured_time_zone(monkeypatch):
    """Also-list: which "today" the server uses is a setting (GRANTS_TIME_ZONE)."""
    import datetime as dt_
    from zoneinfo import ZoneInfo

    from app.core import db
    from app.core.settings import get_settings

    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11: never the same date
        monkeypatch.setenv("GRANTS_TIME_ZONE", zone)
        get_settings.cache_clear()
        assert db.today() == dt_.datetime.now(ZoneInfo(zone)).date()
    monkeypatch.setenv("GRANTS_TIME_ZONE", "Mars/Olympus")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="GRANTS_TIME_ZONE"):
        get_settings()
    monkeypatch.delenv("GRANTS_TIME_ZONE")
    get_settings.cache_clear()
