"""The registry's part of a key rotation (app/core/key_rotation.py): participants' and children's sealed
records, and the keyed hashes made from them (national-id duplicate index, date-of-birth hashes, the
name-search index), recomputed under the new key."""

from __future__ import annotations

from typing import Any

from app.core.key_rotation import Rekey, Step, chunks, write_back
from app.registry import name_index
from app.registry.personal import birth_date_hasher, national_id_index

_SELECT = "SELECT id, public_id, personal FROM {table} WHERE id > $1 ORDER BY id LIMIT {{limit}}"


def _reseal(rekey: Rekey, kind: str, rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str, str]]:
    """Per row: (the opened record, sealed under the new key, its date-of-birth hash under the new key)."""
    contexts = [f"{kind}:{row['public_id']}" for row in rows]
    opened = [
        rekey.open(row["personal"], context, f"{kind} {row['public_id']}")
        for row, context in zip(rows, contexts, strict=True)
    ]
    birth_hash = birth_date_hasher(rekey.new)
    births = [
        birth_hash(kind, row["public_id"], str(v["date_of_birth"]))
        for row, v in zip(rows, opened, strict=True)
    ]
    return list(zip(opened, rekey.new.seal_many(opened, contexts), births, strict=True))


async def participants(rekey: Rekey) -> int:
    count = 0
    async for rows in chunks(rekey.sql, _SELECT.format(table="participant")):
        changed, tokens = [], []
        for row, (values, sealed, birth_hash) in zip(rows, _reseal(rekey, "participant", rows), strict=True):
            index = national_id_index(values.get("national_id"), rekey.new)
            changed.append((sealed, index, birth_hash, row["id"]))
            names = name_index.stored_values(values["given_name"], values["family_name"], rekey.new)
            tokens += [(row["id"], value) for value in sorted(names)]
        ids = [row["id"] for row in rows]
        await rekey.sql.execute(
            f"DELETE FROM participant_name_token WHERE participant {rekey.sql.any_(1, 'bigint')}", ids
        )
        await write_back(
            rekey.sql, "participant", ("personal", "national_id_index", "birth_date_hash"), changed
        )
        await rekey.sql.insert_many("participant_name_token", ("participant", "token"), tokens)
        count += len(changed)
    return count


async def children(rekey: Rekey) -> int:
    count = 0
    async for rows in chunks(rekey.sql, _SELECT.format(table="child")):
        resealed = _reseal(rekey, "child", rows)
        changed = [(sealed, birth, row["id"]) for row, (_, sealed, birth) in zip(rows, resealed, strict=True)]
        await write_back(rekey.sql, "child", ("personal", "birth_date_hash"), changed)
        count += len(changed)
    return count


PARTICIPANTS = Step("participants", participants, ("participant.personal",))
CHILDREN = Step("children", children, ("child.personal",))
