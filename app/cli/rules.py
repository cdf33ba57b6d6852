"""`grants rules …`: run the rule files' tests, decide one case, decide a caseload file, and the budget
holder's what-if. None of these needs the database: they read rule files and write files or stdout."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.common import friendly_errors, parse_date
from app.core.errors import ValidationFailed
from app.core.settings import get_settings

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

console = Console(stderr=True)
CHUNK_ROWS = 50_000  # small enough that the progress bar moves every second or so, big enough to vectorise


@click.group()
def rules() -> None:
    """Eligibility rule files: test, evaluate, decide a caseload, simulate a change."""


# --- test --------------------------------------------------------------------------------------


@rules.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def rules_test(path: Path | None) -> None:
    """Run the test cases of every rule file in PATH (a file or folder; default: the rules folder)."""
    from app.eligibility.loader import RuleFileError, load_rule_file
    from app.eligibility.testing import run_tests

    target = path or get_settings().rules_dir
    files = [target] if target.is_file() else sorted(target.glob("*.yaml"))
    passed = failed = 0
    for file in files:
        try:
            rule = load_rule_file(file)
        except RuleFileError as exc:
            failed += 1
            click.echo(f"{file}: cannot load ({len(exc.errors)} problem(s))")
            for error in exc.errors:
                click.echo(f"  {error}")
            continue
        results = run_tests(rule)
        ok = sum(r.passed for r in results)
        passed, failed = passed + ok, failed + len(results) - ok
        click.echo(f"{file}: {ok}/{len(results)} passed")
        for result in results:
            if not result.passed:
                click.echo(f"  FAILED {file}:{result.line} {result.name}")
                for problem in result.problems:
                    click.echo(f"    {problem}")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not files else 0)


# --- eval --------------------------------------------------------------------------------------


@rules.command("eval")
@click.argument("programme")
@click.option(
    "--input", "input_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--date", "date_text", default=None, help="Decide for this date (YYYY-MM-DD); default today.")
@friendly_errors
def rules_eval(programme: str, input_file: Path, date_text: str | None) -> None:
    """Decide one case (a JSON object of inputs) and print the decision and its explanation as JSON."""
    from app.eligibility.service import decide

    try:
        case = json.loads(input_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "invalid_json", f"{input_file} is not a JSON object: {exc}", "--input"
        ) from None
    _, decision = decide(programme, case, parse_date(date_text))
    click.echo(json.dumps({**decision.to_dict(), "inputs": decision.inputs}, indent=2, ensure_ascii=False))


# --- batch -------------------------------------------------------------------------------------


def read_chunks(path: Path, param: str = "--input") -> Iterator[pd.DataFrame]:
    """The caseload in chunks of text columns; bad encoding and malformed CSV are errors with a line."""
    import pandas as pd

    try:
        reader = pd.read_csv(
            path, dtype=str, chunksize=CHUNK_ROWS, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
        yield from reader
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "invalid_encoding", f"{path} is not UTF-8 text (byte {exc.start})", param
        ) from None
    except pd.errors.ParserError as exc:
        raise ValidationFailed("invalid_csv", f"{path}: {exc}", param) from None
    except pd.errors.EmptyDataError:
        raise ValidationFailed("empty_file", f"{path} is empty: it needs a header row", param) from None


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


@rules.command("batch")
@click.argument("programme")
@click.option(
    "--input",
    "input_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The caseload; for a rule about households, the members (with a group column).",
)
@click.option(
    "--households",
    "households_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="For a rule about households: the households (group and the household's inputs); without it, "
    "the household's inputs are on each member's row of --input.",
)
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--errors",
    "errors_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where rejected rows go; default: OUT with .errors.csv.",
)
@click.option("--date", "date_text", default=None, help="Decide for this date (YYYY-MM-DD); default today.")
@friendly_errors
def rules_batch(
    programme: str,
    input_file: Path,
    households_file: Path | None,
    out_file: Path,
    errors_file: Path | None,
    date_text: str | None,
) -> None:
    """Decide a caseload CSV: one decision per good row in OUT, each bad row with its reason in ERRORS.
    For a rule about households: one decision per household in OUT, each member's in OUT.members.csv."""
    from app.eligibility.catalogue import catalogue

    compiled = catalogue().current(programme)
    as_of = parse_date(date_text)
    errors_file = errors_file or out_file.with_suffix(".errors.csv")
    if compiled.rule.members is not None:
        _batch_households(compiled, input_file, households_file, out_file, errors_file, as_of)
        return
    if households_file is not None:
        raise ValidationFailed(
            "not_a_household_rule", f"{programme} decides one case per row: give only --input", "--households"
        )
    total = _count_rows(input_file)
    decided = rejected = eligible = offset = 0
    with (
        _progress() as progress,
        out_file.open("w", newline="", encoding="utf-8") as out,
        errors_file.open("w", newline="", encoding="utf-8") as bad,
    ):
        task = progress.add_task(f"Deciding {programme}", total=total)
        for chunk in read_chunks(input_file):
            result = compiled.caseload.decide(chunk, as_of, as_text=True)
            decisions = result.decisions.assign(line=result.decisions["row"] + offset + 2).drop(columns="row")
            decisions = decisions[["line", *[c for c in decisions.columns if c != "line"]]]
            decisions.to_csv(out, index=False, header=offset == 0)
            errors = result.errors.assign(line=result.errors["row"] + offset + 2)[["line", "field", "reason"]]
            errors.to_csv(bad, index=False, header=offset == 0)
            decided += len(decisions)
            rejected += errors["line"].nunique()
            eligible += int(result.columns["eligible"].sum())
            offset += len(chunk)
            progress.update(task, completed=offset)
    click.echo(
        f"{decided:,} decided ({eligible:,} eligible), {rejected:,} rejected; "
        f"decisions in {out_file}, rejected rows in {errors_file}"
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=console,
    )


