"""Where sealed values live, so that key rotation can find and re-seal every one of them.

A domain that seals a column registers it here when its module is imported: the table, the sealed column,
the column whose value binds each ciphertext to its row (the sealing context is `{context}:{row id}`), and
an SQL condition choosing the rows that hold a sealed value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SealedField:
    table: str
    column: str
    id_column: str
    context: str
    where: str = "1 = 1"


_REGISTERED: dict[tuple[str, str], SealedField] = {}


def register(field: SealedField) -> SealedField:
    _REGISTERED[(field.table, field.column)] = field
    return field


def registered() -> list[SealedField]:
    return sorted(_REGISTERED.values(), key=lambda f: (f.table, f.column))
