"""Where sealed values live, so that key rotation can find and re-seal every one of them.

A domain that seals a column declares it here: the table, the sealed column, the column (or SQL
expression) whose value binds each ciphertext to its row (the sealing context is `{context}:{that value}`),
and an SQL condition choosing the rows that hold a sealed value. app/bootstrap.py lists them for
`grants keys rotate`; columns whose keyed hashes depend on the sealed values have steps of their own.
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

    def context_of(self, row_id: str) -> str:
        return f"{self.context}:{row_id}"


_REGISTERED: dict[tuple[str, str], SealedField] = {}


def register(field: SealedField) -> SealedField:
    _REGISTERED[(field.table, field.column)] = field
    return field


def registered() -> list[SealedField]:
    return sorted(_REGISTERED.values(), key=lambda f: (f.table, f.column))