def _batch_households(
    compiled, members_file: Path, households_file: Path | None, out_file: Path, errors_file: Path, as_of
) -> None:
    """Households in batches of whole households: decisions, members' decisions, rejected rows."""
    from app.eligibility import household_files as files

    members_out = out_file.with_suffix(".members.csv")
    if households_file is None:
        batches = files.from_members_file(read_chunks(members_file))
        progress_file = members_file
    else:
        batches = files.from_two_files(
            read_chunks(households_file, "--households"), read_chunks(members_file)
        )
        progress_file = households_file
    counts = {"households": 0, "eligible": 0, "rejected": 0, "members": 0}
    first = True
    with (
        _progress() as progress,
        out_file.open("w", newline="", encoding="utf-8") as out,
        members_out.open("w", newline="", encoding="utf-8") as members,
        errors_file.open("w", newline="", encoding="utf-8") as bad,
    ):
        unit = "members" if households_file is None else "households"
        task = progress.add_task(
            f"Deciding {compiled.rule.id} ({unit} read)", total=_count_rows(progress_file)
        )
        done = 0
        for batch in batches:
            written = _decide_batch(compiled, batch, as_of, first, out, members, bad, counts)
            first = False
            done += written if households_file is None else len(batch.households)  # type: ignore[arg-type]
            progress.update(task, completed=done)
    click.echo(
        f"{counts['households']:,} households decided ({counts['eligible']:,} eligible, "
        f"{counts['members']:,} members), {counts['rejected']:,} rows rejected; decisions in {out_file}, "
        f"members' decisions in {members_out}, rejected rows in {errors_file}"
    )


def _decide_batch(compiled, batch, as_of, first: bool, out, members_out, bad, counts: dict) -> int:
    import pandas as pd

    from app.eligibility.family_vector import GROUP
    from app.eligibility.household_files import LINE

    member_lines = batch.members[LINE].to_numpy()
    members = batch.members.drop(columns=[LINE])
    if batch.households is None:
        households, members_only, problems = _split(compiled.rule, members)
        household_lines = member_lines[_first_rows(members)]
        result = compiled.caseload.decide(
            households, members_only, as_of, as_text=True, member_problems=problems
        )
    else:
        household_lines = batch.households[LINE].to_numpy()
        households = batch.households.drop(columns=[LINE])
        result = compiled.caseload.decide(households, members, as_of, as_text=True)
    decisions = result.decisions.assign(line=household_lines[result.decisions["row"].to_numpy()])
    decisions = decisions.drop(columns="row")[
        ["line", *[c for c in decisions.columns if c not in ("line", "row")]]
    ]
    decisions.to_csv(out, index=False, header=first)
    decided = result.members.assign(line=member_lines[result.members["row"].to_numpy()]).drop(columns="row")
    decided[["line", *[c for c in decided.columns if c != "line"]]].to_csv(
        members_out, index=False, header=first
    )
    lines = {"households": household_lines, "members": member_lines}
    errors = pd.DataFrame(
        {
            "file": result.errors["source"],
            "line": [lines[s][r] for s, r in zip(result.errors["source"], result.errors["row"], strict=True)],
            "field": result.errors["field"],
            "reason": result.errors["reason"],
        }
    )
    stray = batch.out_of_order
    if len(stray):
        errors = pd.concat(
            [
                errors,
                pd.DataFrame(
                    {
                        "file": "members",
                        "line": stray[LINE].to_numpy(),
                        "field": GROUP,
                        "reason": "not next to the other members of its household, or no such household "
                        "(list members household by household, in the households' order)",
                    }
                ),
            ],
            ignore_index=True,
        )
    errors["line"] = errors["line"].astype("int64")
    errors.sort_values(["file", "line"], kind="stable").to_csv(bad, index=False, header=first)
    counts["households"] += len(decisions)
    counts["eligible"] += result.eligible_count
    counts["members"] += len(decided)
    counts["rejected"] += len(errors[["file", "line"]].drop_duplicates())
    return len(batch.members) + len(stray)


