"""Participant counts by programme x gender x age band x month, and the suppressed tables published.

A participant counts once per programme, in the month they first took part (a voucher's first valid day,
a subsidised job's hire date), with their age on that day. Outcomes:
- `vouchers_used`: a voucher of the programme was claimed or paid on (as the voucher stands now);
- `employed_6m`, `employed_12m`: a subsidised job in the programme had lasted 6 (12) months by the as-of
  date, counted from the hire date (the employment had not ended before then).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.registry.demographics import Demographics
from app.reports.facts import month_of
from app.reports.suppression import Published, suppress

GENDERS = ("female", "male", "non_binary", "undisclosed")
AGE_BANDS = ("under 25", "25-34", "35-44", "45-54", "55+", "unknown")  # unknown: not in the registry
MEASURES = ("participants", "vouchers_used", "employed_6m", "employed_12m")
MEASURE_TITLES = {
    "participants": "Participants",
    "vouchers_used": "Used a voucher",
    "employed_6m": "Employment sustained 6 months",
    "employed_12m": "Employment sustained 12 months",
}


@dataclass(frozen=True)
class Taking:
    """One participant's part in one programme."""

    participant: str
    programme: str
    start: dt.date
    used_voucher: bool = False
    hire_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True, order=True)
class CountFact:
    programme: str
    measure: str
    gender: str
    age_band: str
    month: dt.date
    count: int


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    for limit, band in ((25, "under 25"), (35, "25-34"), (45, "35-44"), (55, "45-54")):
        if age < limit:
            return band
    return "55+"


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    target = dt.date(day.year + year, month + 1, 1)
    last = ((target + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)).day
    return target.replace(day=min(day.day, last))


def _sustained(taking: Taking, months: int, as_of: dt.date) -> bool:
    if taking.hire_date is None:
        return False
    milestone = add_months(taking.hire_date, months)
    return milestone <= as_of and (taking.end_date is None or taking.end_date >= milestone)


def count_facts(
    takings: Iterable[Taking], people: dict[str, Demographics], as_of: dt.date
) -> list[CountFact]:
    """Distinct participants per programme and measure, by gender, age band and starting month."""
    starts: dict[tuple[str, str], dt.date] = {}
    reached: dict[tuple[str, str], set[str]] = defaultdict(lambda: {"participants"})
    for t in takings:
        key = (t.participant, t.programme)
        starts[key] = min(starts.get(key, t.start), t.start)
        if t.used_voucher:
            reached[key].add("vouchers_used")
        for months in (6, 12):
            if _sustained(t, months, as_of):
                reached[key].add(f"employed_{months}m")
    counts: dict[tuple[str, str, str, str, dt.date], int] = defaultdict(int)
    for (participant, programme), start in starts.items():
        person = people.get(participant)
        gender = person.gender if person and person.gender in GENDERS else "undisclosed"
        band = age_band(age_on(person.date_of_birth, start)) if person else "unknown"
        for measure in reached[(participant, programme)]:
            counts[(programme, measure, gender, band, month_of(start))] += 1
    return sorted(CountFact(*key, n) for key, n in counts.items())


@dataclass(frozen=True)
class ParticipantTable:
    programme: str
    measure: str
    published: Published


def published_tables(facts: Iterable[CountFact], k: int) -> list[ParticipantTable]:
    """One gender x age-band table per programme and measure, each suppressed on its own."""
    grids: dict[tuple[str, str], list[list[int]]] = {}
    for f in facts:
        grid = grids.setdefault((f.programme, f.measure), [[0] * len(AGE_BANDS) for _ in GENDERS])
        grid[GENDERS.index(f.gender)][AGE_BANDS.index(f.age_band)] += f.count
    programmes = sorted({p for p, _ in grids})
    tables = []
    for programme in programmes:
        for measure in MEASURES:
            grid = grids.get((programme, measure), [[0] * len(AGE_BANDS) for _ in GENDERS])
            tables.append(ParticipantTable(programme, measure, suppress(grid, GENDERS, AGE_BANDS, k)))
    return tables
