"""Key check values: the database remembers which keys it was set up with, without holding them.

For each key (the personal-data key, the ledger key) the database stores HMAC-SHA256(key, a fixed text).
`grants init` and every start compare the configured keys with them. A different key is refused, with
what to do, before anything is sealed under it: before this check, `grants init` without the key on an
existing database silently made a new one, after which the registry answered 500, sealed new people
under the wrong key, missed duplicate national ids and rejected valid voucher codes.
"""

from __future__ import annotations

import hashlib
import hmac

from app.core.crypto import SecretKeyMissing, get_ledger_key, load_master_key
from app.core.db import raw
from app.core.settings import Settings, get_settings

_TEXT = b"grants key check v1"


class KeyMismatch(SecretKeyMissing):
    """The configured key is not the one this database was set up with."""


def check_value(key: bytes) -> str:
    return hmac.new(key, _TEXT, hashlib.sha256).hexdigest()


def _configured(settings: Settings) -> dict[str, tuple[bytes, str]]:
    return {
        "personal": (load_master_key(settings), "GRANTS_SECRET_KEY (or GRANTS_SECRET_KEY_FILE)"),
        "ledger": (get_ledger_key(), "GRANTS_LEDGER_KEY (or GRANTS_LEDGER_KEY_FILE)"),
    }


async def stored() -> dict[str, str]:
    return {r["purpose"]: r["check_value"] for r in await raw("SELECT purpose, check_value FROM key_check")}


async def ensure_keys_match(settings: Settings | None = None, *, record: bool = True) -> None:
    """Refuse keys that differ from the database's; record the check values of keys seen the first time."""
    settings = settings or get_settings()
    known = await stored()
    for purpose, (key, variable) in _configured(settings).items():
        value = check_value(key)
        if purpose not in known:
            if record:
                await raw(
                    "INSERT INTO key_check (purpose, check_value, created_at) "
                    "VALUES ({}, {}, CURRENT_TIMESTAMP) ON CONFLICT (purpose) DO NOTHING",
                    purpose,
                    value,
                )
            continue
        if not hmac.compare_digest(known[purpose], value):
            raise KeyMismatch(
                f"{variable} is not the key this database was set up with: refusing to start, so that "
                "nothing is sealed or chained under the wrong key. Set the original key (from your "
                "secrets store or backup). To change keys, use `grants keys rotate` with the old key set."
            )


async def refuse_new_keys_for_old_data(settings: Settings) -> None:
    """`grants init` would write a new key file when none is configured: refused when the database was
    set up with a key already, since data sealed (or chained) under the old one would be lost to it."""
    known = await stored()
    missing = {
        "personal": not settings.secret_key and not settings.secret_key_file.exists(),
        "ledger": not settings.ledger_key and not settings.ledger_key_file.exists(),
    }
    for purpose, absent in missing.items():
        if absent and purpose in known:
            variable = "GRANTS_SECRET_KEY" if purpose == "personal" else "GRANTS_LEDGER_KEY"
            raise KeyMismatch(
                f"this database was set up with a {purpose} key, and none is configured: set {variable} "
                "or restore its key file from your backup. Not making a new key, which could not read "
                "what the old one sealed."
            )


async def replace(purpose: str, key: bytes) -> None:
    """After a rotation, in its transaction: the database now expects the new key."""
    await raw("UPDATE key_check SET check_value = {} WHERE purpose = {}", check_value(key), purpose)
