"""`grants vouchers …`: the daily expiry run."""

from __future__ import annotations

import datetime as dt

import click

from app.cli.common import cli_actor, friendly_errors, parse_date, parse_month


@click.group()
def vouchers() -> None:
    """Vouchers: expire the ones whose claim deadline passed."""


@vouchers.command("expire")
@click.option(
    "--date",
    "date_text",
    default=None,
    help="Expire vouchers whose claim deadline (validity end + 60 days) passed before this date.",
)
def vouchers_expire(date_text: str | None) -> None:
    """Expire open vouchers whose validity ended more than the claim deadline ago, and release their
    unclaimed value, and that of revoked vouchers whose deadline passed (run daily)."""
    from app.core.db import run_sync
    from app.vouchers.service import expire_due

    @friendly_errors
    def run() -> None:
        when: dt.date = parse_date(date_text)
        count = run_sync(expire_due(cli_actor(), when))
        click.echo(
            f"{count:,} voucher(s) expired or closed; their unclaimed value is back in the available budget"
        )

    run()


ISSUE_COLUMNS = ("decision", "fund", "valid_from", "valid_until", "child", "provider")


def read_issue_file(path) -> list:
    """Rows of decision,fund,valid_from,valid_until[,child][,provider]; a bad row is an error naming
    its line and column, and nothing is issued."""
    import csv

    from app.core.errors import ValidationFailed
    from app.vouchers.service import IssueRequest

    requests = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in ISSUE_COLUMNS[:4] if c not in (reader.fieldnames or [])]
            if missing:
                raise ValidationFailed("invalid_header", f"the header lacks {', '.join(missing)}", "line 1")
            for line, row in enumerate(reader, start=2):
                requests.append(_issue_row(row, line, IssueRequest))
    except UnicodeDecodeError:
        raise ValidationFailed("invalid_encoding", f"{path} is not UTF-8 text", "--input") from None
    return requests


def _issue_row(row: dict, line: int, request_type):
    from app.core.errors import ValidationFailed

    values = {}
    for column in ("valid_from", "valid_until"):
        try:
            values[column] = dt.date.fromisoformat((row.get(column) or "").strip())
        except ValueError:
            raise ValidationFailed(
                "invalid_date",
                f"line {line}, column {column}: {row.get(column)!r} is not a date like 2026-03-02",
                f"line {line}.{column}",
            ) from None
    for column in ("decision", "fund"):
        if not (row.get(column) or "").strip():
            raise ValidationFailed(
                "missing_value", f"line {line}, column {column} is empty", f"line {line}.{column}"
            )
    return request_type(
        row["decision"].strip(),
        row["fund"].strip(),
        values["valid_from"],
        values["valid_until"],
        (row.get("child") or "").strip() or None,
        (row.get("provider") or "").strip() or None,
    )


@vouchers.command("issue-batch")
@click.option("--input", "input_file", required=True, type=click.Path(exists=True, dir_okay=False))
def vouchers_issue_batch(input_file: str) -> None:
    """Issue vouchers from a CSV of eligible decisions, all or none; prints each voucher id and code."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from app.core.db import run_sync
    from app.vouchers.service import issue_many

    @friendly_errors
    def run() -> None:
        requests = read_issue_file(input_file)
        stages = ["checking decisions", "preparing vouchers", "committing in the ledger", "writing vouchers"]
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed}/{task.total} steps"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task(f"Issuing {len(requests):,} vouchers", total=len(stages))

            def advance(stage: str) -> None:
                progress.update(
                    task, completed=stages.index(stage), description=f"{len(requests):,} vouchers: {stage}"
                )

            issued = run_sync(issue_many(cli_actor(), requests, batch=True, progress=advance))
            progress.update(task, completed=len(stages))
        click.echo("voucher,code,total")
        for voucher in issued:
            click.echo(f"{voucher['id']},{voucher['code']},{voucher['total']}")
        click.echo(
            f"{len(issued):,} vouchers issued in batch {issued[0]['batch'] if issued else '-'}", err=True
        )

    run()


@vouchers.command("stipends")
@click.option("--month", "month_text", required=True, help="The month to pay, YYYY-MM.")
def vouchers_stipends(month_text: str) -> None:
    """Pay a month of every open stipend (transport) voucher to its participant; safe to run again."""
    from app.core.db import run_sync
    from app.core.money import format_minor
    from app.vouchers.service import pay_stipends

    @friendly_errors
    def run() -> None:
        month = parse_month(month_text)
        paid = run_sync(pay_stipends(cli_actor(), month))
        total = format_minor(paid["amount_minor"], "EUR")
        click.echo(f"{paid['vouchers']:,} stipend(s) for {month:%Y-%m}: {total} payable to participants")

    run()
