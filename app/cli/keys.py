"""`grants keys …`: encryption keys for personal data."""

from __future__ import annotations

from app.cli.common import click
from app.core.crypto import generate_secret_key


@click.group()
def keys() -> None:
    """Encryption keys for personal data."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key, for GRANTS_SECRET_KEY."""
    click.echo(generate_secret_key())
