"""Reading a caseload of households from CSV files in bounded memory, as batches of whole households.

Two ways to give households:
- one members file: a row per member with the column `group` (the household's id), the member's `id`
  (optional) and `role`, its inputs, and the household's inputs repeated on each row. A household's rows
  are consecutive;
- a households file (`group` and the household's inputs) and a members file (`group`, `id`, `role` and
  the member's inputs), the members listed household by household in the households file's order.

Files are read in chunks; a household is never split between two batches. Each batch carries the line
(in its file) of every row, so decisions and errors name the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.core.errors import ValidationFailed
from app.eligibility.family_vector import GROUP

LINE = "__line"  # the row's line in its file (the header is line 1)


@dataclass
class Batch:
    households: pd.DataFrame | None  # None: one members file, households taken from it
    members: pd.DataFrame  # with LINE
    out_of_order: pd.DataFrame  # member rows (LINE, group) that break the order: errors, not decided


def _with_lines(chunks: Iterator[pd.DataFrame], what: str) -> Iterator[pd.DataFrame]:
    line = 2
    for chunk in chunks:
        if GROUP not in chunk.columns:
            raise ValidationFailed(
                "missing_column", f"the {what} file has no column {GROUP!r} (the household's id)", GROUP
            )
        chunk = chunk.reset_index(drop=True)
        chunk[LINE] = np.arange(line, line + len(chunk))
        line += len(chunk)
        yield chunk


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[LINE, GROUP]].reset_index(drop=True)


def from_members_file(chunks: Iterator[pd.DataFrame]) -> Iterator[Batch]:
    """Batches of whole households from one members file (a household's rows consecutive)."""
    held: pd.DataFrame | None = None
    decided: set = set()
    for chunk in _with_lines(chunks, "members"):
        frame = chunk if held is None else pd.concat([held, chunk], ignore_index=True)
        groups = frame[GROUP].to_numpy()
        last_start = len(frame) - 1
        while last_start > 0 and groups[last_start - 1] == groups[-1]:
            last_start -= 1
        held, ready = frame.iloc[last_start:], frame.iloc[:last_start]
        if len(ready):
            yield _checked(ready, decided)
    if held is not None and len(held):
        yield _checked(held, decided)


def _checked(frame: pd.DataFrame, decided: set) -> Batch:
    """Rows of a household decided in an earlier batch break the order: errors; the rest go on."""
    again = frame[GROUP].isin(decided).to_numpy()
    decided.update(frame[GROUP].unique().tolist())
    return Batch(None, frame[~again].reset_index(drop=True), _rows(frame[again]))


def from_two_files(
    household_chunks: Iterator[pd.DataFrame], member_chunks: Iterator[pd.DataFrame]
) -> Iterator[Batch]:
    """Batches pairing each chunk of households with its members. Members are taken until the first
    row of a household of the next chunk; a row taken whose household is not in this chunk is out of
    order (an error, not decided)."""
    households = _with_lines(household_chunks, "households")
    members = _with_lines(member_chunks, "members")
    pending: pd.DataFrame | None = None
    current = next(households, None)
    if current is None:  # no households: every member is out of place
        rows = [_rows(chunk) for chunk in members]
        if rows:
            empty = pd.DataFrame({GROUP: pd.Series(dtype=object), LINE: pd.Series(dtype=np.int64)})
            yield Batch(
                empty, pd.concat(rows, ignore_index=True).iloc[:0], pd.concat(rows, ignore_index=True)
            )
        return
    while current is not None:
        upcoming = next(households, None)
        mine = set(current[GROUP].tolist())
        following = set(upcoming[GROUP].tolist()) if upcoming is not None else set()
        parts = []
        while True:
            if pending is None:
                pending = next(members, None)
                if pending is None:
                    break
            starts_next = (pending[GROUP].isin(following) & ~pending[GROUP].isin(mine)).to_numpy()
            if starts_next.any():
                cut = int(np.argmax(starts_next))
                parts.append(pending.iloc[:cut])
                pending = pending.iloc[cut:].reset_index(drop=True)
                break
            parts.append(pending)
            pending = None
        batch = pd.concat(parts, ignore_index=True) if parts else None
        if batch is None:
            yield Batch(current, current.iloc[:0][[GROUP]].assign(**{LINE: np.int64(0)}), _no_rows())
        else:
            stray = ~batch[GROUP].isin(mine).to_numpy()
            yield Batch(current, batch[~stray].reset_index(drop=True), _rows(batch[stray]))
        current = upcoming


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame({LINE: pd.Series(dtype=np.int64), GROUP: pd.Series(dtype=object)})
