"""Backfill birth_date_hash for participants and children registered before it was kept.

Opens each sealed record once, so it needs the encryption key when there are rows to fill. The formula is
written out here, not imported, so that this step keeps doing what it did when the app code moves on.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T03:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill birth_date_hash"

CHUNK = 2_000


def _birth_date_hash(vault, kind: str, public_id: str, birth_date: str) -> str:
    # app.registry.personal.birth_date_hash as of this migration.
    return vault.blind_index("birth_date", f"{kind}:{public_id}:{birth_date}")


async def _backfill(table: str, kind: str) -> None:
    from app.core.crypto import get_vault
    from app.core.sql import Sql

    sql = Sql()  # the migration's transaction
    after = 0
    while True:
        rows = await sql.fetch(
            f"SELECT id, public_id, personal FROM {table} WHERE birth_date_hash IS NULL AND id > $1 "
            "ORDER BY id LIMIT $2",
            after,
            CHUNK,
        )
        if not rows:
            return
        vault = get_vault()
        updates = []
        for row in rows:
            birth = vault.open(row["personal"], f"{kind}:{row['public_id']}")["date_of_birth"]
            updates.append((_birth_date_hash(vault, kind, row["public_id"], str(birth)), row["id"]))
        await sql.executemany(f"UPDATE {table} SET birth_date_hash = $1 WHERE id = $2", updates)
        after = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def run():
        await _backfill("participant", "participant")
        await _backfill("child", "child")

    manager.add_raw(run)
    return manager
