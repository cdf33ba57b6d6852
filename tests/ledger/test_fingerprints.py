"""Batch posting formats a request's fingerprint piece by piece and the chain's hashed text with the
postings made once per batch: both must equal the plain definitions, or retries and `ledger verify`
would disagree with what was posted."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from app.ledger.hashing import canonical, canonical_postings, canonical_with_postings, request_hash
from app.ledger.operations import AccountKey, Draft, Kind, Leg
from app.ledger.posting import fingerprints

text = st.text(max_size=12)
legs = st.lists(
    st.builds(Leg, st.builds(AccountKey, st.sampled_from(["8200", "8300"]), text, text, text), st.integers()),
    min_size=1,
    max_size=3,
).map(tuple)
drafts = st.builds(
    Draft,
    st.sampled_from(list(Kind)),
    text,
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
    legs,
    text,
    text,
    text,
    st.one_of(st.none(), st.integers(1, 10**6)),
)


def _plain(draft: Draft) -> str:
    """The fingerprint as defined: the request hash of its parts, legs as sorted text."""
    legs_text = ";".join(
        sorted(f"{a.code},{a.fund},{a.programme},{a.party},{amount}" for a, amount in draft.legs)
    )
    parts = (
        draft.kind.value,
        draft.effective_date.isoformat(),
        draft.description,
        draft.reference_type,
        draft.reference_id,
        draft.reverses,
        legs_text,
    )
    return request_hash(parts)


@settings(deadline=None)  # a busy machine is not a failure
@given(st.lists(drafts, max_size=6), st.data())
def test_batch_fingerprints_equal_the_plain_definition(batch, data):
    if batch:  # repeats, as in a real batch, exercise the shared pieces
        batch += [data.draw(st.sampled_from(batch))._replace(description="again") for _ in range(3)]
    assert list(fingerprints(batch)) == [_plain(d) for d in batch]


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(), st.integers(), st.sampled_from(["EUR", "USD"])), max_size=4), text)
def test_canonical_text_is_the_same_with_the_postings_made_first(postings, key):
    args = (7, key, "commit", "2026-03-02", "d", "voucher", "vch_1", None, "system", 123)
    assert canonical(*args, postings) == canonical_with_postings(*args, canonical_postings(postings))
