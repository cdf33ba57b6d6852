"""Time travel for tests: while a step runs "on" a day, every module's `today()` and `utcnow()` say that
day (noon UTC, plus the real time elapsed, so timestamps still increase), and so the records' timestamps
and the ledger's effective dates both carry it."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections.abc import Iterator

import pytest

from app.core import db


def _is(value: object, name: str) -> bool:
    """One of app.core.db's own functions (by name: a module reloaded by another test holds a copy)."""
    return callable(value) and getattr(value, "__module__", "") == db.__name__ and value.__name__ == name


@contextlib.contextmanager
def on(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> Iterator[None]:
    start = time.monotonic()
    noon = dt.datetime.combine(day, dt.time(12), dt.UTC)

    def fake_utcnow() -> dt.datetime:
        return noon + dt.timedelta(seconds=time.monotonic() - start)

    def fake_today() -> dt.date:
        return day

    with monkeypatch.context() as patch:
        for module in list(sys.modules.values()):
            if module is None or not getattr(module, "__name__", "").startswith(("app", "tests", "test_")):
                continue
            for attribute, value in list(vars(module).items()):  # also `today as db_today`
                if _is(value, "today"):
                    patch.setattr(module, attribute, fake_today)
                elif _is(value, "utcnow"):
                    patch.setattr(module, attribute, fake_utcnow)
        yield
