"""Bringing a database up to date: Piccolo migrations, then the engine-specific settings."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards

from app.core.db import engine, is_postgres


async def migrate(verbose: bool = False) -> None:
    """Apply every pending migration of every app, in dependency order."""
    if not is_postgres():
        # WAL lets readers carry on while one writer commits; the setting persists in the file.
        await engine().run_ddl("PRAGMA journal_mode=WAL")
    output = io.StringIO()
    sink = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(output)
    with sink:
        result = await run_forwards(app_name="all", migration_id="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{output.getvalue()}")
