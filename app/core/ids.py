"""Public identifiers: a short prefix naming the kind of object, then 16 random base32 characters.

Internal integer keys never leave the database; APIs, reports and logs use these ids. They are random
(80 bits), so they reveal neither how many records exist nor in which order they were made.
"""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u
_LENGTH = 16
_SHIFTS = tuple(range(5 * (_LENGTH - 1), -1, -5))

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
    # One read of 80 random bits, cut into 16 five-bit digits: a batch makes hundreds of thousands of ids,
    # and a system call per character (secrets.choice) cost 0.16 ms an id.
    bits = int.from_bytes(secrets.token_bytes(10), "big")
    return f"{prefix}_" + "".join(_ALPHABET[(bits >> shift) & 31] for shift in _SHIFTS)


def has_prefix(value: str, prefix: str) -> bool:
    head, sep, tail = value.partition("_")
    return sep == "_" and head == prefix and len(tail) == _LENGTH and set(tail) <= set(_ALPHABET)
