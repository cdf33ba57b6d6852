"""The audit log filtered by record, user and the days events happened on (API and service)."""

from __future__ import annotations

import datetime as dt

from app.core import audit
from app.core.db import today
from app.core.roles import Role

BASE = "/api/v1/audit-events"


def test_events_filtered_by_user_and_day_range(people):
    caseworker = people[Role.CASEWORKER]
    response = people.call(Role.CASEWORKER, "POST", "/api/v1/households", json={"region": "North"})
    household = response.json()["id"]
    day = today()

    def found(**params) -> list[str]:
        response = people.call(Role.AUDITOR, "GET", BASE, params=params)
        assert response.status_code == 200, response.text
        return [e["entity_id"] for e in response.json()["data"]]

    assert found(actor=caseworker.user_id) == [household]
    assert found(actor=caseworker.user_id, since=day.isoformat(), until=day.isoformat()) == [household]
    assert found(actor=caseworker.user_id, until=(day - dt.timedelta(days=1)).isoformat()) == []
    assert found(since=(day + dt.timedelta(days=1)).isoformat()) == []
    bad = people.call(Role.AUDITOR, "GET", BASE, params={"since": "2026-13-01"})
    assert bad.status_code == 400 and "since" in bad.text


async def test_the_service_takes_whole_days():
    page = await audit.list_events(10, None, since=today(), until=today())
    assert page.rows == []
