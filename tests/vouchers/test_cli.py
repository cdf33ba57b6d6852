"""`grants vouchers issue-batch` and `grants vouchers expire` as an operator runs them."""

from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from tests.support import row_counts, run
from tests.vouchers.test_issue import _decision, _position, _world


def _csv(tmp_path, rows: list[str]):
    path = tmp_path / "vouchers.csv"
    path.write_text("decision,fund,valid_from,valid_until,child\n" + "".join(r + "\n" for r in rows))
    return str(path)


def test_issue_batch_issues_every_row_and_prints_codes(tmp_path):
    world = run(_world(10_000_000))
    decisions = [run(_decision(world["participant"])) for _ in range(3)]
    rows = [f"{d},ESF,2026-03-02,2026-05-24,{world['child']}" for d in decisions]
    result = CliRunner().invoke(main, ["vouchers", "issue-batch", "--input", _csv(tmp_path, rows)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("vch_")]
    assert len(lines) == 3 and all(line.endswith(",3120.00") for line in lines)
    assert _position()["committed"] == 3 * 312_000


def test_issue_batch_refuses_a_bad_row_by_line_and_column_and_issues_nothing(tmp_path):
    world = run(_world(10_000_000))
    good = run(_decision(world["participant"]))
    before = run(row_counts())
    rows = [
        f"{good},ESF,2026-03-02,2026-05-24,{world['child']}",
        f"{good},ESF,2026-03-02,24/05/2026,{world['child']}",
    ]
    result = CliRunner().invoke(main, ["vouchers", "issue-batch", "--input", _csv(tmp_path, rows)])
    assert result.exit_code == 1
    assert "line 3, column valid_until" in " ".join(result.output.split())
    assert run(row_counts()) == before


def test_expire_command_reports_the_count(tmp_path):
    world = run(_world(10_000_000))
    rows = [f"{run(_decision(world['participant']))},ESF,2026-03-02,2026-05-24,{world['child']}"]
    CliRunner().invoke(main, ["vouchers", "issue-batch", "--input", _csv(tmp_path, rows)])
    early = CliRunner().invoke(main, ["vouchers", "expire", "--date", "2026-06-01"])
    assert early.exit_code == 0 and "0 voucher(s)" in early.output  # still claimable for May's service
    result = CliRunner().invoke(main, ["vouchers", "expire", "--date", "2026-07-24"])
    assert result.exit_code == 0 and "1 voucher(s) expired" in result.output
    assert _position()["committed"] == 0
