"""Cursor pagination shared by every list endpoint: newest first, `limit` and `starting_after`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Combinable
from piccolo.table import Table

from app.core.errors import ValidationFailed

MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    has_more: bool


async def paginate(
    table: type[Table],
    columns: Sequence[Column],
    where: Sequence[Combinable],
    limit: int,
    starting_after: str | None,
) -> Page:
    """One page of rows matching `where`, newest first. The cursor must itself match `where`, so a
    cursor can never be used to probe records the caller may not see."""
    conditions = list(where)
    if starting_after is not None:
        cursor_query = table.select(table._meta.primary_key).where(
            table._meta.get_column_by_name("public_id") == starting_after
        )
        for condition in conditions:
            cursor_query = cursor_query.where(condition)
        cursor = await cursor_query.first()
        if cursor is None:
            raise ValidationFailed(
                "invalid_cursor",
                "starting_after does not name a record in this list",
                "starting_after",
            )
        conditions.append(table._meta.primary_key < cursor["id"])
    query = table.select(*columns).order_by(table._meta.primary_key, ascending=False)
    for condition in conditions:
        query = query.where(condition)
    rows = await query.limit(limit + 1)
    return Page(rows=rows[:limit], has_more=len(rows) > limit)
