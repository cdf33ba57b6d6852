"""The flat childcare rule (benchmarks/childcare_flat.yaml) written as OpenFisca variables and formulas:
the anchor benchmarks/eligibility.py runs beside the vectorised evaluator on the same caseload (both must
agree on every case). An optional benchmark dependency, not needed by the app:

    .venv/bin/pip install 'OpenFisca-Core==46.0.1'      # or: pip install -e '.[bench]'

One entity (a case), daily periods (the rule decides as of a day), every input and named value a
variable, each formula numpy over the whole caseload as OpenFisca country packages write them. Enum
inputs are their codes and dates day numbers (OpenFisca's date arithmetic works in whole months or years
at best, and the rule counts completed months and years exactly); the parameter values are those of the
rule on the benchmark's date, written in the formulas.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

ACTIVITIES = ["employment", "training", "job_search", "none"]
INCOME_LIMIT_CENTS = np.array([190_000, 230_000, 270_000, 310_000, 350_000, 390_000])
WEEKLY_RATE_CENTS = np.array([[26_000, 15_000, 7_500], [22_000, 12_500, 6_500], [14_000, 9_000, 4_500]])
COPAYMENT_FROM, COPAYMENT_RATE = np.array([0.0, 0.5, 0.75, 0.9]), np.array([0.0, 0.1, 0.2, 0.3])
EPOCH = dt.date(1970, 1, 1).toordinal()


def available() -> bool:
    try:
        import openfisca_core  # noqa: F401
    except ImportError:
        return False
    return True


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = days.astype(np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 - 12 * (mp >= 10)
    return yoe + era * 400 + (month <= 2), month, doy - (153 * mp + 2) // 5 + 1


def _system():
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    case = build_entity(key="case", plural="cases", label="A case", is_person=True)
    day = DateUnit.DAY

    def variable(name: str, kind: type, formula=None, default=None):
        body = {"value_type": kind, "entity": case, "definition_period": day, "label": name}
        if default is not None:
            body["default_value"] = default
        if formula is not None:
            body["formula"] = formula  # OpenFisca reads it from the class, as a plain function
        return type(name, (Variable,), body)

    def as_of(period) -> int:
        return period.start.date.toordinal() - EPOCH

    def child_age(c, period):
        born, today = c("child_birth_date", period), np.array([as_of(period)])
        by, bm, bd = _civil(born)
        ty, tm, td = _civil(today)
        return ty - by - ((tm * 100 + td) < (bm * 100 + bd))

    def months_in_activity(c, period):
        sy, sm, sd = _civil(c("activity_start", period))
        ty, tm, td = _civil(np.array([as_of(period)]))
        return (ty - sy) * 12 + (tm - sm) - (td < sd)

    def age_limit(c, period):
        return np.where(c("child_has_disability", period), 16, 12)

    def household_income_limit(c, period):
        return INCOME_LIMIT_CENTS[np.clip(c("household_size", period), 1, 6) - 1]

    def age_band(c, period):
        age = c("child_age", period)
        return np.where(age < 3, 0, np.where(age < 6, 1, 2))

    def authorised_hours(c, period):
        return np.minimum(c("weekly_care_hours", period), 50.0)

    def care_level(c, period):
        hours = c("authorised_hours", period)
        return np.where(hours >= 30, 0, np.where(hours >= 15, 1, 2))

    def full_weekly_value(c, period):
        return WEEKLY_RATE_CENTS[c("age_band", period), c("care_level", period)]

    def weekly_copayment(c, period):
        # The share in float64: OpenFisca keeps float variables as float32, which moves a share that
        # sits on a bracket's edge (0.5, 0.75, 0.9) across it.
        share = c("household_monthly_income", period) / c("household_income_limit", period).astype(float)
        rate = COPAYMENT_RATE[np.searchsorted(COPAYMENT_FROM, share, side="right") - 1]
        return np.floor(c("full_weekly_value", period) * rate + 0.5).astype(np.int64)

    def eligible(c, period):
        activity, today = c("activity", period), as_of(period)
        working = ((activity <= 1) & (c("weekly_activity_hours", period) >= 16)) | (
            (activity == 2) & (c("months_in_activity", period) < 3)
        )
        return (
            working
            & (c("activity_start", period) <= today)
            & (c("household_monthly_income", period) < c("household_income_limit", period))
            & (c("child_birth_date", period) <= today)
            & (c("child_age", period) < c("age_limit", period))
            & (c("weekly_care_hours", period) > 0)
        )

    def full_value(c, period):
        return np.where(c("eligible", period), c("full_weekly_value", period), 0)

    def copayment(c, period):
        return np.where(c("eligible", period), c("weekly_copayment", period), 0)

    def amount(c, period):
        return c("full_value", period) - c("copayment", period)

    variables = [
        variable("activity", int),  # the index in ACTIVITIES
        variable("weekly_activity_hours", float),
        variable("activity_start", int),  # day number
        variable("household_size", int),
        variable("household_monthly_income", int),  # cents
        variable("child_birth_date", int),
        variable("child_has_disability", bool),
        variable("weekly_care_hours", float),
        variable("child_age", int, child_age),
        variable("months_in_activity", int, months_in_activity),
        variable("age_limit", int, age_limit),
        variable("household_income_limit", int, household_income_limit),
        variable("age_band", int, age_band),
        variable("authorised_hours", float, authorised_hours),
        variable("care_level", int, care_level),
        variable("full_weekly_value", int, full_weekly_value),
        variable("weekly_copayment", int, weekly_copayment),
        variable("eligible", bool, eligible),
        variable("full_value", int, full_value),
        variable("copayment", int, copayment),
        variable("amount", int, amount),
    ]
    system = TaxBenefitSystem([case])
    for v in variables:
        system.add_variable(v)
    return system


_SYSTEM = None


def childcare_openfisca(frame: pd.DataFrame, as_of: dt.date) -> dict[str, np.ndarray]:
    """A simulation of the caseload: its inputs set, the outputs calculated."""
    from openfisca_core.simulations import SimulationBuilder

    global _SYSTEM
    if _SYSTEM is None:
        _SYSTEM = _system()
    builder = SimulationBuilder()
    builder.create_entities(_SYSTEM)
    builder.declare_person_entity("case", np.arange(len(frame)))
    simulation = builder.build(_SYSTEM)
    period = as_of.isoformat()
    day = "datetime64[D]"
    inputs = {
        "activity": frame["activity"].cat.codes.to_numpy().astype(np.int32),
        "weekly_activity_hours": frame["weekly_activity_hours"].to_numpy(),
        "activity_start": frame["activity_start"].to_numpy().astype(day).astype(np.int64),
        "household_size": frame["household_size"].to_numpy(),
        "household_monthly_income": np.round(frame["household_monthly_income"].to_numpy() * 100).astype(
            np.int64
        ),
        "child_birth_date": frame["child_birth_date"].to_numpy().astype(day).astype(np.int64),
        "child_has_disability": frame["child_has_disability"].to_numpy(),
        "weekly_care_hours": frame["weekly_care_hours"].to_numpy(),
    }
    for name, values in inputs.items():
        simulation.set_input(name, period, values)
    return {
        name: simulation.calculate(name, period)
        for name in ("eligible", "amount", "full_value", "copayment", "authorised_hours")
    }
