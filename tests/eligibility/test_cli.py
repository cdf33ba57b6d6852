"""`grants rules …` as a user runs it: test, eval, batch (with bad rows) and simulate. childcare_voucher
decides households: a members CSV (with the household's id in `group`), or households and members."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from app.cli import main

HEADER = "group,id,role,birth_date,monthly_income,activity,weekly_activity_hours,activity_start,has_disability,weekly_care_hours\n"
GOOD = (  # lines 2-4: 260.00
    "h1,p1,parent,1990-04-01,1200.00,employment,30,2025-06-01,,\n"
    "h1,c1,child,2024-05-10,,,,,false,35\n"
    "h1,o1,other_adult,1960-01-01,,,,,,\n"
)
BAD = (  # lines 5-6
    "h2,p2,parent,1990-04-01,12.345,employment,thirty,2025-06-01,,\nh2,c2,child,10/05/2024,,,,,maybe,35\n"
)
NEAR_LIMIT = (  # lines 7-8: 2250.00 is 97.8% of the limit for two
    "h3,p3,parent,1991-01-01,2250.00,training,20,2025-06-01,,\nh3,c3,child,2022-01-15,,,,,,20\n"
)


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
    assert result.output.strip().endswith("26 passed, 2 failed")


def test_rules_eval_prints_the_decision_as_json(tmp_path):
    case = {
        "members": [
            {"id": "p", "role": "parent", "birth_date": "1990-04-01", "monthly_income": "1200.00",
             "activity": "employment", "weekly_activity_hours": 30, "activity_start": "2025-06-01"},
            {"id": "c", "role": "child", "birth_date": "2024-05-10", "weekly_care_hours": 35},
            {"id": "o", "role": "other_adult", "birth_date": "1960-01-01"},
        ]
    }  # fmt: skip
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = invoke("rules", "eval", "childcare_voucher", "--input", str(path), "--date", "2026-03-02")
    body = json.loads(result.output)
    assert body["eligible"] is True and body["outputs"]["amount"] == "260.00"
    assert {c["id"] for c in body["explanation"]["conditions"]} >= {
        "income_under_limit",
        "in_training_or_work",
    }
    assert body["members"][1] == {
        "id": "c",
        "role": "child",
        "eligible": True,
        "failed": [],
        "outputs": {
            "amount": "260.00",
            "full_value": "260.00",
            "copayment": "0.00",
            "authorised_hours": 35.0,
        },
    }


def test_rules_eval_refuses_bad_input_with_the_field_named(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(
        json.dumps({"members": [{"role": "parent", "birth_date": "1990-01-01", "activity": "employed"}]})
    )
    result = CliRunner().invoke(main, ["rules", "eval", "childcare_voucher", "--input", str(path)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "input.members[0].activity" in output and "did you mean 'employment'" in output


def _batch(tmp_path, *extra: str):
    out = tmp_path / "decisions.csv"
    result = invoke("rules", "batch", "childcare_voucher", "--out", str(out), "--date", "2026-03-02", *extra)
    read = lambda path: list(csv.DictReader(path.open()))  # noqa: E731
    return (
        result,
        read(out),
        read(tmp_path / "decisions.members.csv"),
        read(tmp_path / "decisions.errors.csv"),
    )


def test_rules_batch_decides_households_from_one_members_file_with_lines(tmp_path, monkeypatch):
    import app.cli.rules as cli

    monkeypatch.setattr(cli, "CHUNK_ROWS", 2)  # households run across chunks: never split
    source = tmp_path / "members.csv"
    source.write_text(HEADER + GOOD + BAD + NEAR_LIMIT)
    result, decisions, members, errors = _batch(tmp_path, "--input", str(source))
    assert "2 households decided (2 eligible, 5 members), 3 rows rejected" in result.output
    assert [(d["line"], d["group"], d["amount"]) for d in decisions] == [
        ("2", "h1", "260.00"),
        ("7", "h3", "87.50"),
    ]
    assert [(m["line"], m["id"], m["amount"]) for m in members] == [
        ("2", "p1", "0.00"),
        ("3", "c1", "260.00"),
        ("4", "o1", "0.00"),
        ("7", "p3", "0.00"),
        ("8", "c3", "87.50"),
    ]
    assert {(e["file"], e["line"], e["field"]) for e in errors} == {
        ("members", "5", "monthly_income"),
        ("members", "5", "weekly_activity_hours"),
        ("members", "6", "birth_date"),
        ("members", "6", "has_disability"),
        ("households", "5", "members"),
    }


def test_rules_batch_decides_households_and_members_from_two_files(tmp_path, monkeypatch):
    import app.cli.rules as cli

    monkeypatch.setattr(cli, "CHUNK_ROWS", 2)
    households = tmp_path / "households.csv"
    households.write_text("group\nh1\nh3\nh4\n")
    members = tmp_path / "members.csv"
    stray = "h9,x,child,2020-01-01,,,,,,10\n"  # line 6: no such household
    members.write_text(HEADER + GOOD + stray + NEAR_LIMIT.replace("h3,", "h3,", 2))
    result, decisions, decided_members, errors = _batch(
        tmp_path, "--households", str(households), "--input", str(members)
    )
    assert [(d["line"], d["group"], d["amount"], d["failed"]) for d in decisions] == [
        ("2", "h1", "260.00", ""),
        ("3", "h3", "87.50", ""),
        ("4", "h4", "0.00", "in_training_or_work;no_beneficiary"),  # no members at all
    ]
    assert [m["id"] for m in decided_members] == ["p1", "c1", "o1", "p3", "c3"]
    assert [(e["file"], e["line"], e["field"]) for e in errors] == [("members", "5", "group")]
    assert "3 households decided" in result.output


def test_rules_batch_refuses_a_file_that_is_not_utf8_or_lacks_a_column(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        HEADER.encode() + "h1,p1,parent,1990-04-01,1200.00,employment,30,2025-06-01,, é\n".encode("latin-1")
    )
    result = CliRunner().invoke(
        main, ["rules", "batch", "childcare_voucher", "--input", str(latin), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "not UTF-8" in result.output
    short = tmp_path / "short.csv"
    short.write_text("role\nparent\n")
    result = CliRunner().invoke(
        main, ["rules", "batch", "childcare_voucher", "--input", str(short), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1 and "no column 'group'" in result.output
    flat = CliRunner().invoke(
        main,
        [
            "rules",
            "batch",
            "wage_subsidy",
            "--input",
            str(short),
            "--households",
            str(short),
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert flat.exit_code == 1 and "give only --input" in " ".join(flat.output.split())


def test_rules_simulate_shows_headcount_and_cost_before_and_after(tmp_path):
    source = tmp_path / "caseload.csv"
    third = NEAR_LIMIT.replace("h3", "h5").replace("2250.00", "2350.00")
    source.write_text(HEADER + GOOD + NEAR_LIMIT + third)
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
    assert (
        "Simulating childcare_voucher (rows read)" in result.output and "7/7" in result.output
    )  # member rows
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
