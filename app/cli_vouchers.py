"""`grants vouchers …`: the daily expiry run."""

from __future__ import annotations

import datetime as dt

import click

from app.cli_rules import _date


@click.group()
def vouchers() -> None:
    """Vouchers: expire the ones whose validity ended."""


@vouchers.command("expire")
@click.option(
    "--date",
    "date_text",
    default=None,
    help="Expire vouchers whose validity ended before this date (default today).",
)
def vouchers_expire(date_text: str | None) -> None:
    """Expire open vouchers whose validity ended and release their unclaimed value (run daily)."""
    from app.cli import _cli_actor, friendly_errors
    from app.core.db import run_sync
    from app.vouchers.service import expire_due

    @friendly_errors
    def run() -> None:
        when: dt.date = _date(date_text)
        count = run_sync(expire_due(_cli_actor(), when))
        click.echo(f"{count:,} voucher(s) expired; their unclaimed value is back in the available budget")

    run()
