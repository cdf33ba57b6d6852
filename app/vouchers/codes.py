"""Voucher codes people can read aloud and type: 13 random characters (64 bits) and a check character.

The alphabet has 31 characters — digits and capitals without 0, 1, O, I (they look alike) and U — so
that the check can be a weighted sum modulo a prime: any single mistyped character and any swap of two
neighbouring characters gives an invalid code. Shown in groups of four: `K7QM-3XHD-9PTA-WB`.
A code alone redeems nothing: a provider also gives the child's date of birth.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"
BASE = len(ALPHABET)  # 31, a prime
RANDOM_LENGTH = 13  # 31**13 ≈ 2**64.4
LENGTH = RANDOM_LENGTH + 1
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_CHECK_WEIGHT_INVERSE = pow(LENGTH, -1, BASE)
_SPACE = BASE**RANDOM_LENGTH  # how many bodies there are
_DRAW_BITS = _SPACE.bit_length()  # 65: about two draws in three fall below _SPACE and are kept
_DRAW_BYTES = (_DRAW_BITS + 7) // 8


class InvalidCode(ValueError):
    """A code that cannot be a voucher code; the message says why, for the person typing it."""


def _weighted_sum(values: list[int]) -> int:
    return sum((position + 1) * value for position, value in enumerate(values)) % BASE


def check_character(body: str) -> str:
    """The character that makes the weighted sum of all LENGTH characters 0 modulo 31."""
    partial = _weighted_sum([_VALUE[c] for c in body])
    return ALPHABET[(-partial * _CHECK_WEIGHT_INVERSE) % BASE]


def new_code() -> str:
    return new_codes(1)[0]


def new_codes(count: int) -> list[str]:
    """`count` codes, each uniform over all bodies: 65-bit draws, those beyond the code space thrown away
    (rejection, so no body is likelier than another). Random bytes are read once per round, not per code:
    a batch makes a hundred thousand codes, and a system call each cost more than making the code."""
    mask = (1 << _DRAW_BITS) - 1
    made: list[str] = []
    while len(made) < count:
        wanted = count - len(made)
        raw = secrets.token_bytes(_DRAW_BYTES * (wanted * 3 // 2 + 8))
        for start in range(0, len(raw), _DRAW_BYTES):
            number = int.from_bytes(raw[start : start + _DRAW_BYTES], "big") & mask
            if number < _SPACE:
                made.append(_code_for(number))
                if len(made) == count:
                    break
    return made


def _code_for(number: int) -> str:
    """The body's digits (least significant first) and its check character, summed as they are made."""
    characters, weighted = [], 0
    for position in range(1, RANDOM_LENGTH + 1):
        number, digit = divmod(number, BASE)
        characters.append(ALPHABET[digit])
        weighted += position * digit
    characters.append(ALPHABET[(-weighted * _CHECK_WEIGHT_INVERSE) % BASE])  # as check_character does
    return "".join(characters)


def display(code: str) -> str:
    return "-".join([code[i : i + 4] for i in range(0, len(code), 4)])


def normalise(text: str) -> str:
    """A typed code → its canonical form; InvalidCode says what is wrong with it."""
    code = "".join(text.split()).replace("-", "").upper()
    for character in code:
        if character not in _VALUE:
            hint = " (codes have no 0, 1, O, I or U)" if character in "01OIU" else ""
            raise InvalidCode(f"{character!r} is not a voucher code character{hint}")
    if len(code) != LENGTH:
        raise InvalidCode(f"a voucher code has {LENGTH} characters, this has {len(code)}")
    if _weighted_sum([_VALUE[c] for c in code]) != 0:
        raise InvalidCode("the code is mistyped: its check character does not match")
    return code
