"""Small-cell suppression of a two-way count table with its totals (primary and secondary).

Written here rather than taken from a library: `pytauargus` (EUPL-1.2) does the same with the Tau-Argus
engine, but takes seconds to minutes per table and ships a native binary; our tables are small (gender x
age band per programme) and the exact method below fits them.

The table is published with its row totals, column totals and grand total. Primary suppression hides
every count from 1 to k - 1, totals included (0 is published: it names nobody). Secondary suppression
then hides more cells until no hidden cell can be worked out from what is published.

Why the method is exact: negate the totals row and column (not the grand total) and every row and every
column of the (R+1) x (C+1) table sums to zero. The hidden cells are then determined by the published
ones exactly when they are determined along the zero-sum constraints, and a hidden cell is free iff it
lies on a cycle of hidden cells in the bipartite graph rows <-> columns (a cell is an edge). Moving +1,
-1 around such a cycle gives another table with the same published figures; because only cells of at
least 1 are ever hidden, that other table has no negative count. So: while some hidden cell is a bridge
(on no cycle), hide the cheapest path of further cells that closes a cycle through it (cost: the count,
so little information is lost, with a surcharge on totals). Hiding every non-zero cell always works, so
the loop ends.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_K = 5
MIN_K = 2
SECONDARY_MARK = "x"
_TOTAL_SURCHARGE = 1_000_000  # hide an inner cell rather than a total whenever one will do

Cell = tuple[int, int]  # (row, column) in the table with totals: row R and column C are the totals


@dataclass(frozen=True)
class Published:
    """A count table with totals, as published: None where a cell is suppressed."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    values: tuple[tuple[int | None, ...], ...]  # (R+1) x (C+1): last row and column are the totals
    primary: frozenset[Cell]
    secondary: frozenset[Cell]
    k: int

    def shown(self, row: int, column: int) -> str:
        """The cell as text: the count, `<k` for a small count, `x` for a cell hidden to protect one."""
        value = self.values[row][column]
        if value is not None:
            return str(value)
        return f"<{self.k}" if (row, column) in self.primary else SECONDARY_MARK


class SuppressionError(ValueError):
    pass


def check_k(k: int) -> int:
    if k < MIN_K:
        raise SuppressionError(f"k must be at least {MIN_K} (got {k})")
    return k


def with_totals(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a totals column and a totals row appended."""
    columns = len(counts[0]) if counts else 0
    rows = [[*row, sum(row)] for row in counts]
    rows.append([sum(r[j] for r in rows) for j in range(columns + 1)])
    return rows


def suppress(
    counts: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    k: int = DEFAULT_K,
) -> Published:
    check_k(k)
    if len(counts) != len(row_labels) or any(len(r) != len(column_labels) for r in counts):
        raise SuppressionError("the counts do not match the labels")
    if any(v < 0 for r in counts for v in r):
        raise SuppressionError("counts cannot be negative")
    full = with_totals(counts)
    primary = {(i, j) for i, r in enumerate(full) for j, v in enumerate(r) if 0 < v < k}
    hidden = set(primary)
    _protect(full, hidden)
    values = tuple(
        tuple(None if (i, j) in hidden else v for j, v in enumerate(r)) for i, r in enumerate(full)
    )
    return Published(
        tuple(row_labels), tuple(column_labels), values, frozenset(primary), frozenset(hidden - primary), k
    )


def _protect(full: list[list[int]], hidden: set[Cell]) -> None:
    while True:
        bridge = next((cell for cell in sorted(hidden) if _is_bridge(cell, hidden)), None)
        if bridge is None:
            return
        hidden.update(_cheapest_cycle(full, hidden, bridge))


def _is_bridge(cell: Cell, hidden: set[Cell]) -> bool:
    """True when the hidden cell is on no cycle of hidden cells: its row and column are not joined
    without it."""
    row, column = cell
    adjacency: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in hidden:
        if (i, j) == cell:
            continue
        adjacency.setdefault(("r", i), []).append(("c", j))
        adjacency.setdefault(("c", j), []).append(("r", i))
    start, goal = ("r", row), ("c", column)
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return False
        for nxt in adjacency.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return True


def _cheapest_cycle(full: list[list[int]], hidden: set[Cell], bridge: Cell) -> list[Cell]:
    """The non-zero cells (other than the bridge) of the cheapest path joining the bridge's row to its
    column: hidden cells cost nothing, visible ones their count (totals more)."""
    last_row, last_column = len(full) - 1, len(full[0]) - 1

    def cost(i: int, j: int) -> int:
        if (i, j) in hidden:
            return 0
        return full[i][j] + (_TOTAL_SURCHARGE if i == last_row or j == last_column else 0)

    start, goal = ("r", bridge[0]), ("c", bridge[1])
    best: dict[tuple[str, int], int] = {start: 0}
    back: dict[tuple[str, int], tuple[tuple[str, int], Cell]] = {}
    queue: list[tuple[int, tuple[str, int]]] = [(0, start)]
    while queue:
        distance, node = heapq.heappop(queue)
        if node == goal:
            break
        if distance > best.get(node, distance):
            continue
        for nxt, cell in _neighbours(node, full):
            if cell == bridge or full[cell[0]][cell[1]] == 0:
                continue
            candidate = distance + cost(*cell)
            if candidate < best.get(nxt, candidate + 1):
                best[nxt] = candidate
                back[nxt] = (node, cell)
                heapq.heappush(queue, (candidate, nxt))
    if goal not in back:  # cannot happen: every non-zero cell is on a cycle of non-zero cells
        raise SuppressionError(f"no cycle closes through cell {bridge}")
    path, node = [], goal
    while node != start:
        node, cell = back[node]
        path.append(cell)
    return path


def _neighbours(node: tuple[str, int], full: list[list[int]]):
    side, index = node
    if side == "r":
        for j in range(len(full[0])):
            yield ("c", j), (index, j)
    else:
        for i in range(len(full)):
            yield ("r", i), (i, index)
