"""The audit log is append-only and chained: edits, removals and TRUNCATE are refused or found."""

from __future__ import annotations

import pytest

from app.core import append_only, audit, audit_chain
from app.core.actor import Actor
from app.core.db import engine, is_postgres, raw

ACTOR = Actor.system("tests")


async def _three_events() -> None:
    for n in range(3):
        await audit.record(ACTOR, "thing.change", "thing", f"thg_{n}", {"v": n}, {"v": n + 1}, note=f"n{n}")
    assert await audit_chain.seal() == 3


async def test_sealed_events_verify():
    await _three_events()
    result = await audit_chain.verify()
    assert result.ok, result.problems
    assert (result.events, result.unsealed) == (3, 0)
    await audit.record(ACTOR, "thing.change", "thing", "thg_9")
    assert (await audit_chain.verify()).unsealed == 1
    assert await audit_chain.seal() == 1
    assert (await audit_chain.verify()).events == 4


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET note = 'nothing happened' WHERE entity_id = 'thg_1'",
        "UPDATE audit_event SET hash = '' WHERE entity_id = 'thg_1'",
        "DELETE FROM audit_event WHERE entity_id = 'thg_1'",
    ],
)
async def test_the_database_refuses_changes(statement):
    """Before the triggers existed, the app's role could rewrite or delete the log (this test failed)."""
    await _three_events()
    with pytest.raises(Exception, match="append-only"):
        await raw(statement)


async def test_the_log_cannot_be_truncated():
    if not is_postgres():
        pytest.skip("SQLite has no TRUNCATE")
    await _three_events()
    with pytest.raises(Exception, match="append-only"):
        await raw("TRUNCATE audit_event")


async def test_an_edit_behind_dropped_triggers_is_found():
    await _three_events()
    await append_only.uninstall(engine(), [audit_chain.SPEC])
    await raw("UPDATE audit_event SET note = 'nothing happened' WHERE entity_id = 'thg_1'")
    result = await audit_chain.verify()
    assert [(p.kind, p.where) for p in result.problems] == [
        ("edited", (await raw("SELECT public_id FROM audit_event WHERE entity_id = 'thg_1'"))[0]["public_id"])
    ]


async def test_a_removed_event_is_found():
    await _three_events()
    await append_only.uninstall(engine(), [audit_chain.SPEC])
    await raw("DELETE FROM audit_event WHERE entity_id = 'thg_2'")  # the last one: only the head shows it
    result = await audit_chain.verify()
    assert [p.kind for p in result.problems] == ["missing"]
