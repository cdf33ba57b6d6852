"""Holder checks of existing vouchers in their new form: a keyed hash of the voucher id and the registry's
birth-date hash of the holder (app/vouchers/holders.py), so that issuing opens no sealed record.

Runs after the registry migrations have filled birth_date_hash (the registry app is a migration dependency
of this one). Uses the holder's date of birth as the registry has it now. The formula is written out here,
not imported, so that this step keeps doing what it did when the app code moves on.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-27T03:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "holder_check from the registry's birth_date_hash"

CHUNK = 2_000


async def _recompute() -> None:
    from app.core.crypto import get_vault
    from app.core.sql import Sql

    sql = Sql()  # the migration's transaction
    after = 0
    while True:
        rows = await sql.fetch(
            "SELECT v.id, v.public_id, v.kind, p.birth_date_hash AS participant_hash, "
            "c.birth_date_hash AS child_hash FROM voucher v "
            "LEFT JOIN participant p ON p.public_id = v.participant "
            "LEFT JOIN child c ON c.public_id = v.child WHERE v.id > $1 ORDER BY v.id LIMIT $2",
            after,
            CHUNK,
        )
        if not rows:
            return
        index = get_vault().indexer("voucher_holder")
        updates = []
        for row in rows:
            birth_hash = row["child_hash"] if row["kind"] == "childcare" else row["participant_hash"]
            if birth_hash is not None:
                updates.append((index(f"{row['public_id']}:{birth_hash}"), row["id"]))
        await sql.executemany("UPDATE voucher SET holder_check = $1 WHERE id = $2", updates)
        after = rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vouchers", description=DESCRIPTION)
    manager.add_raw(_recompute)
    return manager
