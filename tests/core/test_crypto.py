"""Sealing personal data: round trips, tamper detection, binding to the record, blind indexes."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.crypto import SecretKeyMissing, Vault, _decode_master
from app.core.ids import has_prefix, new_id

VAULT = Vault.from_master(b"m" * 32)
OTHER = Vault.from_master(b"n" * 32)
values = st.dictionaries(st.text(max_size=10), st.one_of(st.text(), st.integers(), st.booleans(), st.none()))


@given(values, st.text(min_size=1, max_size=40))
def test_round_trip(value, context):
    assert VAULT.open(VAULT.seal(value, context), context) == value


@given(values)
def test_sealing_is_randomised(value):
    assert VAULT.seal(value, "c") != VAULT.seal(value, "c")


@given(values, st.integers(min_value=0, max_value=200))
def test_any_flipped_byte_is_detected(value, position):
    token = VAULT.seal(value, "ctx")
    raw = bytearray(base64.urlsafe_b64decode(token.split(":", 1)[1]))
    raw[position % len(raw)] ^= 0x01
    tampered = "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(ValueError):
        VAULT.open(tampered, "ctx")


def test_wrong_record_or_wrong_key_does_not_open():
    token = VAULT.seal({"name": "A"}, "participant:par_1")
    with pytest.raises(ValueError):
        VAULT.open(token, "participant:par_2")
    with pytest.raises(ValueError):
        OTHER.open(token, "participant:par_1")


def test_blind_index_normalises_and_depends_on_the_key():
    assert VAULT.blind_index("nid", "ab 12-3") == VAULT.blind_index("nid", "AB12-3")
    assert VAULT.blind_index("nid", "AB12-3") != OTHER.blind_index("nid", "AB12-3")
    assert VAULT.blind_index("nid", "AB12-3") != VAULT.blind_index("other", "AB12-3")


def test_bad_keys_are_explained():
    with pytest.raises(SecretKeyMissing, match="32 bytes"):
        _decode_master(base64.urlsafe_b64encode(b"short").decode())


@given(st.sampled_from(["par", "usr", "prv"]))
def test_ids_have_their_prefix_and_80_bits(prefix):
    value = new_id(prefix)
    assert has_prefix(value, prefix)
    assert len(value.split("_")[1]) == 16
