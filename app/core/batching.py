"""Helpers for big batches (hundreds of thousands of records in one go)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(pause: bool = True) -> Iterator[None]:
    """A bulk batch makes hundreds of thousands of small records that are never cyclic; the cyclic garbage
    collector would rescan them over and over (a third of a batch's Python time, growing with its size)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
