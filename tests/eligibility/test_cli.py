"""`grants rules …` as a user runs it: test, eval, batch (with bad rows) and simulate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import main

HEADER = "activity,weekly_activity_hours,activity_start,household_size,household_monthly_income,child_birth_date,child_has_disability,weekly_care_hours\n"
GOOD = "employment,30,2025-06-01,3,1200.00,2024-05-10,false,35\n"
NEAR_LIMIT = "training,20,2025-06-01,2,2250.00,2022-01-15,,20\n"
BAD = "employment,thirty,2025-06-01,3,12.345,10/05/2024,maybe,35\n"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_rules_test_runs_every_file_and_ends_with_the_count():
    result = invoke("rules", "test")
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    passed, failed = int(last.split()[0]), int(last.split()[2])
    assert failed == 0 and passed >= 45
    assert last == f"{passed} passed, 0 failed"


def test_rules_test_reports_a_failing_case_and_a_broken_file(tmp_path):
    source = Path("rules/childcare_voucher.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        source.replace('copayment: "0.00", frequency', 'copayment: "1.00", frequency')
    )
    (tmp_path / "b.yaml").write_text(
        source.replace("months_in_activity < max_job_search_months", "months_in_activty < 3")
    )
    result = CliRunner().invoke(main, ["rules", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "copayment: expected 1.00, got 0.00" in result.output
    assert "unknown name 'months_in_activty' (did you mean 'months_in_activity'?)" in result.output
    assert result.output.strip().endswith("20 passed, 2 failed")


def test_rules_eval_prints_the_decision_as_json(tmp_path):
    case = dict(zip(HEADER.strip().split(","), GOOD.strip().split(","), strict=True))
    case["child_has_disability"] = False
    case["weekly_activity_hours"], case["household_size"], case["weekly_care_hours"] = 30, 3, 35
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = invoke("rules", "eval", "childcare_voucher", "--input", str(path), "--date", "2026-03-02")
    body = json.loads(result.output)
    assert body["eligible"] is True and body["outputs"]["amount"] == "260.00"
    assert {c["id"] for c in body["explanation"]["conditions"]} >= {
        "income_under_limit",
        "child_under_age_limit",
    }


def test_rules_eval_refuses_bad_input_with_the_field_named(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"activity": "employed"}))
    result = CliRunner().invoke(main, ["rules", "eval", "childcare_voucher", "--input", str(path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "input.activity" in output and "did you mean 'employment'" in output


def test_rules_batch_writes_decisions_and_rejected_rows_with_lines(tmp_path):
    source = tmp_path / "caseload.csv"
    source.write_text(HEADER + GOOD + BAD + NEAR_LIMIT)
    out = tmp_path / "decisions.csv"
    result = invoke(
        "rules",
        "batch",
        "childcare_voucher",
        "--input",
        str(source),
        "--out",
        str(out),
        "--date",
        "2026-03-02",
    )
    assert "2 decided (2 eligible), 1 rejected" in result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["line"] for r in rows] == ["2", "4"]
    assert rows[0]["amount"] == "260.00" and rows[0]["eligible"] == "True"
    assert rows[1]["amount"] == "87.50"  # preschool part-time 125.00 less 30%: income is 97.8% of the limit
    errors = list(csv.DictReader((tmp_path / "decisions.errors.csv").open()))
    assert {(e["line"], e["field"]) for e in errors} == {
        ("3", "weekly_activity_hours"),
        ("3", "household_monthly_income"),
        ("3", "child_birth_date"),
        ("3", "child_has_disability"),
    }


def test_rules_batch_refuses_a_file_that_is_not_utf8_or_lacks_a_column(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        HEADER.encode() + "employment,30,2025-06-01,3,1200.00,2024-05-10,false,35 é\n".encode("latin-1")
    )
    result = CliRunner().invoke(
        main, ["rules", "batch", "childcare_voucher", "--input", str(latin), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "not UTF-8" in result.output
    short = tmp_path / "short.csv"
    short.write_text("activity\nemployment\n")
    result = CliRunner().invoke(
        main, ["rules", "batch", "childcare_voucher", "--input", str(short), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "no column 'weekly_activity_hours'" in result.output


def test_rules_simulate_shows_headcount_and_cost_before_and_after(tmp_path):
    source = tmp_path / "caseload.csv"
    source.write_text(HEADER + GOOD + NEAR_LIMIT + "training,20,2025-06-01,2,2350.00,2022-01-15,,20\n")
    result = invoke(
        "rules",
        "simulate",
        "childcare_voucher",
        "--input",
        str(source),
        "--set",
        "income_limit*=1.10",
        "--date",
        "2026-03-02",
    )
    summary = json.loads(result.output.strip().splitlines()[-1])
    # The third household (2,350.00 against a 2,300.00 limit) becomes eligible at 2,530.00.
    assert summary["eligible_before"] == 2 and summary["eligible_after"] == 3
    # Before: 260.00 + 87.50. After, with limits of 2,970.00 and 2,530.00: 260.00 + 100.00 (20% band)
    # + 87.50 (the newly eligible household, at 92.9% of its limit, in the 30% band).
    assert summary["cost_before"] == "347.50"
    assert summary["cost_after"] == "447.50"
    assert summary["cost_change"] == "100.00"


def test_rules_simulate_refuses_an_unknown_parameter(tmp_path):
    source = tmp_path / "caseload.csv"
    source.write_text(HEADER + GOOD)
    result = CliRunner().invoke(
        main, ["rules", "simulate", "childcare_voucher", "--input", str(source), "--set", "income_limt*=2"]
    )
    assert result.exit_code == 1 and "did you mean 'income_limit'" in " ".join(result.output.split())
