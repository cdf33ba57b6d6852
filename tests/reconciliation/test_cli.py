"""`grants reconcile …` in process: a statement imported, reconciliation run (exit status 1 while a check
fails), the queue listed, an exception resolved and approved by a second person."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.core.roles import Role
from tests.reconciliation.statements import camt053
from tests.reconciliation.world import paid_run, statement_for


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_reconcile_from_the_command_line(people, tmp_path):
    people.make(Role.FINANCE_OFFICER, key="fin")
    people.make(Role.APPROVER, key="appr")
    _, payments = paid_run(tmp_path, payees=2)
    e2e, amount, _ = payments[0]
    path = tmp_path / "statement.xml"
    path.write_bytes(camt053(statement_for(payments, **{e2e: amount + 1})))
    imported = invoke("reconcile", "import", str(path), "--as", "fin@example.org")
    assert imported.exit_code == 0 and "matched 1" in imported.stdout, imported.output
    assert "nothing changed" in invoke("reconcile", "import", str(path), "--as", "fin@example.org").stdout
    failing = invoke("reconcile", "run", "--as", "fin@example.org")
    assert (
        failing.exit_code == 1 and "FAIL bank_balance" in failing.stdout and "drift 100.01" in failing.stdout
    )
    listed = invoke("reconcile", "exceptions", "--kind", "amount_mismatch", "--as", "fin@example.org")
    exc = listed.stdout.split()[0]
    assert exc.startswith("exc_") and "0.01" in listed.stdout
    proposed = invoke("reconcile", "resolve", exc, "--resolution", "fixed_by_booking", "--reason", "bank fee",
                      "--as", "fin@example.org")  # fmt: skip
    assert proposed.exit_code == 0 and "pending_resolution" in proposed.stdout
    own = invoke("reconcile", "approve", exc, "--as", "fin@example.org")
    assert own.exit_code == 1 and "[four_eyes]" in own.stderr
    approved = invoke("reconcile", "approve", exc, "--as", "appr@example.org")
    assert approved.exit_code == 0 and "resolved" in approved.stdout and "je_" in approved.stdout
    green = invoke("reconcile", "run", "--as", "fin@example.org")
    assert green.exit_code == 0, green.output
    bad = invoke("reconcile", "run", "--date", "2030-02-30", "--as", "fin@example.org")
    assert bad.exit_code == 1 and "--date" in bad.stderr
