"""Voucher codes: enough randomness, readable characters, and a check that catches typing mistakes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.vouchers.codes import (
    ALPHABET,
    LENGTH,
    RANDOM_LENGTH,
    InvalidCode,
    check_character,
    display,
    new_code,
    new_codes,
    normalise,
)

codes = st.text(alphabet=ALPHABET, min_size=RANDOM_LENGTH, max_size=RANDOM_LENGTH).map(
    lambda body: body + check_character(body)
)


def test_codes_carry_at_least_60_random_bits_and_no_lookalikes():
    assert RANDOM_LENGTH * math.log2(len(ALPHABET)) >= 60
    assert not set("01OIU") & set(ALPHABET)
    code = new_code()
    assert len(code) == LENGTH and normalise(code) == code
    assert len({new_code() for _ in range(1000)}) == 1000


def test_codes_are_typed_forgivingly():
    code = new_code()
    assert normalise(f" {display(code).lower()} ") == code
    assert normalise(" ".join(display(code).split("-"))) == code


@given(codes, st.integers(0, LENGTH - 1), st.sampled_from(ALPHABET))
def test_any_single_mistyped_character_is_caught(code, position, replacement):
    if code[position] == replacement:
        return
    typed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(InvalidCode, match="mistyped"):
        normalise(typed)


@given(codes, st.integers(0, LENGTH - 2))
def test_any_swap_of_neighbours_is_caught(code, position):
    if code[position] == code[position + 1]:
        return
    typed = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    with pytest.raises(InvalidCode, match="mistyped"):
        normalise(typed)


def test_bad_characters_and_lengths_are_explained():
    with pytest.raises(InvalidCode, match="no 0, 1, O, I or U"):
        normalise("O" + new_code()[1:])
    with pytest.raises(InvalidCode, match="has 14 characters, this has 13"):
        normalise(new_code()[:-1])


def test_the_check_character_works_as_docs_vouchers_md_says():
    """The documented offline check (weights 1 to 14, sum divisible by 31) agrees with the code's."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTVWXYZ"

    def documented_valid(text: str) -> bool:
        code = text.replace("-", "").replace(" ", "").upper()
        return len(code) == 14 and sum((i + 1) * alphabet.index(c) for i, c in enumerate(code)) % 31 == 0

    assert documented_valid("K7QM-3XHD-9PTA-WX")
    for code in new_codes(200):
        assert documented_valid(code)
        assert documented_valid(code[:-1] + alphabet[(alphabet.index(code[-1]) + 1) % 31]) is False
