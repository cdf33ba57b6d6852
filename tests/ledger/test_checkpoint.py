"""`grants ledger checkpoint` and `verify --against`; the audit log and vouchers' money in `verify`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from app.cli import main
from app.core.db import engine, raw
from app.ledger import append_only
from app.ledger.operations import Kind
from tests.ledger.helpers import do, setup_dimensions
from tests.support import run


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


async def _cut_back_to(seq: int) -> None:
    """An attacker with database rights removes the last entries and makes the head and balances agree."""
    await append_only.uninstall(engine())
    await raw("DELETE FROM ledger_posting WHERE entry > {}", seq)
    await raw("DELETE FROM ledger_entry WHERE id > {}", seq)
    last = (await raw("SELECT hash FROM ledger_entry WHERE id = {}", seq))[0]["hash"]
    await raw("UPDATE ledger_head SET last_seq = {}, last_hash = {} WHERE id = 1", seq, last)
    await raw(
        "UPDATE ledger_account SET balance = (SELECT COALESCE(SUM(amount), 0) FROM ledger_posting p "
        "WHERE p.account = ledger_account.id)"
    )


def test_a_checkpoint_catches_a_truncated_tail(tmp_path):
    """Without a published head, cutting the chain's tail and rewriting the head passed `verify` (this
    test failed then: there was no checkpoint to verify against)."""
    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 10_000))
    for amount in (100, 200):
        run(do(Kind.COMMIT, amount))
    out = tmp_path / "head.json"
    taken = invoke("ledger", "checkpoint", "--out", str(out))
    assert taken.exit_code == 0, taken.stderr
    point = json.loads(out.read_text())
    assert point["entries"] == 3 and len(point["ledger_head"]) == 64 and point["audit_events"] >= 1
    assert invoke("ledger", "verify", "--against", str(out)).exit_code == 0
    assert run(raw("SELECT action FROM audit_event WHERE action = 'ledger.checkpoint'"))

    run(_cut_back_to(2))
    assert invoke("ledger", "verify").exit_code == 0  # the chain alone cannot tell
    against = invoke("ledger", "verify", "--against", str(out))
    assert against.exit_code == 1
    assert "je_3 is gone" in " ".join(against.stderr.split())


def test_an_unreadable_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = invoke("ledger", "verify", "--against", str(bad))
    assert result.exit_code == 1 and "invalid_checkpoint" in result.stderr


def test_verify_checks_the_audit_chain():
    from app.core import append_only as core_append_only
    from app.core import audit_chain

    run(setup_dimensions())  # records audit events
    run(audit_chain.seal())
    run(core_append_only.uninstall(engine(), [audit_chain.SPEC]))
    run(raw("UPDATE audit_event SET actor_label = 'someone else'"))
    result = invoke("ledger", "verify")
    assert result.exit_code == 1 and "(audit log)" in result.stderr