def _split(rule, members):
    from app.eligibility.family_vector import split_members

    return split_members(rule, members)


def _first_rows(members) -> np.ndarray:
    from app.eligibility.family_vector import GROUP

    return (~members[GROUP].duplicated(keep="first")).to_numpy().nonzero()[0]


# --- simulate ----------------------------------------------------------------------------------


@rules.command("simulate")
@click.argument("programme")
@click.option(
    "--input", "input_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    required=True,
    help="NAME=VALUE, NAME[key]=VALUE, or NAME*=FACTOR (e.g. income_limit*=1.10). Repeatable.",
)
@click.option("--date", "date_text", default=None, help="Decide for this date (YYYY-MM-DD); default today.")
@friendly_errors
def rules_simulate(
    programme: str, input_file: Path, settings: tuple[str, ...], date_text: str | None
) -> None:
    """What if: headcount eligible and total cost with the parameters in force, and with the changes."""
    from app.eligibility.catalogue import catalogue
    from app.eligibility.dates import day_number
    from app.eligibility.parameters import apply_overrides, resolve
    from app.eligibility.service import total_amount_text

    compiled = catalogue().current(programme)
    rule = compiled.rule
    as_of = parse_date(date_text)
    baseline = resolve(rule, day_number(as_of))
    scenario = apply_overrides(rule, baseline, list(settings))
    if not any(o.name == "amount" for o in rule.outputs):
        raise ValidationFailed("no_amount", f"{programme} has no amount output to total", "programme")
    totals = {"before": [0, 0], "after": [0, 0]}
    rejected = 0
    with _progress() as progress:
        task = progress.add_task(f"Simulating {programme} (rows read)", total=_count_rows(input_file))
        for chunk in _caseload_chunks(compiled, input_file):
            for label, resolved in (("before", baseline), ("after", scenario)):
                if compiled.rule.members is None:
                    result = compiled.caseload.decide(chunk, as_of, resolved)
                else:
                    result = compiled.caseload.decide_members(chunk, as_of, resolved)
                totals[label][0] += int(result.columns["eligible"].sum())
                totals[label][1] += int(result.columns["amount"].sum())
            rejected += len(
                result.errors.drop_duplicates(["row"] + (["source"] if "source" in result.errors else []))
            )
            progress.update(task, advance=len(chunk))
    frequency = _frequency(compiled, as_of)
    table = Table(title=f"{programme} on {as_of.isoformat()}: " + ", ".join(settings))
    for heading in ("", "before", "after", "change"):
        table.add_column(heading, justify="right")
    (eb, cb), (ea, ca) = totals["before"], totals["after"]
    table.add_row("eligible", f"{eb:,}", f"{ea:,}", f"{ea - eb:+,}")
    table.add_row(
        f"total {frequency} cost ({rule.currency})",
        total_amount_text(rule, cb),
        total_amount_text(rule, ca),
        ("+" if ca >= cb else "") + total_amount_text(rule, ca - cb),
    )
    Console().print(table)
    if rejected:
        console.print(f"{rejected:,} rows rejected for bad input (see `grants rules batch` for reasons)")
    summary = {
        "eligible_before": eb,
        "eligible_after": ea,
        "eligible_change": ea - eb,
        "cost_before": total_amount_text(rule, cb),
        "cost_after": total_amount_text(rule, ca),
        "cost_change": total_amount_text(rule, ca - cb),
        "frequency": frequency,
    }
    click.echo(json.dumps(summary))


def _caseload_chunks(compiled, input_file: Path) -> Iterator[pd.DataFrame]:
    """Chunks of the caseload; for a rule about households, whole households (one members file)."""
    if compiled.rule.members is None:
        yield from read_chunks(input_file)
        return
    from app.eligibility.household_files import LINE, from_members_file

    for batch in from_members_file(read_chunks(input_file)):
        yield batch.members.drop(columns=[LINE])


def _frequency(compiled, as_of: dt.date) -> str:
    for output in compiled.rule.outputs:
        if output.name == "frequency" and output.type.values and len(output.type.values) == 1:
            return output.type.values[0]
    return "per case"
