"""Arithmetic shared by both evaluators, written once so one case and a caseload agree to the last bit.

Each function takes a `floor` (math.floor for one case, numpy.floor for arrays) and performs the same
IEEE-754 operations in the same order in both modes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Products of amounts and decimal rates can land a hair under .5 in binary (10 x 0.15 = 1.4999...);
# the nudge puts them back before rounding. It is far below a minor unit for any realistic amount.
NUDGE = 1e-9
RELATIVE_NUDGE = 1e-15


def round_half_away(x: Any, floor: Any) -> Any:
    """Half away from zero, to a whole number: 2.5 → 3, -2.5 → -3."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim == 1:
        return _round_array(x)
    y = abs(x)
    r = floor(y + 0.5 + NUDGE + y * RELATIVE_NUDGE)
    return r * ((x >= 0) * 2 - 1)


def round_half_away_scalar(x: Any) -> Any:
    """round_half_away for one Python number: the same operations, without the array check."""
    y = abs(x)
    r = math.floor(y + 0.5 + NUDGE + y * RELATIVE_NUDGE)
    return r * ((x >= 0) * 2 - 1)


def _round_array(x: np.ndarray) -> np.ndarray:
    """The same IEEE operations in the same order as above, in place: fewer temporaries."""
    y = np.abs(x)
    nudge = y * RELATIVE_NUDGE
    y += 0.5
    y += NUDGE
    y += nudge
    np.floor(y, out=y)
    return np.negative(y, out=y, where=x < 0)  # r * -1 where x < 0, as r * ((x >= 0) * 2 - 1)


def round_to(x: Any, digits: int, floor: Any) -> Any:
    scale = 10.0**digits
    return round_half_away(x * scale, floor) / scale


def ceil_from_floor(x: Any, floor: Any) -> Any:
    return -floor(-x)


def divide_scalar(a: Any, b: Any) -> float:
    """Division is total: x / 0 is 0, so one odd case never stops a caseload. Guard it in the rule."""
    return a / b if b != 0 else 0.0
