"""`grants ledger …`: verify the chain, export to Beancount, close periods, print the trial balance."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from app.cli.common import AS_USER, actor_as, cli_actor, click, console, friendly_errors, parse_date, run


@click.group()
def ledger() -> None:
    """The ledger: verify its integrity, export it, close periods, show balances."""


@ledger.command("verify")
@click.option(
    "--expect-head", default=None, help="A head hash noted earlier: fail unless the chain still has it."
)
@click.option(
    "--against",
    "against",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="A file written by `grants ledger checkpoint`: fail unless the ledger and audit log still hold it.",
)
@friendly_errors
def ledger_verify(expect_head: str | None, against: str | None) -> None:
    """Every integrity check (as GET /api/v1/ledger/verify): the ledger's keyed chain and balances, the
    audit log's chain, and the money kept outside the ledger (vouchers, claims, agreements) recomputed
    from it; name the first entry that was edited, removed or slipped in."""
    from app.integrity.verify import verify_all

    with console.status("Verifying the ledger…"):
        result = run(verify_all())
        others = run(_against(against)) if against else []
    for problem in result.problems:
        console.print(f"[red]{problem.kind}[/red] at {problem.where}: {problem.message}")
    for line in others:
        console.print(f"[red]{line}[/red]")
    if expect_head and result.ok and not _chain_contains(expect_head):
        console.print(f"[red]the chain no longer contains the head {expect_head}[/red]")
        sys.exit(1)
    if not result.ok or others:
        sys.exit(1)
    for check in result.checks:
        console.print(f"  checked {check}")
    console.print(f"OK: {result.entries} entries, {result.postings} postings; head {result.head_hash}")


def _chain_contains(head_hash: str) -> bool:
    from app.core.db import raw

    return bool(run(raw("SELECT id FROM ledger_entry WHERE hash = {}", head_hash)))


async def _against(path: str) -> list[str]:
    """What a checkpoint file says the ledger and audit log must still hold."""
    from pathlib import Path

    from app.ledger import checkpoint

    return await checkpoint.compare(checkpoint.read(Path(path)))


@ledger.command("checkpoint")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="File to write the heads to; keep it where the database's administrators cannot change it.",
)
@friendly_errors
def ledger_checkpoint(out: str) -> None:
    """Seal the audit log, then publish the heads of the ledger and the audit log (also in the log)."""
    from pathlib import Path

    from app.ledger import checkpoint

    point = run(checkpoint.take(cli_actor()))
    checkpoint.write(point, Path(out))
    console.print(
        f"Checkpoint: {point.entries} entries, head {point.ledger_head}; {point.audit_events} audit events, "
        f"head {point.audit_head} → {out}"
    )


@ledger.command("seal-audit")
@friendly_errors
def ledger_seal_audit() -> None:
    """Chain the audit events recorded since the last seal (run it from cron, e.g. every minute)."""
    from app.core import audit_chain

    console.print(f"Sealed {run(audit_chain.seal())} audit events")


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


@ledger.command("cost-key")
@click.argument("programme")
@click.option("--from", "effective_from", required=True, help="YYYY-MM-DD: expenditure from this day on.")
@click.option("--pro-rata", "pro_rata", is_flag=True, help="Pro rata to each fund's contributions.")
@click.option("--shares", default=None, help="Fixed weights per fund, e.g. ESF=3,STATE=1.")
@click.option("--reason", default="", help="Why (e.g. the donors' agreement).")
@AS_USER
@friendly_errors
def ledger_cost_key(
    programme: str, effective_from: str, pro_rata: bool, shares: str | None, reason: str, email: str
) -> None:
    """Set a pooled programme's cost-sharing key from a date on (a new dated row; nothing is changed)."""
    from app.core.errors import ValidationFailed
    from app.ledger import pooled

    if pro_rata == (shares is not None):
        raise ValidationFailed("key_required", "give either --pro-rata or --shares", "--shares")
    weights: dict[str, int] = {}
    for part in (shares or "").split(","):
        if not part.strip():
            continue
        fund, _, weight = part.partition("=")
        if not weight.strip().isdigit():
            raise ValidationFailed("invalid_share", f"{part.strip()!r} is not FUND=WHOLE_NUMBER", "--shares")
        weights[fund.strip()] = int(weight)
    day = parse_date(effective_from, "--from")
    key = run(
        pooled.set_key(actor_as(email), programme, day, "shares" if shares else "pro_rata", weights, reason)
    )
    what = ", ".join(f"{f} {w}" for f, w in sorted(key.shares.items())) or "pro rata to contributions"
    console.print(f"{key.programme} from {key.effective_from}: {what}")


@ledger.command("allocate-pooled")
@click.option("--through", default=None, help="YYYY-MM-DD; default today.")
@AS_USER
@friendly_errors
def ledger_allocate_pooled(through: str | None, email: str) -> None:
    """Post (or correct, by reversal) the pooled programmes' allocations to donors up to a date."""
    from app.ledger import pooled

    result = run(pooled.allocate(actor_as(email), parse_date(through, "--through")))
    console.print(
        f"{result['periods']} period(s); {result['posted']} entr(ies) posted, {result['reversed']} reversed"
    )
