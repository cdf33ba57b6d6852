"""`grants db …`: the database roles of the production set-up (PostgreSQL)."""

from __future__ import annotations

from app.cli.common import click, console, friendly_errors, run


@click.group()
def db() -> None:
    """Database roles: the application runs as a role that owns no table."""


@db.command("grant-app-role")
@click.argument("role")
@friendly_errors
def db_grant_app_role(role: str) -> None:
    """Give ROLE (an existing PostgreSQL login) what the application needs and no more: run as the tables'
    owner after `grants init`, and again after every upgrade."""
    from app.core.db_roles import grant_app_role

    for statement in run(grant_app_role(role)):
        console.print(statement)
    console.print(f"Role {role} may now run the application; it owns no table and cannot TRUNCATE.")
