"""`grants ledger …`: verify the chain, export to Beancount, close periods, print the trial balance."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from app.cli.common import cli_actor, click, console, friendly_errors, parse_date, run


@click.group()
def ledger() -> None:
    """The ledger: verify its integrity, export it, close periods, show balances."""


@ledger.command("verify")
@click.option(
    "--expect-head", default=None, help="A head hash noted earlier: fail unless the chain still has it."
)
@friendly_errors
def ledger_verify(expect_head: str | None) -> None:
    """Check the hash chain and balances; name the first entry that was edited, removed or slipped in."""
    from app.ledger.verify import verify

    with console.status("Verifying the ledger…"):
        result = run(verify())
    for problem in result.problems:
        console.print(f"[red]{problem.kind}[/red] at {problem.where}: {problem.message}")
    if expect_head and result.ok and not _chain_contains(expect_head):
        console.print(f"[red]the chain no longer contains the head {expect_head}[/red]")
        sys.exit(1)
    if not result.ok:
        sys.exit(1)
    console.print(f"OK: {result.entries} entries, {result.postings} postings; head {result.head_hash}")


def _chain_contains(head_hash: str) -> bool:
    from app.core.db import raw

    return bool(run(raw("SELECT id FROM ledger_entry WHERE hash = {}", head_hash)))


@ledger.command("export-beancount")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write."
)
@friendly_errors
def ledger_export_beancount(out: str) -> None:
    """Write the ledger as a Beancount file (check it with `bean-check FILE`)."""
    from pathlib import Path

    from app.ledger.beancount_export import export_to

    with console.status("Exporting…"):
        lines = run(export_to(Path(out)))
    console.print(f"Wrote {lines} lines to {out}")


@ledger.command("close-period")
@click.argument("month")
@friendly_errors
def ledger_close_period(month: str) -> None:
    """Close a month (YYYY-MM): no more postings dated in it."""
    from app.ledger.periods import close_month, parse_month

    view = run(close_month(cli_actor(), parse_month(month)))
    console.print(f"Closed {view.month}")


@ledger.command("trial-balance")
@click.option("--as-of", default=None, help="YYYY-MM-DD; default now.")
@friendly_errors
def ledger_trial_balance(as_of: str | None) -> None:
    """Print the trial balance by account code."""
    from app.core.money import format_minor
    from app.ledger.queries import trial_balance

    day = parse_date(as_of, "--as-of") if as_of else None
    tb = run(trial_balance(day))
    table = Table(title=f"Trial balance{' at ' + str(day) if day else ''}")
    for column in ("code", "account", "currency", "debit", "credit"):
        table.add_column(column, justify="right" if column in ("debit", "credit") else "left")
    for line in tb.lines:
        table.add_row(
            line.code,
            line.name,
            line.currency,
            format_minor(line.debit, line.currency),
            format_minor(line.credit, line.currency),
        )
    for currency, totals in sorted(tb.totals.items()):
        table.add_row(
            "",
            "[bold]total[/bold]",
            currency,
            format_minor(totals["debit"], currency),
            format_minor(totals["credit"], currency),
        )
    Console().print(table)
    if not tb.balanced:
        console.print("[red]the trial balance does not balance[/red]")
        sys.exit(1)
