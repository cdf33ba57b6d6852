"""Counting the statements a piece of code sends to PostgreSQL, each one round trip: asyncpg's
connection methods are wrapped while the block runs (pooled connections too; BEGIN and COMMIT go
through them as well)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

_METHODS = ("execute", "executemany", "fetch", "fetchrow", "fetchval", "copy_records_to_table")


@contextmanager
def counting(statements: list[str] | None = None) -> Iterator[Counter]:
    """counts["total"] and one count per method, for the statements sent inside the block; each
    statement's text is appended to `statements` if given."""
    counts: Counter = Counter()
    originals = {name: getattr(asyncpg.Connection, name) for name in _METHODS}

    def wrapped(name: str, original):
        def send(self, *args, **kwargs):
            counts[name] += 1
            counts["total"] += 1
            if statements is not None:
                statements.append(" ".join(str(args[0] if args else name).split()))
            return original(self, *args, **kwargs)

        return send

    for name, original in originals.items():
        setattr(asyncpg.Connection, name, wrapped(name, original))
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(asyncpg.Connection, name, original)
