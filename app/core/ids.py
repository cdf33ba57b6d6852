"""Public identifiers: a short prefix naming the kind of object, then 16 random base32 characters.

Internal integer keys never leave the database; APIs, reports and logs use these ids. They are random
(80 bits), so they reveal neither how many records exist nor in which order they were made.
"""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u
_LENGTH = 16

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
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def has_prefix(value: str, prefix: str) -> bool:
    head, sep, tail = value.partition("_")
    return sep == "_" and head == prefix and len(tail) == _LENGTH and set(tail) <= set(_ALPHABET)
