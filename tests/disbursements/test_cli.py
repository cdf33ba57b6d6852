"""`grants payments …` in process: a run prepared, approved and released by three people, its files
exported, the bank's status report imported, the list shown; four eyes and bad input refused by name."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.core.roles import Role
from tests.disbursements.world import PROGRAMME, approved_claims, confirmed_bank, pain002, providers
from tests.support import run


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_run_from_the_command_line(people, tmp_path):
    for role, key in ((Role.FINANCE_OFFICER, "prep"), (Role.APPROVER, "appr"), (Role.FINANCE_OFFICER, "rel")):
        people.make(role, key=key)
    payees = run(providers(2))
    run(approved_claims(payees, 2, 2_500))
    run(confirmed_bank(payees[0]))
    made = invoke(
        "payments", "run", "--programme", PROGRAMME, "--pay-date", "2030-01-15", "--as", "prep@example.org"
    )
    assert made.exit_code == 0, made.output
    run_id = made.stdout.split()[0]
    assert "1 instruction(s)" in made.stdout and f"left out {payees[1]}" in made.stdout
    own = invoke("payments", "approve", run_id, "--as", "prep@example.org")
    assert own.exit_code == 1 and "[four_eyes]" in own.stderr
    assert invoke("payments", "approve", run_id, "--as", "appr@example.org").exit_code == 0
    released = invoke("payments", "release", run_id, "--as", "rel@example.org")
    assert released.exit_code == 0 and "sent now: 1" in released.stdout
    exported = invoke("payments", "export", run_id, "--format", "sepa", "--out", str(tmp_path))
    assert exported.stdout.strip() == str(tmp_path / f"{run_id}-001.xml")
    report = tmp_path / "pain002.xml"
    report.write_bytes(pain002(f"{run_id}-001", group="ACSC"))
    imported = invoke("payments", "import-status", str(report), "--as", "prep@example.org")
    assert imported.exit_code == 0 and "1 settled" in imported.stdout
    again = invoke("payments", "import-status", str(report), "--as", "prep@example.org")
    assert "nothing changed" in again.stdout
    listed = invoke("payments", "list")
    assert run_id in listed.stdout and "released" in listed.stdout
    bad = invoke("payments", "run", "--pay-date", "2030-02-30", "--as", "prep@example.org")
    assert bad.exit_code == 1 and "--pay-date" in bad.stderr
    nobody = invoke("payments", "approve", run_id, "--as", "nobody@example.org")
    assert nobody.exit_code == 1 and "--as" in nobody.stderr


def test_bad_status_files_are_refused_by_name_and_line(people, tmp_path):
    people.make(Role.FINANCE_OFFICER, key="prep")
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Document>\n<CstmrPmtStsRpt>\n<GrpHdr>")
    refused = invoke("payments", "import-status", str(broken), "--as", "prep@example.org")
    assert refused.exit_code == 1 and "[invalid_xml]" in refused.stderr and "line 3" in refused.stderr
    stranger = tmp_path / "stranger.xml"
    stranger.write_bytes(pain002("prn_0000000000000000-001", group="ACSC"))
    unknown = invoke("payments", "import-status", str(stranger), "--as", "prep@example.org")
    assert unknown.exit_code == 1 and "[unknown_message]" in unknown.stderr
    missing = invoke("payments", "import-status", str(tmp_path / "none.xml"), "--as", "prep@example.org")
    assert missing.exit_code != 0 and "none.xml" in missing.stderr
