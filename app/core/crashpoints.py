"""Named points where a test can have the process killed (SIGKILL, as `kill -9` would), to prove that work
interrupted there leaves nothing half-done. Set GRANTS_CRASH_AT=<name> in a child process; unset, a
crash point costs one dictionary lookup."""

from __future__ import annotations

import os
import signal


def reached(name: str) -> None:
    if os.environ.get("GRANTS_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
