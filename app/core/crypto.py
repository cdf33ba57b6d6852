"""Encryption of personal data at rest, and blind indexes for exact-match lookups.

Personal fields are sealed with AES-256-GCM under a key derived from GRANTS_SECRET_KEY. The associated data
binds each ciphertext to its record (kind and public id), so a ciphertext copied onto another row fails to
open. A blind index is an HMAC of a normalised value: it finds a record by national id without storing
the id in clear. Name search has its own key (another HKDF purpose) and short, deliberately colliding
values: see `name_index` and docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.core.settings import Settings, get_settings

_FORMAT = "v1"  # bump when the sealing format or key derivation changes
_NONCE = 12


class SecretKeyMissing(RuntimeError):
    """No key: personal data cannot be read or written."""


def generate_secret_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def _decode_key(text: str, variable: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError as exc:
        raise SecretKeyMissing(f"{variable} is not valid url-safe base64") from exc
    if len(raw) != 32:
        raise SecretKeyMissing(
            f"{variable} must decode to 32 bytes, it decodes to {len(raw)}; "
            "make one with `grants keys generate`"
        )
    return raw


def _decode_master(text: str) -> bytes:
    return _decode_key(text, "GRANTS_SECRET_KEY")


def load_master_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return _decode_master(settings.secret_key)
    if settings.secret_key_file.exists():
        return _decode_master(settings.secret_key_file.read_text())
    raise SecretKeyMissing(
        "No encryption key: set GRANTS_SECRET_KEY or run `grants init`, which writes "
        f"{settings.secret_key_file}"
    )


def read_key_file(path: Path, what: str) -> bytes:
    """A key written to a file (by `grants keys generate > FILE`), for a command that takes one."""
    try:
        return _decode_key(path.read_text(), what)
    except OSError as exc:
        raise SecretKeyMissing(f"{what}: cannot read {path}: {exc.strerror}") from exc


def load_ledger_key(settings: Settings) -> bytes:
    """The key of the ledger's MAC chain: separate from the personal-data key, so whoever may read
    personal data (or rotate its key) cannot forge the ledger, and the other way round."""
    if settings.ledger_key:
        return _decode_key(settings.ledger_key, "GRANTS_LEDGER_KEY")
    if settings.ledger_key_file.exists():
        return _decode_key(settings.ledger_key_file.read_text(), "GRANTS_LEDGER_KEY")
    raise SecretKeyMissing(
        f"No ledger key: set GRANTS_LEDGER_KEY or run `grants init`, which writes {settings.ledger_key_file}"
    )


def _write_new_key(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_secret_key() + "\n")


def write_key_file(settings: Settings) -> bool:
    """Create the key file if no key is configured. Returns True when a new key was written."""
    if settings.secret_key or settings.secret_key_file.exists():
        return False
    _write_new_key(settings.secret_key_file)
    return True


def write_ledger_key_file(settings: Settings) -> bool:
    """Create the ledger key file if no ledger key is configured. Returns True when one was written."""
    if settings.ledger_key or settings.ledger_key_file.exists():
        return False
    _write_new_key(settings.ledger_key_file)
    return True


@lru_cache(maxsize=1)
def get_ledger_key() -> bytes:
    return load_ledger_key(get_settings())


@dataclass(frozen=True)
class Vault:
    """Seals and opens personal data; computes blind indexes."""

    _aead: AESGCM
    _index_key: bytes
    _name_index_key: bytes
    _indexers: dict[str, Callable[[str], str]] = field(default_factory=dict, compare=False, repr=False)
    _name_state: list[Any] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_master(cls, master: bytes) -> Vault:
        return cls(
            AESGCM(_derive(master, b"grants/pii/aes-gcm")),
            _derive(master, b"grants/pii/index"),
            _derive(master, b"grants/pii/name-index"),
        )

    def seal(self, value: dict[str, Any], context: str) -> str:
        return self.seal_many([value], [context])[0]

    def seal_many(self, values: Sequence[dict[str, Any]], contexts: Sequence[str]) -> list[str]:
        """Seal a batch, each value bound to its context. The nonces come from one read of random bytes:
        a batch seals a hundred thousand values, and a system call each cost more than the encryption."""
        nonces = secrets.token_bytes(_NONCE * len(values))
        encrypt = self._aead.encrypt
        sealed = []
        for i, (value, context) in enumerate(zip(values, contexts, strict=True)):
            nonce = nonces[i * _NONCE : (i + 1) * _NONCE]
            plain = msgspec.json.encode(value, order="sorted")  # 15x json.dumps; open() reads either
            body = nonce + encrypt(nonce, plain, context.encode())
            sealed.append(f"{_FORMAT}:" + base64.urlsafe_b64encode(body).decode())
        return sealed

    def open(self, token: str, context: str) -> dict[str, Any]:
        fmt, _, body = token.partition(":")
        if fmt != _FORMAT:
            raise ValueError(f"unknown sealed-data format {fmt!r}")
        raw = base64.urlsafe_b64decode(body.encode())
        try:
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode())
        except InvalidTag as exc:
            raise ValueError("personal data does not open with this key and record") from exc
        return json.loads(plain)

    def blind_index(self, kind: str, value: str) -> str:
        return self.indexer(kind)(value)

    def indexer(self, kind: str) -> Callable[[str], str]:
        """blind_index for one kind, as a function. The key and the kind are hashed once; each value then
        costs a copy of that HMAC state (a batch computes hundreds of thousands)."""
        index = self._indexers.get(kind)
        if index is None:
            keyed = hmac.new(self._index_key, f"{kind}:".encode(), hashlib.sha256)

            def index(value: str) -> str:
                mac = keyed.copy()
                mac.update("".join(value.split()).upper().encode())
                return mac.hexdigest()

            self._indexers[kind] = index
        return index

    def name_index(self, token: str, bits: int) -> int:
        """A keyed hash of one normalised name token, cut to `bits` bits. Short on purpose: many different
        tokens share each value, so a stored value does not name one token; the caller filters the
        candidates it finds by opening them."""
        if not self._name_state:  # the key hashed once; each token then costs a copy (rotation: millions)
            self._name_state.append(hmac.new(self._name_index_key, digestmod=hashlib.sha256))
        mac = self._name_state[0].copy()
        mac.update(token.encode())
        return int.from_bytes(mac.digest()[:4], "big") >> (32 - bits)


@lru_cache(maxsize=1)
def get_vault() -> Vault:
    return Vault.from_master(load_master_key(get_settings()))
