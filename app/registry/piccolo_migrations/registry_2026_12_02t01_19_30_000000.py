"""The lookup index of participant_name_token, and the name tokens of participants registered before it.

Opens each sealed record once, so it needs the encryption key when there are rows to fill. The tokens and
their hashes are computed by code written out here, not imported, so that this step keeps doing what it did
when app/registry/name_index.py moves on (a change there needs its own re-indexing step).
"""

import re
import unicodedata

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T01:19:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "index and backfill participant name tokens"

CHUNK = 2_000
BITS, MIN_PREFIX, MAX_PREFIX = 16, 3, 10  # app.registry.name_index as of this migration
_SPLIT = re.compile(r"[\W_]+")


def _tokens(*names: str) -> set[str]:
    found: set[str] = set()
    for name in names:
        decomposed = unicodedata.normalize("NFKD", name)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        found.update(t for t in _SPLIT.split(plain) if t)
    return found


def _values(vault, given_name: str, family_name: str) -> set[int]:
    values = set()
    for token in _tokens(given_name, family_name):
        if len(token) < MIN_PREFIX:
            starts = [token]
        else:
            starts = [token[:n] for n in range(MIN_PREFIX, min(len(token), MAX_PREFIX) + 1)]
        values.update(vault.name_index(start, BITS) for start in starts)
    return values


async def _backfill() -> None:
    from app.core.crypto import get_vault
    from app.core.sql import Sql

    sql = Sql()  # the migration's transaction
    after = 0
    while True:
        rows = await sql.fetch(
            "SELECT p.id, p.public_id, p.personal FROM participant p WHERE p.id > $1 AND NOT EXISTS "
            "(SELECT 1 FROM participant_name_token t WHERE t.participant = p.id) ORDER BY p.id LIMIT $2",
            after,
            CHUNK,
        )
        if not rows:
            return
        vault = get_vault()
        tokens = []
        for row in rows:
            personal = vault.open(row["personal"], f"participant:{row['public_id']}")
            values = _values(vault, personal["given_name"], personal["family_name"])
            tokens += [(row["id"], value) for value in sorted(values)]
        await sql.insert_many("participant_name_token", ("participant", "token"), tokens)
        after = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS participant_name_token_lookup "
            "ON participant_name_token (token, participant)"
        )
        await _backfill()

    manager.add_raw(run)
    return manager
