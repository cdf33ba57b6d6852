"""Public identifiers: a short prefix naming the kind of object, then 16 random base32 characters.

Internal integer keys never leave the database; APIs, reports and logs use these ids. They are random
(80 bits), so they reveal neither how many records exist nor in which order they were made.
"""

from __future__ import annotations

import base64
import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u
_LENGTH = 16
_BYTES = 10  # 80 bits: exactly 16 base32 digits
_DIGITS = frozenset(_ALPHABET)
# base64.b32encode writes the same 5-bit digits as ours, in the RFC 4648 alphabet: translate the letters.
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())

PREFIXES = {
    "user": "usr",
    "token": "tok",
    "participant": "par",
    "household": "hh",
    "child": "chd",
    "provider": "prv",
    "employer": "emp",
    "audit_event": "aud",
}


def new_id(prefix: str) -> str:
    return new_ids(prefix, 1)[0]


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids from one read of random bytes: a batch makes a hundred thousand ids, and a system call
    each cost more than the rest of the work."""
    digits = base64.b32encode(secrets.token_bytes(_BYTES * count)).translate(_FROM_RFC4648).decode()
    return [f"{prefix}_{digits[i : i + _LENGTH]}" for i in range(0, _LENGTH * count, _LENGTH)]


def has_prefix(value: str, prefix: str) -> bool:
    head, sep, tail = value.partition("_")
    return sep == "_" and head == prefix and len(tail) == _LENGTH and _DIGITS.issuperset(tail)
