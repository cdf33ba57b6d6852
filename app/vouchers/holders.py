"""Whose date of birth unlocks a voucher, and the keyed check stored with it.

The check is a keyed hash of the voucher id and the registry's keyed hash of the holder's date of birth
(app.registry.personal.birth_date_hash). So issuing a batch opens no sealed record, and redeeming still
needs the date itself: it is hashed the same two ways and compared.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from app.core.crypto import Vault, get_vault
from app.registry.personal import birth_date_hash


def holder_of(voucher_kind: str, participant: str, child: str | None) -> tuple[str, str | None]:
    """The registry record (kind, id) whose date of birth a redeemer gives: the child for childcare."""
    return ("child", child) if voucher_kind == "childcare" else ("participant", participant)


def checker(vault: Vault | None = None) -> Callable[[str, str], str]:
    """(voucher id, holder's birth-date hash) -> the voucher's holder check; set up once per batch."""
    index = (vault or get_vault()).indexer("voucher_holder")
    return lambda voucher_id, birth_hash: index(f"{voucher_id}:{birth_hash}")


def matches(voucher: Mapping[str, Any], birth_date: dt.date) -> bool:
    """Whether `birth_date` is the holder's, for a voucher row (public_id, kind, participant, child,
    holder_check)."""
    kind, holder = holder_of(voucher["kind"], voucher["participant"], voucher["child"])
    if holder is None:
        return False
    expected = checker()(voucher["public_id"], birth_date_hash(kind, holder, birth_date.isoformat()))
    return hmac.compare_digest(voucher["holder_check"], expected)
