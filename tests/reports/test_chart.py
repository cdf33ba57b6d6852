"""The page's chart: valid SVG whose lines go through the month-end balances."""

from __future__ import annotations

import datetime as dt

from lxml import etree

from app.reports.chart import HEIGHT, Series, line_chart

MONTHS = [dt.date(2026, m, 1) for m in (8, 9, 10, 11)]


def _polylines(svg: str) -> dict[str, list[tuple[float, float]]]:
    root = etree.fromstring(svg.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = {}
    for line in root.findall("s:polyline", ns):
        label = line.find("s:title", ns).text
        lines[label] = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    return lines


def test_the_lines_rise_and_fall_with_the_balances():
    series = [
        Series("budget", "Budget", [100_00, 100_00, 250_00, 250_00]),
        Series("paid", "Paid", [0, 10_00, 10_00, 90_00]),
    ]
    svg = line_chart("ESF CHILDCARE <EUR>", MONTHS, series, "EUR")
    assert "ESF CHILDCARE &lt;EUR&gt;" in svg  # text is escaped
    lines = _polylines(svg)
    budget, paid = lines["Budget"], lines["Paid"]
    assert len(budget) == len(paid) == 4
    xs = [x for x, _ in budget]
    assert xs == sorted(xs) and len(set(xs)) == 4  # one point per month, left to right
    assert budget[0][1] == budget[1][1] > budget[2][1]  # higher on screen = smaller y
    assert paid[0][1] > paid[1][1] == paid[2][1] > paid[3][1]
    assert all(0 <= y <= HEIGHT for _, y in budget + paid)
    assert "style=" not in svg and "<script" not in svg  # the pages' CSP allows neither


def test_an_empty_ledger_month_range_still_draws():
    svg = line_chart("Nothing yet", MONTHS[:1], [Series("budget", "Budget", [0])], "JPY")
    assert _polylines(svg)["Budget"] and "0 JPY" in svg
