"""A line chart of budget, committed, expended and paid over the months, as server-rendered SVG.

No JavaScript and no inline styles (the pages' Content-Security-Policy forbids them): presentation
attributes only. The chart is an image with a title and a description; the page shows the same figures
in a table beside it, which is what screen readers should read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from app.core.money import format_minor

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 92, 16, 16, 56
SERIES_COLOURS = {  # distinguishable for the common colour-vision deficiencies (Okabe-Ito)
    "budget": "#0072B2",
    "committed": "#E69F00",
    "expended": "#D55E00",
    "paid": "#009E73",
}
DASHES = {"budget": "", "committed": "6 3", "expended": "", "paid": "2 3"}


@dataclass(frozen=True)
class Series:
    name: str  # budget, committed, expended, paid
    label: str  # shown in the legend
    values: list[int]  # minor units, one per month (balances at each month's end)


def _nice_top(value: int) -> int:
    """A round upper bound for the axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 100
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(title: str, months: list[dt.date], series: list[Series], currency: str) -> str:
    top = _nice_top(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(months) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * max(value, 0) / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i in range(5):  # grid lines and axis labels
        value = top * i // 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#333">'
            f"{escape(_short(value, currency))}</text>"
        )
    every = max(1, len(months) // 8)
    for i, month in enumerate(months):
        if i % every == 0 or i == len(months) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                f'fill="#333">{month.strftime("%Y-%m")}</text>'
            )
    for s in series:
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values))
        dash = f' stroke-dasharray="{DASHES[s.name]}"' if DASHES.get(s.name) else ""
        colour = SERIES_COLOURS.get(s.name, "#333")
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}>'
            f"<title>{escape(s.label)}</title></polyline>"
        )
    for n, s in enumerate(series):  # legend
        lx = LEFT + n * 130
        colour = SERIES_COLOURS.get(s.name, "#333")
        parts.append(
            f'<line x1="{lx}" x2="{lx + 22}" y1="{HEIGHT - 14}" y2="{HEIGHT - 14}" stroke="{colour}" '
            f'stroke-width="3"/><text x="{lx + 28}" y="{HEIGHT - 10}" font-size="12" fill="#111">'
            f"{escape(s.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(minor: int, currency: str) -> str:
    """An axis label: whole major units with thousands separators, e.g. '1,250,000 EUR'."""
    whole = format_minor(minor, currency).split(".")[0]
    return f"{int(whole):,} {currency}"
