"""Finding participants by part of their name without storing names in clear: a keyed blind index.

A name is cut into normalised tokens (accents removed, case folded, split at spaces, hyphens and
apostrophes). Each token is stored as the keyed hashes of its starts of 3 to MAX_PREFIX letters (a
token shorter than 3 letters as itself), each hash cut to BITS bits. A search word is looked up by the
hash of its start (at most MAX_PREFIX letters); the short hashes collide on purpose, so the candidates
are then opened and kept only if every search word starts one of their name tokens. The trade-off is
written down in docs/security.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from app.core.crypto import Vault, get_vault
from app.core.errors import ValidationFailed

BITS = 16  # 65,536 values: thousands of distinct name starts share each one in a large registry
MIN_PREFIX = 3
MAX_PREFIX = 10
MAX_WORDS = 5
_SPLIT = re.compile(r"[\W_]+")


def tokens(*names: str) -> set[str]:
    """The normalised tokens of names: 'Ana-María  O'Neil' -> {'ana', 'maria', 'o', 'neil'}."""
    found: set[str] = set()
    for name in names:
        decomposed = unicodedata.normalize("NFKD", name)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        found.update(t for t in _SPLIT.split(plain) if t)
    return found


def _starts(token: str) -> Iterable[str]:
    if len(token) < MIN_PREFIX:
        return (token,)
    return (token[:n] for n in range(MIN_PREFIX, min(len(token), MAX_PREFIX) + 1))


def stored_values(given_name: str, family_name: str, vault: Vault | None = None) -> set[int]:
    """The index values kept for a participant's names (under `vault`'s key, by default the app's)."""
    vault = vault or get_vault()
    return {vault.name_index(start, BITS) for t in tokens(given_name, family_name) for start in _starts(t)}


def search_words(query: str) -> list[str]:
    """The words of a search, normalised like names. Refuses a search with no word or too many."""
    words = sorted(tokens(query))
    if not words:
        raise ValidationFailed("invalid_search", "write at least one letter of the name", "name")
    if len(words) > MAX_WORDS:
        raise ValidationFailed("invalid_search", f"search with at most {MAX_WORDS} words", "name")
    return words


def lookup_value(word: str) -> int:
    """The index value that every name token starting with `word` stores."""
    return get_vault().name_index(word[:MAX_PREFIX], BITS)


def matches(words: Iterable[str], given_name: str, family_name: str) -> bool:
    """Every word starts one of the name's tokens (a word shorter than MIN_PREFIX must be a whole token,
    as only whole short tokens are indexed)."""
    names = tokens(given_name, family_name)
    return all(any(t == w or (len(w) >= MIN_PREFIX and t.startswith(w)) for t in names) for w in words)
