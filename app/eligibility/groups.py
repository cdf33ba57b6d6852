"""Households as a flat member frame: every member of every household in one set of columns, sorted by
household, with the index of each member's household. Reductions over the members of each household
(sum, count, any, all, min, max) and ranks within it, in numpy: no Python loop per household.

They must give, to the last bit, what the one-household evaluator gives (scalar.py adds, in member order,
starting from 0). Whole numbers (and amounts in whole cents) add exactly in any order, so their sums are
differences of one running total; numbers with fractions are added in member order: a loop over the
position in the household (1st members, then 2nd …), as long as the largest household, each step one
numpy operation over every household that has a member at that position.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np


class Groups:
    def __init__(self, member_group: np.ndarray, size: int) -> None:
        """`member_group`: for each member (sorted by household), the index of its household."""
        self.member_group = member_group
        self.size = size
        self.counts = (
            np.bincount(member_group, minlength=size) if len(member_group) else np.zeros(size, np.int64)
        )
        self.ends = np.cumsum(self.counts)
        self.starts = self.ends - self.counts

    @property
    def members(self) -> int:
        return len(self.member_group)

    @cached_property
    def position(self) -> np.ndarray:
        """Each member's place in its household: 0 for the first."""
        return np.arange(self.members) - self.starts[self.member_group]

    @cached_property
    def slots(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each position k: the members at position k and their households."""
        found = []
        largest = int(self.counts.max()) if self.size else 0
        for k in range(largest):
            households = np.flatnonzero(self.counts > k)
            found.append((self.starts[households] + k, households))
        return found

    def project(self, values: Any) -> Any:
        """A household's value for each of its members."""
        return values if np.ndim(values) == 0 else values[self.member_group]

    # -- reductions; `mask`: the members taken (None: all), `values`: one per member
    def _running(self, values: np.ndarray) -> np.ndarray:
        """Per household, the sum of whole numbers (or count of trues): differences of one running total."""
        total = np.empty(len(values) + 1, dtype=np.int64)
        total[0] = 0
        np.cumsum(values, out=total[1:], dtype=np.int64)
        return total[self.ends] - total[self.starts]

    def count(self, mask: np.ndarray | None) -> np.ndarray:
        if mask is None:
            return self.counts.astype(np.int64)
        return self._running(self._full(mask))

    def sum(self, values: Any, mask: np.ndarray | None) -> np.ndarray:
        values = self._full(values)
        if values.dtype.kind in "biu":
            if mask is not None:
                values = np.where(mask, values, 0)
            return self._running(values)
        if mask is not None:
            values = np.where(mask, values, 0.0)
        whole = values.astype(np.int64)
        if (np.abs(whole) < 2**52).all() and np.array_equal(whole, values):
            # Whole numbers (amounts rounded to the cent) add exactly in any order while the totals stay
            # under 2**53: the running total gives what adding in member order gives.
            total = self._running(whole)
            if np.abs(total).max(initial=0) < 2**53:
                return total.astype(np.float64)
        total = np.zeros(self.size, dtype=np.float64)
        mask = None
        for members, households in self.slots:  # in member order, as the one-case evaluator adds
            taken = values[members] if mask is None else np.where(mask[members], values[members], 0.0)
            total[households] = total[households] + taken
        return total

    def extreme(self, values: Any, mask: np.ndarray | None, smallest: bool) -> np.ndarray:
        """min or max of the members taken; 0 where a household has none."""
        values = self._full(values)
        best = np.zeros(self.size, dtype=values.dtype)
        seen = np.zeros(self.size, dtype=bool)
        for members, households in self.slots:
            value, current = values[members], best[households]
            taken = np.ones(len(members), dtype=bool) if mask is None else mask[members]
            better = value < current if smallest else value > current
            replace = taken & (~seen[households] | better)
            best[households] = np.where(replace, value, current)
            seen[households] |= taken
        return np.where(seen, best, 0)

    @cached_property
    def pairs(self) -> list[np.ndarray]:
        """For each distance d ≥ 1: the members with at least d members after them in their household
        (member i pairs with member i + d)."""
        after = self.counts[self.member_group] - self.position - 1
        small = after.astype(np.int16) if len(after) and after.max() < 2**15 else after
        order = np.argsort(small, kind="stable")  # a radix sort for 16-bit numbers
        after_sorted = after[order]
        largest = int(after_sorted[-1]) if len(after_sorted) else 0
        return [order[np.searchsorted(after_sorted, d, side="left") :] for d in range(1, largest + 1)]

    def rank(self, key: Any, mask: np.ndarray | None, descending: bool) -> np.ndarray:
        """1, 2, … within each household by key (ties by position); 0 for members not taken. Each pair
        of members taken in a household is compared once, as the one-household evaluator compares them."""
        key = self._full(key)
        ranks = np.zeros(self.members, dtype=np.int64)
        chosen = np.arange(self.members) if mask is None else np.flatnonzero(self._full(mask))
        if not len(chosen):
            return ranks
        among = Groups(self.member_group[chosen], self.size)  # only the members taken: fewer pairs
        chosen_key = key[chosen]
        chosen_ranks = np.ones(len(chosen), dtype=np.int64)
        for distance, first in enumerate(among.pairs, start=1):
            second = first + distance
            a, b = chosen_key[first], chosen_key[second]
            first_ahead = (a >= b) if descending else (a <= b)  # a tie goes to the earlier member
            chosen_ranks[second] += first_ahead
            chosen_ranks[first] += ~first_ahead
        ranks[chosen] = chosen_ranks
        return ranks

    def _full(self, values: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(values), (self.members,))
