"""The `grants` command: set up a database, seed demo data, serve, and manage users and tokens."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.actor import Actor
from app.core.crypto import SecretKeyMissing, generate_secret_key, get_vault, write_key_file
from app.core.db import run_sync as run
from app.core.errors import GrantsError
from app.core.roles import Role
from app.core.settings import get_settings

console = Console(stderr=True)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into a one-line message and exit status 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GrantsError as exc:
            where = f" ({exc.param})" if exc.param else ""
            console.print(f"[red]error:[/red] {exc.message}{where} [{exc.code}]")
            for detail in exc.details:
                console.print(f"  - {detail.param or ''}: {detail.message}")
            sys.exit(1)
        except (SecretKeyMissing, ConnectionError, OSError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            sys.exit(1)

    return wrapper


def _cli_actor() -> Actor:
    return Actor.system(f"cli:{getpass.getuser()}")


@click.group()
def main() -> None:
    """Grant, voucher and subsidy administration."""


# --- set-up -----------------------------------------------------------------------------------


async def _init() -> None:
    from app.bootstrap import init_database

    settings = get_settings()
    if write_key_file(settings):
        console.print(
            f"Generated an encryption key for personal data in [bold]{settings.secret_key_file}[/bold]. "
            "Keep it safe and back it up: without it, personal data cannot be read. "
            "In production set GRANTS_SECRET_KEY instead."
        )
    get_vault()  # fail now, not at the first registration, if the key is unusable
    await init_database()


@main.command()
@friendly_errors
def init() -> None:
    """Create or upgrade the database (migrations) and make sure an encryption key exists."""
    run(_init())
    console.print(f"Database ready: {_database_label()}")


def _database_label() -> str:
    url = get_settings().database_url
    return url.split("@")[-1] if "@" in url else url


@main.command()
@click.option("--seed-only", is_flag=True, help="Stop after seeding; do not serve.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@friendly_errors
def demo(seed_only: bool, host: str, port: int) -> None:
    """Set up the database, load demo data (once) and serve the app."""
    from app.demo import DEMO_PASSWORD, demo_exists

    run(_init())
    if run(demo_exists()):
        console.print("Demo data already loaded.")
        logins = _demo_logins()
    else:
        logins = _seed_with_progress()
    _print_logins(logins, DEMO_PASSWORD)
    if not seed_only:
        _serve(host, port, workers=1)


def _seed_with_progress() -> list:
    from app.demo import seed_demo

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Seeding demo data", total=30 + 15)

        def step(label: str, n: int) -> None:
            progress.update(task, advance=n, description=f"Seeding {label}")

        return run(seed_demo(step))


def _demo_logins() -> list:
    from app.demo import DEMO_DOMAIN, DemoLogin

    return [DemoLogin(r.value, f"{r.value.replace('_', '.')}@{DEMO_DOMAIN}", None) for r in Role]


def _print_logins(logins: list, password: str) -> None:
    table = Table(title=f"Demo users (password for all: {password})")
    table.add_column("role")
    table.add_column("e-mail")
    for login in logins:
        table.add_row(login.role, login.email)
    console.print(table)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@friendly_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and API."""
    get_vault()
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    console.print(f"Serving on [bold]http://{host}:{port}/[/bold]  (API docs: http://{host}:{port}/schema)")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers)


@main.group()
def keys() -> None:
    """Encryption keys for personal data."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key, for GRANTS_SECRET_KEY."""
    click.echo(generate_secret_key())


# --- users and tokens -------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A role; repeat for several.",
)
@click.option("--organisation", default=None, help="Provider or employer id (prv_…, emp_…).")
@click.option("--password", default=None, help="Initial password; asked for when omitted.")
@click.option("--no-password", is_flag=True, help="A machine user that signs in with tokens only.")
@friendly_errors
def users_create(
    email: str,
    display_name: str,
    roles: tuple[str, ...],
    organisation: str | None,
    password: str | None,
    no_password: bool,
) -> None:
    """Create a user."""
    from app.core.users import create_user

    if password is None and not no_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    view = run(
        create_user(
            _cli_actor(),
            email=email,
            display_name=display_name,
            roles=frozenset(Role(r) for r in roles),
            organisation=organisation,
            password=password,
        )
    )
    click.echo(f"Created {view.id} {view.email} ({', '.join(view.roles)})")


@users.command("list")
@friendly_errors
def users_list() -> None:
    """List users, newest first."""
    from app.core.users import list_users

    table = Table()
    for column in ("id", "e-mail", "name", "roles", "organisation", "active"):
        table.add_column(column)
    cursor = None
    while True:
        page = run(list_users(100, cursor))
        for u in page.rows:
            table.add_row(
                u.id,
                u.email,
                u.display_name,
                ", ".join(u.roles),
                u.organisation or "",
                str(u.active),
            )
        if not page.has_more:
            break
        cursor = page.rows[-1].id
    Console().print(table)


@main.group()
def tokens() -> None:
    """API tokens for machines."""


@tokens.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--expires-in-days", type=int, default=None)
@friendly_errors
def tokens_create(email: str, name: str, expires_in_days: int | None) -> None:
    """Create an API token for the user with this e-mail; prints the secret once."""
    from app.core.credentials import create_token
    from app.core.errors import NotFound
    from app.core.tables import User

    row = run(User.select(User.public_id).where(User.email == email.strip().lower()).first())
    if row is None:
        raise NotFound("user", "email")
    token, secret = run(create_token(_cli_actor(), row["public_id"], name, expires_in_days))
    console.print(f"Token {token.id} for {email}. The secret is shown once:")
    click.echo(secret)


# --- ledger ---------------------------------------------------------------------------------


@main.group()
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

    view = run(close_month(_cli_actor(), parse_month(month)))
    console.print(f"Closed {view.month}")


@ledger.command("trial-balance")
@click.option("--as-of", default=None, help="YYYY-MM-DD; default now.")
@friendly_errors
def ledger_trial_balance(as_of: str | None) -> None:
    """Print the trial balance by account code."""
    from app.core.money import format_minor
    from app.ledger.queries import trial_balance

    day = _parse_day(as_of) if as_of else None
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


def _parse_day(text: str) -> dt.date:
    from app.core.errors import ValidationFailed

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("invalid_date", "dates are written YYYY-MM-DD", "as_of") from None


if __name__ == "__main__":
    main()


def _register_subcommands() -> None:
    from app.cli_rules import rules
    from app.cli_vouchers import vouchers

    main.add_command(rules)
    main.add_command(vouchers)


_register_subcommands()
