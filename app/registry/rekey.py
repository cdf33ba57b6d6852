"""The registry's part of a key rotation (app/core/key_rotation.py): participants' and children's sealed
records, and the keyed hashes made from them (national-id duplicate index, date-of-birth hashes, the
name-search index), recomputed under the new key."""

from __future__ import annotations

from typing import Any

from app.core.key_rotation import Rekey, Step, chunks
from app.registry import name_index
from app.registry.personal import birth_date_hasher, national_id_index

_SELECT = "SELECT id, public_id, personal FROM {table} WHERE id > $1 ORDER BY id LIMIT {{limit}}"


def _reseal(rekey: Rekey, kind: str, row: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(the opened record, sealed under the new key, its date-of-birth hash under the new key)."""
    values, seal = rekey.reopen(row["personal"], f"{kind}:{row['public_id']}", f"{kind} {row['public_id']}")
    birth_hash = birth_date_hasher(rekey.new)(kind, row["public_id"], str(values["date_of_birth"]))
    return values, seal(values), birth_hash


async def participants(rekey: Rekey) -> int:
    count = 0
    async for rows in chunks(rekey.sql, _SELECT.format(table="participant")):
        changed, tokens = [], []
        for row in rows:
            values, sealed, birth_hash = _reseal(rekey, "participant", row)
            index = national_id_index(values.get("national_id"), rekey.new)
            changed.append((sealed, index, birth_hash, row["id"]))
            names = name_index.stored_values(values["given_name"], values["family_name"], rekey.new)
            tokens += [(row["id"], value) for value in sorted(names)]
        ids = [row["id"] for row in rows]
        await rekey.sql.execute(
            f"DELETE FROM participant_name_token WHERE participant {rekey.sql.any_(1, 'bigint')}", ids
        )
        await rekey.sql.executemany(
            "UPDATE participant SET personal = $1, national_id_index = $2, birth_date_hash = $3 "
            "WHERE id = $4",
            changed,
        )
        await rekey.sql.insert_many("participant_name_token", ("participant", "token"), tokens)
        count += len(changed)
    return count


async def children(rekey: Rekey) -> int:
    count = 0
    async for rows in chunks(rekey.sql, _SELECT.format(table="child")):
        changed = []
        for row in rows:
            _, sealed, birth_hash = _reseal(rekey, "child", row)
            changed.append((sealed, birth_hash, row["id"]))
        await rekey.sql.executemany(
            "UPDATE child SET personal = $1, birth_date_hash = $2 WHERE id = $3", changed
        )
        count += len(changed)
    return count


PARTICIPANTS = Step("participants", participants, ("participant.personal",))
CHILDREN = Step("children", children, ("child.personal",))
