"""`grants keys …`: encryption keys for personal data."""

from __future__ import annotations

from pathlib import Path

from app.cli.common import click, console, friendly_errors, run
from app.core.crypto import generate_secret_key


@click.group()
def keys() -> None:
    """Encryption keys for personal data."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new random key, for GRANTS_SECRET_KEY."""
    click.echo(generate_secret_key())


@keys.command("rotate")
@click.option(
    "--new-key-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the new key (made by `grants keys generate`); the current key is GRANTS_SECRET_KEY.",
)
@click.option("--yes", is_flag=True, help="Do not ask (the database is backed up, servers are stopped).")
@friendly_errors
def keys_rotate(new_key_file: Path, yes: bool) -> None:
    """Re-seal all personal data and recompute its keyed hashes under a new personal-data key, in one
    transaction. Back up the database and stop every server and scheduled job first (docs/operations.md)."""
    from app.bootstrap import rekey_steps
    from app.core.crypto import load_master_key, read_key_file
    from app.core.key_rotation import rotate
    from app.core.settings import get_settings

    old = load_master_key(get_settings())
    new = read_key_file(new_key_file, "--new-key-file")
    if not yes:
        click.confirm("Database backed up and every server and job stopped?", abort=True)
    with console.status("Re-sealing personal data under the new key…"):
        done = run(rotate(old, new, rekey_steps()))
    for name, count in done.items():
        console.print(f"  {name}: {count} rows")
    console.print(
        f"Rotated: the database is now under the key in {new_key_file}. Set GRANTS_SECRET_KEY to it (or "
        "make it the GRANTS_SECRET_KEY_FILE) before starting the servers; the old key is now refused."
    )
