"""What every `grants` command group shares: the console, friendly errors, the CLI's actor, date parsing.

Command modules import this one and nothing of each other, so the groups never import in a circle.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from app.core.actor import Actor
from app.core.crypto import SecretKeyMissing
from app.core.errors import GrantsError, ValidationFailed

console = Console(stderr=True)
T = TypeVar("T")


def run(awaitable: Any) -> Any:
    """Run a coroutine or a Piccolo query to completion (the database layer loads on first use)."""
    from app.core.db import run_sync

    return run_sync(awaitable)


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into a one-line message and exit status 1, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GrantsError as exc:
            where = f" ({exc.param})" if exc.param else ""
            # Escaped: rich would take "[four_eyes]" for a style and print nothing.
            console.print(f"[red]error:[/red] {escape(f'{exc.message}{where} [{exc.code}]')}")
            for detail in exc.details:
                console.print(escape(f"  - {detail.param or ''}: {detail.message}"))
            sys.exit(1)
        except (SecretKeyMissing, ConnectionError, OSError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            sys.exit(1)

    return wrapper


def cli_actor() -> Actor:
    """The actor recorded in the audit log and the ledger for work done from the command line."""
    return Actor.system(f"cli:{getpass.getuser()}")


def parse_date(value: str | None, param: str = "--date") -> dt.date:
    """A date written YYYY-MM-DD; today when omitted."""
    from app.core.db import today

    if value is None:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("invalid_date", f"{value!r} is not a date like 2026-01-31", param) from None


def parse_month(value: str, param: str = "--month") -> dt.date:
    """The first day of a month written YYYY-MM."""
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise ValidationFailed("invalid_month", f"{value!r} is not a month like 2026-03", param) from None


def fail(message: str) -> None:
    """Print a failure in red and exit with status 1."""
    console.print(f"[red]{message}[/red]")
    sys.exit(1)


__all__ = ["cli_actor", "click", "console", "fail", "friendly_errors", "parse_date", "parse_month"]


# The person doing a step of a four-eyes flow from the command line (payments, reconciliation).
AS_USER = click.option(
    "--as",
    "email",
    envvar="GRANTS_CLI_USER",
    required=True,
    help="The user doing this step (their email); four eyes need different people.",
)


def actor_as(email: str) -> Actor:
    """The signed-up user with this email, as the actor of a CLI step."""
    from app.core.users import actor_for_email

    return run(actor_for_email(email))
