"""The integrity chain: each entry's MAC covers its content, its postings and the previous entry's MAC.

Editing a posted entry, removing one or slipping one in changes a MAC that later entries depend on, so
`grants ledger verify` finds the first entry where the chain breaks. The MAC is HMAC-SHA256 under the
ledger key (GRANTS_LEDGER_KEY), which the database does not hold: someone who can write to the database
but lacks the key cannot recompute the chain after an edit. docs/ledger.md gives the exact bytes, so the
same MAC can be computed in SQL (pgcrypto's `hmac(message, key, 'sha256')`).

The canonical form is plain text: numbers as digits, free text length-prefixed (so no choice of
characters can make two different entries read the same), postings sorted.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from hashlib import sha256


@dataclass(frozen=True, slots=True)
class HashedPosting:
    account_id: int
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class HashedEntry:
    seq: int
    idempotency_key: str
    kind: str
    effective_date: dt.date
    description: str
    reference_type: str
    reference_id: str
    reverses: int | None
    created_by: str
    created_at: dt.datetime
    postings: Sequence[HashedPosting]


def micros(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def canonical(
    seq: int,
    idempotency_key: str,
    kind: str,
    effective_date: str,
    description: str,
    reference_type: str,
    reference_id: str,
    reverses: int | None,
    created_by: str,
    created_micros: int,
    postings: Iterable[tuple[int, int, str]],
) -> bytes:
    """The bytes an entry's hash covers."""
    return canonical_with_postings(
        seq,
        idempotency_key,
        kind,
        effective_date,
        description,
        reference_type,
        reference_id,
        reverses,
        created_by,
        created_micros,
        canonical_postings(postings),
    )


def canonical_postings(postings: Iterable[tuple[int, int, str]]) -> str:
    """The postings' part of canonical(): (account id, amount, currency), sorted. Entries of a batch
    mostly share their postings, so posting makes this once per distinct set."""
    return ";".join(f"{a}/{m}/{c}" for a, m, c in sorted(postings))


def canonical_with_postings(
    seq: int,
    idempotency_key: str,
    kind: str,
    effective_date: str,
    description: str,
    reference_type: str,
    reference_id: str,
    reverses: int | None,
    created_by: str,
    created_micros: int,
    postings: str,
) -> bytes:
    """canonical() with the postings already in their text form. One f-string: this runs a hundred
    thousand times per bulk batch."""
    rev = "" if reverses is None else reverses
    return (
        f"{seq}|{len(idempotency_key)}:{idempotency_key}|{kind}|{effective_date}|{len(description)}:{description}"
        f"|{len(reference_type)}:{reference_type}|{len(reference_id)}:{reference_id}|{rev}"
        f"|{len(created_by)}:{created_by}|{created_micros}|{postings}"
    ).encode()


ChainMac = Callable[[str, bytes], str]


def chain_mac(key: bytes) -> ChainMac:
    """The chain function under one key: (previous MAC in hex, canonical body) -> this entry's MAC in hex,
    HMAC-SHA256(key, prev_hex + "|" + body). The key is absorbed once; each entry costs a copy of that
    state (a bulk batch chains a hundred thousand entries)."""
    keyed = hmac.new(key, digestmod=sha256)

    def mac(prev_hash: str, body: bytes) -> str:
        state = keyed.copy()
        state.update(prev_hash.encode())
        state.update(b"|")
        state.update(body)
        return state.hexdigest()

    return mac


def chain_hash(key: bytes, prev_hash: str, entry: HashedEntry) -> str:
    return chain_mac(key)(prev_hash, entry_body(entry))


def entry_body(entry: HashedEntry) -> bytes:
    return canonical(
        entry.seq,
        entry.idempotency_key,
        entry.kind,
        entry.effective_date.isoformat(),
        entry.description,
        entry.reference_type,
        entry.reference_id,
        entry.reverses,
        entry.created_by,
        micros(entry.created_at),
        ((p.account_id, p.amount, p.currency) for p in entry.postings),
    )


REQUEST_SEPARATOR = "\x1f"


def request_hash(parts: Iterable[object]) -> str:
    """A fingerprint of what was asked for, to tell a retry from a different request with the same key."""
    return request_digest(REQUEST_SEPARATOR.join([request_field(part) for part in parts]))


def request_field(part: object) -> str:
    """One part of the text a request hash covers: its length, a colon, the part."""
    text = str(part)
    return f"{len(text)}:{text}"


def request_digest(text: str) -> str:
    return sha256(text.encode()).hexdigest()
