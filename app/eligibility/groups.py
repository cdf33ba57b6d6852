"""Households as a flat member frame: every member of every household in one set of columns, sorted by
household, with the index of each member's household. Reductions over the members of each household
(sum, count, any, all, min, max) and ranks within it, in numpy: no Python loop per household.

They must give, to the last bit, what the one-household evaluator gives (scalar.py adds, in member order,
starting from 0): bincount adds in that order. min and max take one reduceat over each household's
members where no NaN or signed zero could make it differ from comparing them one by one; otherwise a loop
over the position in the household (1st members, then 2nd …), as long as the largest household, each
step one numpy operation over every household that has a member at that position.
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
    @cached_property
    def largest(self) -> int:
        return int(self.counts.max()) if self.size else 0

    def _in_order(self, values: np.ndarray) -> np.ndarray:
        """Per household, the float64 sum of its members' values added in member order from 0.0, as
        the one-household evaluator adds: bincount adds each value to its household's total one
        after the other (tests/property/test_groups.py holds it to that, bit for bit)."""
        return np.bincount(self.member_group, weights=values, minlength=self.size)

    def _running(self, values: np.ndarray) -> np.ndarray:
        """Per household, the sum of whole numbers (or count of trues): differences of one running total."""
        total = np.empty(len(values) + 1, dtype=np.int64)
        total[0] = 0
        np.cumsum(values, out=total[1:], dtype=np.int64)
        return total[self.ends] - total[self.starts]

    def count(self, mask: np.ndarray | None) -> np.ndarray:
        if mask is None:
            return self.counts.astype(np.int64)
        return self._in_order(self._full(mask)).astype(np.int64)  # counts are far below 2**53

    def any(self, mask: np.ndarray) -> np.ndarray:
        """Whether any member of each household is in the mask."""
        return self._in_order(self._full(mask)) > 0

    def _bound(self, values: np.ndarray) -> float:
        """The largest magnitude a partial sum of a household's values can reach (inf: not finite)."""
        if not self.members:
            return 0.0
        low, high = float(values.min()), float(values.max())
        if not (np.isfinite(low) and np.isfinite(high)):
            return np.inf
        return max(-low, high, 0.0) * self.largest

    def sum(self, values: Any, mask: np.ndarray | None) -> np.ndarray:
        values = self._full(values)
        if values.dtype.kind in "biu":
            taken = values if mask is None else values * mask  # exact: integers times 0 or 1
            if self._bound(taken) < 2**53:  # every partial sum exact in float64
                return self._in_order(taken).astype(np.int64)
            return self._running(taken)
        if mask is None:
            return self._in_order(values)
        # A member not taken adds 0.0 (or -0.0), which changes no total that starts from 0.0; where
        # a value is infinite or NaN, multiplying by 0 would give NaN: take 0.0 instead.
        finite = self.members and np.isfinite(values.min() + values.max())
        return self._in_order(values * mask if finite else np.where(mask, values, 0.0))

    def extreme(self, values: Any, mask: np.ndarray | None, smallest: bool) -> np.ndarray:
        """min or max of the members taken; 0 where a household has none."""
        values = self._full(values)
        if self.members and not self.has_empty:
            fast = self._reduced_extreme(values, mask, smallest)
            if fast is not None:
                return fast
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

    def _reduced_extreme(self, values: np.ndarray, mask: np.ndarray | None, smallest: bool) -> Any:
        """extreme() by one reduceat over each household's members, where it is sure to agree with
        comparing them one by one: no NaN (which compares false), and no signed zero (-0.0 equals
        0.0, and the one-by-one comparison keeps the first of equals). None where it is not."""
        if values.dtype.kind == "f":
            low, high = values.min(), values.max()
            if np.isnan(low) or (low <= 0 <= high and np.signbit(values).any()):
                return None
            sentinel: Any = np.inf if smallest else -np.inf
        elif values.dtype.kind in "iu":
            info = np.iinfo(values.dtype)
            sentinel = info.max if smallest else info.min
        else:
            return None
        taken = values if mask is None else np.where(mask, values, sentinel)
        reduce = np.minimum if smallest else np.maximum
        best = reduce.reduceat(taken, self.starts)
        if mask is None:
            return best
        return np.where(self.any(mask), best, 0).astype(values.dtype, copy=False)

    @cached_property
    def has_empty(self) -> bool:
        """Whether some household has no member (reduceat cannot give an empty segment)."""
        return bool(self.size and self.counts.min() == 0)

    @cached_property
    def pairs(self) -> list[np.ndarray]:
        """For each distance d ≥ 1: the members with at least d members after them in their household
        (member i pairs with member i + d)."""
        after = self.ends[self.member_group] - np.arange(self.members) - 1
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
