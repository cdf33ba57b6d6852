"""Encryption of personal data at rest, and blind indexes for exact-match lookups.

Personal fields are sealed with AES-256-GCM under a key derived from GRANTS_SECRET_KEY. The associated data
binds each ciphertext to its record (kind and public id), so a ciphertext copied onto another row fails to
open. A blind index is an HMAC of a normalised value: it finds a record by national id without storing
the id in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.settings import Settings, get_settings

_FORMAT = "v1"  # bump when the sealing format or key derivation changes


class SecretKeyMissing(RuntimeError):
    """No key: personal data cannot be read or written."""


def generate_secret_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def _decode_master(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError as exc:
        raise SecretKeyMissing("GRANTS_SECRET_KEY is not valid url-safe base64") from exc
    if len(raw) != 32:
        raise SecretKeyMissing(
            f"GRANTS_SECRET_KEY must decode to 32 bytes, it decodes to {len(raw)}; "
            "make one with `grants keys generate`"
        )
    return raw


def load_master_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return _decode_master(settings.secret_key)
    if settings.secret_key_file.exists():
        return _decode_master(settings.secret_key_file.read_text())
    raise SecretKeyMissing(
        "No encryption key: set GRANTS_SECRET_KEY or run `grants init`, which writes "
        f"{settings.secret_key_file}"
    )


def write_key_file(settings: Settings) -> bool:
    """Create the key file if no key is configured. Returns True when a new key was written."""
    if settings.secret_key or settings.secret_key_file.exists():
        return False
    fd = os.open(settings.secret_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_secret_key() + "\n")
    return True


@dataclass(frozen=True)
class Vault:
    """Seals and opens personal data; computes blind indexes."""

    _aead: AESGCM
    _index_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> Vault:
        return cls(AESGCM(_derive(master, b"grants/pii/aes-gcm")), _derive(master, b"grants/pii/index"))

    def seal(self, value: dict[str, Any], context: str) -> str:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        sealed = self._aead.encrypt(nonce, plain, context.encode())
        return f"{_FORMAT}:" + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, context: str) -> dict[str, Any]:
        fmt, _, body = token.partition(":")
        if fmt != _FORMAT:
            raise ValueError(f"unknown sealed-data format {fmt!r}")
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], context.encode())
        except InvalidTag as exc:
            raise ValueError("personal data does not open with this key and record") from exc
        return json.loads(plain)

    def blind_index(self, kind: str, value: str) -> str:
        normalised = "".join(value.split()).upper()
        return hmac.new(self._index_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def get_vault() -> Vault:
    return Vault.from_master(load_master_key(get_settings()))
