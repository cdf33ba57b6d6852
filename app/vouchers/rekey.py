"""The vouchers' part of a key rotation (app/core/key_rotation.py): each code sealed anew, its lookup hash
and its holder check recomputed under the new key.

It runs before the registry's step: the holder check needs the holder's date of birth, opened from the
registry's record while that is still under the old key.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from app.core.key_rotation import Rekey, Step, chunks, write_back
from app.registry.personal import birth_date_hasher
from app.vouchers import holders

log = logging.getLogger(__name__)

_SELECT = (
    "SELECT v.id, v.public_id, v.kind, v.participant, v.child, v.code_sealed, v.holder_check, "
    "p.personal AS participant_personal, c.personal AS child_personal FROM voucher v "
    "LEFT JOIN participant p ON p.public_id = v.participant LEFT JOIN child c ON c.public_id = v.child "
    "WHERE v.id > $1 ORDER BY v.id LIMIT {limit}"
)


class _Checks:
    """Holder checks under both keys, with the keyed states set up once."""

    def __init__(self, rekey: Rekey) -> None:
        self.rekey = rekey
        self.old = (holders.checker(rekey.old), birth_date_hasher(rekey.old))
        self.new = (holders.checker(rekey.new), birth_date_hasher(rekey.new))
        self.rebased = 0

    def holder_check(self, row: dict[str, Any]) -> str:
        """The new holder check: for the holder's date of birth in the registry. A check that did not
        match that date under the old key (the date was corrected after issue) cannot be carried over,
        as it is one-way: it now checks the registry's date, and is counted."""
        kind, holder = holders.holder_of(row["kind"], row["participant"], row["child"])
        sealed = row["child_personal"] if kind == "child" else row["participant_personal"]
        if holder is None or sealed is None:
            return row["holder_check"]  # no holder to check: matches nothing under either key
        birth = str(self.rekey.open(sealed, f"{kind}:{holder}", f"{kind} {holder}")["date_of_birth"])
        old_check, old_birth = self.old
        old = old_check(row["public_id"], old_birth(kind, holder, birth))
        if not hmac.compare_digest(row["holder_check"], old):
            self.rebased += 1
        new_check, new_birth = self.new
        return new_check(row["public_id"], new_birth(kind, holder, birth))


async def vouchers(rekey: Rekey) -> int:
    checks, code_index = _Checks(rekey), rekey.new.indexer("voucher_code")
    count = 0
    async for rows in chunks(rekey.sql, _SELECT):
        contexts = [f"voucher:{row['public_id']}" for row in rows]
        opened = [
            rekey.open(row["code_sealed"], context, f"voucher {row['public_id']}")
            for row, context in zip(rows, contexts, strict=True)
        ]
        sealed = rekey.new.seal_many(opened, contexts)
        changed = [
            (s, code_index(code["code"]), checks.holder_check(row), row["id"])
            for row, code, s in zip(rows, opened, sealed, strict=True)
        ]
        await write_back(rekey.sql, "voucher", ("code_sealed", "code_index", "holder_check"), changed)
        count += len(changed)
    if checks.rebased:
        log.warning("%s voucher holder checks now check the holder's corrected date of birth", checks.rebased)
    return count


VOUCHERS = Step("vouchers", vouchers, ("voucher.code_sealed",))
