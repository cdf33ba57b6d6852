"""`grants payments …`: payment runs from the command line — prepare, approve, release, export the bank
files, import the bank's status report, list. Each step is done as a named user (`--as EMAIL`, or
GRANTS_CLI_USER), because four eyes need people: the preparer, the approvers and the releaser differ."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import AS_USER, actor_as, console, friendly_errors, parse_date, run


def _progress(message: str) -> None:
    console.print(f"[dim]… {message}[/dim]")


def _summary(view: dict) -> None:
    click.echo(
        f"{view['id']}  {view['status']}  {view['instructions']:,} instruction(s)  total {view['total']} "
        f"{view['currency']}  pay date {view['pay_date']}"
    )
    for state, count in sorted(view.get("states", {}).items()):
        click.echo(f"  {state}: {count:,}")
    for left in view.get("left_out_payees", []):
        click.echo(f"  left out {left['payee']}: {left['reason']} [{left['reason_code']}]")
    if (
        view.get("approvers_required", 1) > len(view.get("approved_by", []))
        and view["status"] == "pending_approval"
    ):
        click.echo(f"  approvals: {len(view['approved_by'])} of {view['approvers_required']}")


@click.group()
def payments() -> None:
    """Payment runs: approved claims and stipends paid exactly once, by Stripe Connect or SEPA file."""


@payments.command("run")
@click.option("--programme", default=None, help="A programme code (default: every programme).")
@click.option("--pay-date", "pay_date", required=True, help="The requested execution date, YYYY-MM-DD.")
@click.option("--currency", default=None, help="Only payables in this currency (default the programme's).")
@AS_USER
@friendly_errors
def payments_run(programme: str | None, pay_date: str, currency: str | None, email: str) -> None:
    """Prepare a run: one instruction per payee, pending approval; left-out payees are listed."""
    from app.disbursements import runs

    when = parse_date(pay_date, "--pay-date")
    _summary(run(runs.create_run(actor_as(email), programme, when, currency, _progress)))


@payments.command("approve")
@click.argument("run_id")
@AS_USER
@friendly_errors
def payments_approve(run_id: str, email: str) -> None:
    """Approve a run (not its preparer; two approvers above the value band)."""
    from app.disbursements import runs

    _summary(run(runs.approve_run(actor_as(email), run_id)))


@payments.command("release")
@click.argument("run_id")
@AS_USER
@friendly_errors
def payments_release(run_id: str, email: str) -> None:
    """Release a run to its rails (neither its preparer nor an approver). Safe to run again."""
    from app.disbursements import release

    view = run(release.release_run(actor_as(email), run_id, _progress))
    _summary(view)
    click.echo(f"sent now: {view['sent_now']:,}")
    if view["unconfirmed"]:
        click.echo(
            f"{view['unconfirmed']:,} Stripe transfer(s) not confirmed yet: release again to retry them"
        )


@payments.command("export")
@click.argument("run_id")
@click.option("--format", "kind", type=click.Choice(["sepa"]), default="sepa", show_default=True)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@friendly_errors
def payments_export(run_id: str, kind: str, out_dir: Path) -> None:
    """Write the run's pain.001.001.09 files (the same bytes every time)."""
    from app.disbursements import sepa

    for path in run(sepa.export_run(run_id, out_dir)):
        click.echo(str(path))


@payments.command("import-status")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_USER
@friendly_errors
def payments_import_status(file: Path, email: str) -> None:
    """Import the bank's pain.002 status report."""
    from app.disbursements import status_import

    result = run(status_import.import_status(actor_as(email), file.read_bytes()))
    if result["already_imported"]:
        click.echo(f"already imported as {result['report']}: nothing changed")
        return
    click.echo(
        f"{result['report']}: {result['settled']} settled, {result['accepted']} accepted, "
        f"{result['rejected']} rejected (message {result['original_message_id']})"
    )
    for item in result["rejected_instructions"]:
        click.echo(f"  rejected {item['instruction']} [{item['reason_code']}]")


@payments.command("list")
@click.option("--status", default=None)
@friendly_errors
def payments_list(status: str | None) -> None:
    """Payment runs, newest first."""
    from app.core.actor import Actor
    from app.disbursements import runs

    views, _ = run(runs.list_runs(Actor.system("cli"), status, 100))
    for view in views:
        _summary(view)


@payments.command("show")
@click.argument("run_id")
@friendly_errors
def payments_show(run_id: str) -> None:
    """One run: its states, left-out payees and files."""
    from app.core.actor import Actor
    from app.disbursements import runs

    view = run(runs.get_run(Actor.system("cli"), run_id))
    _summary(view)
    for file in view["files"]:
        count = f"{file['transactions']:,} transactions"
        click.echo(f"  file {file['seq']}: {file['message_id']} ({count}, {file['total']})")
