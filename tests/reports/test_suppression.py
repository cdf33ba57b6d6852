"""Small-cell suppression: nothing below k is published, and no hidden cell can be solved for."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reports.suppression import SuppressionError, suppress, with_totals


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gaussian elimination over the rationals (exact)."""
    matrix = [r[:] for r in rows]
    rank, columns = 0, len(matrix[0]) if matrix else 0
    for col in range(columns):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for i in range(len(matrix)):
            if i != rank and matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[rank][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return rank


def _constraints(rows: int, columns: int) -> list[dict[tuple[int, int], int]]:
    """The additive relations of a table with totals, written out plainly (not the algorithm's trick):
    each row's cells minus its total is 0, each column's cells minus its total is 0, and the same for the
    totals row and the totals column against the grand total."""
    out = []
    for i in range(rows + 1):
        relation = {(i, j): 1 for j in range(columns)}
        relation[(i, columns)] = -1
        out.append(relation)
    for j in range(columns + 1):
        relation = {(i, j): 1 for i in range(rows)}
        relation[(rows, j)] = -1
        out.append(relation)
    return out


def determined_cells(published, rows: int, columns: int) -> set[tuple[int, int]]:
    """Hidden cells that the published figures pin down: e_cell lies in the row space of the relations
    restricted to the hidden cells."""
    hidden = sorted(
        (i, j) for i in range(rows + 1) for j in range(columns + 1) if published.values[i][j] is None
    )
    relations = [[Fraction(r.get(cell, 0)) for cell in hidden] for r in _constraints(rows, columns)]
    base = _rank(relations)
    pinned = set()
    for n, cell in enumerate(hidden):
        unit = [Fraction(int(m == n)) for m in range(len(hidden))]
        if _rank([*relations, unit]) == base:
            pinned.add(cell)
    return pinned


tables = st.integers(1, 4).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda columns: st.lists(
            st.lists(st.one_of(st.integers(0, 6), st.integers(0, 40)), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 8))
def test_nothing_small_is_published_and_nothing_hidden_can_be_solved_for(counts, k):
    rows, columns = len(counts), len(counts[0])
    published = suppress(counts, [f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], k)
    full = with_totals(counts)
    for i, row in enumerate(published.values):
        for j, value in enumerate(row):
            if value is None:
                assert full[i][j] >= 1  # so moving one along a cycle keeps every count non-negative
            else:
                assert value == full[i][j]
                assert value == 0 or value >= k
    assert determined_cells(published, rows, columns) == set()


@settings(max_examples=100, deadline=None)
@given(tables)
def test_a_table_with_nothing_small_is_published_whole(counts):
    big = [[0 if v < 3 else v + 10 for v in row] for row in counts]
    published = suppress(big, [str(i) for i in range(len(big))], [str(j) for j in range(len(big[0]))], 5)
    assert published.values == tuple(tuple(r) for r in with_totals(big))
    assert not published.primary and not published.secondary


def test_a_lone_small_cell_takes_partners_with_it():
    published = suppress([[3, 20], [30, 40]], ["f", "m"], ["<25", "25+"], 5)
    assert published.primary == {(0, 0)}
    assert published.values[0][0] is None
    assert len(published.secondary) == 3  # a 4-cycle: the three partners of the small cell
    assert published.shown(0, 0) == "<5"
    assert {published.shown(*cell) for cell in published.secondary} == {"x"}  # not "<5": they are not small
    assert determined_cells(published, 2, 2) == set()


def test_the_checker_sees_a_cell_given_away_by_its_total():
    """The test's own solver must find what a naive primary-only suppression gives away."""
    published = suppress([[3, 20], [30, 40]], ["f", "m"], ["<25", "25+"], 5)
    naive = type(published)(
        published.row_labels,
        published.column_labels,
        tuple(
            tuple(None if (i, j) == (0, 0) else v for j, v in enumerate(r))
            for i, r in enumerate(with_totals([[3, 20], [30, 40]]))
        ),
        published.primary,
        frozenset(),
        5,
    )
    assert determined_cells(naive, 2, 2) == {(0, 0)}


@pytest.mark.parametrize("k", [1, 0, -3])
def test_k_below_two_is_refused(k):
    with pytest.raises(SuppressionError, match="at least 2"):
        suppress([[1]], ["a"], ["b"], k)
