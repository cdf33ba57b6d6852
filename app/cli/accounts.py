"""`grants users …` and `grants tokens …`: people who sign in and machines' API tokens."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from app.cli.common import cli_actor, click, console, friendly_errors, run
from app.core.roles import Role


@click.group()
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
            cli_actor(),
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


@click.group()
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
    token, secret = run(create_token(cli_actor(), row["public_id"], name, expires_in_days))
    console.print(f"Token {token.id} for {email}. The secret is shown once:")
    click.echo(secret)
