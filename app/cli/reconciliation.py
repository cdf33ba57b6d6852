"""`grants reconcile …`: import bank statements, run reconciliation (also nightly from cron), list and work
the exception queue. Each step is done as a named user (`--as EMAIL`, or GRANTS_CLI_USER): resolutions
that move money need a second person."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli.common import AS_USER, actor_as, fail, friendly_errors, parse_date, run
from app.core.errors import ValidationFailed


@click.group()
def reconcile() -> None:
    """Reconciliation: bank statements against payments, named checks over the books, exceptions."""


@reconcile.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_USER
@friendly_errors
def reconcile_import(file: Path, email: str) -> None:
    """Import a camt.053 statement or camt.054 notification and match its bookings."""
    from app.reconciliation import service

    result = run(service.import_statement(actor_as(email), file.read_bytes()))
    if result["already_imported"]:
        click.echo(f"already imported as {result['statement']}: nothing changed")
        return
    click.echo(
        f"{result['statement']}  {result['kind']}  {result['account']}  {result['entries']:,} entries, "
        f"{result['new_bookings']:,} new; matched {result['matched_bookings']:,}, "
        f"in the queue {result['exception_bookings']:,}; exceptions opened {result['exceptions_opened']:,}"
    )


def _import_stripe(email: str) -> None:
    from app.reconciliation import stripe_side

    result = run(stripe_side.import_transfers(actor_as(email)))
    click.echo(
        f"{result['transfers']:,} transfer(s) in {result['runs']:,} run(s), {result['payouts']:,} final "
        f"payout(s); {result['new_bookings']:,} new; matched {result.get('matched_bookings', 0):,} "
        f"({result.get('matched_payouts', 0):,} payout(s) as groups), "
        f"exceptions opened {result.get('exceptions_opened', 0):,}"
    )


@reconcile.command("import-stripe")
@AS_USER
@friendly_errors
def reconcile_import_stripe(email: str) -> None:
    """List through Stripe's API every run's transfers and the payouts of the connected accounts they went
    to; match what is new (a payout as a group of its transfers; a reversal or failed payout is a return)."""
    _import_stripe(email)


@reconcile.command("stripe", hidden=True)
@AS_USER
@friendly_errors
def reconcile_stripe(email: str) -> None:
    """The same as import-stripe (its first name)."""
    _import_stripe(email)


@reconcile.command("run")
@click.option("--date", "as_of", default=None, help="Compute every check as at this date (default today).")
@AS_USER
@friendly_errors
def reconcile_run(as_of: str | None, email: str) -> None:
    """Match what is pending and run every check; exit status 1 when a check fails."""
    from app.reconciliation import service

    result = run(service.run(actor_as(email), parse_date(as_of)))
    for check in result["checks"]:
        mark = "ok  " if check["ok"] else "FAIL"
        drift = (
            ""
            if check["ok"]
            else f"  drift {check['drift']} (ledger {check['ledger']}, records {check['records']})"
        )
        click.echo(f"{mark} {check['name']:<13} {check['currency']}{drift}")
    rate = result["match_rate"]
    click.echo(
        f"bookings matched {rate['matched']:,} of {rate['bookings']:,}; exceptions opened "
        f"{result['exceptions_opened']}, refreshed {result['exceptions_refreshed']}, "
        f"cleared {result['exceptions_cleared']}"
    )
    if not result["ok"]:
        fail(f"{sum(not c['ok'] for c in result['checks'])} check(s) failed (run {result['id']})")


@reconcile.command("exceptions")
@click.option("--state", default="unresolved", show_default=True)
@click.option("--kind", default=None)
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per exception.")
@AS_USER
@friendly_errors
def reconcile_exceptions(state: str, kind: str | None, limit: int, as_json: bool, email: str) -> None:
    """The exception queue, newest first."""
    from app.reconciliation import queries

    page = run(queries.list_exceptions(actor_as(email), state=state, kind=kind, limit=limit))
    for e in page["data"]:
        if as_json:
            click.echo(json.dumps(e, default=str))
        else:
            click.echo(
                f"{e['id']}  {e['state']:<18} {e['severity']:<6} {e['kind']:<21} {e['amount']:>12}  "
                f"{e['summary']}"
            )


def _params(pairs: tuple[str, ...]) -> dict:
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValidationFailed("invalid_param", f"{pair!r} is not key=value", "--param")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


@reconcile.command("resolve")
@click.argument("exception_id")
@click.option(
    "--resolution",
    required=True,
    type=click.Choice(["matched_by_hand", "fixed_by_booking", "accepted", "written_off", "reissued"]),
)
@click.option("--reason", required=True)
@click.option("--param", "params", multiple=True, help="key=value, e.g. instruction=pin_… or cash_minor=-1")
@AS_USER
@friendly_errors
def reconcile_resolve(
    exception_id: str, resolution: str, reason: str, params: tuple[str, ...], email: str
) -> None:
    """Resolve an exception; one that moves money waits for a second person (`approve`)."""
    from app.reconciliation import resolutions

    view = run(resolutions.resolve(actor_as(email), exception_id, resolution, reason, _params(params)))
    click.echo(f"{view['id']}  {view['state']}" + (f"  awaiting approval: {view['proposal']['effect']}"
                                                   if view["proposal"] else ""))  # fmt: skip


@reconcile.command("approve")
@click.argument("exception_id")
@AS_USER
@friendly_errors
def reconcile_approve(exception_id: str, email: str) -> None:
    """Approve a resolution that moves money (not its proposer)."""
    from app.reconciliation import resolutions

    view = run(resolutions.approve(actor_as(email), exception_id))
    click.echo(f"{view['id']}  {view['state']}  {view['resolution']}  {view['ledger_entry'] or ''}")


@reconcile.command("export-exceptions")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@AS_USER
@friendly_errors
def reconcile_export(out: Path, email: str) -> None:
    """Write every unresolved exception to a workbook, to fill in resolution, reason and params."""
    from app.reconciliation import workbook

    data = run(workbook.export_open(actor_as(email)))
    partial = out.with_suffix(out.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(out)
    click.echo(str(out))


@reconcile.command("import-decisions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what each row would do; change nothing.")
@AS_USER
@friendly_errors
def reconcile_import_decisions(file: Path, dry_run: bool, email: str) -> None:
    """Apply the decisions filled in a workbook, all or nothing."""
    from app.reconciliation import workbook

    result = run(workbook.import_decisions(actor_as(email), file.read_bytes(), dry_run))
    for change in result["changes"]:
        second = "  (then a second person approves)" if change["needs_second_person"] else ""
        click.echo(
            f"row {change['row']}: {change['exception']} {change['resolution']}: {change['effect']}{second}"
        )
    click.echo(f"{'would apply' if dry_run else 'applied'} {result['decisions']} decision(s)")
