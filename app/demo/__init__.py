"""Demo data that shows the work: `grants demo` seeds it once (it stops if the demo admin exists).

people.py is the cast (users, organisations, budgets, households); story.py plays the months before today
through the services, so every user's queue holds something (see the start-up table of `grants demo`).
"""

from __future__ import annotations

import datetime as dt
import random

from app.core.actor import Actor
from app.core.db import today as utc_today
from app.demo import people, story
from app.demo.people import DEMO_DOMAIN, DEMO_PASSWORD, LOGINS, DemoLogin, demo_email, demo_exists

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "LOGINS",
    "STEPS",
    "DemoLogin",
    "demo_email",
    "demo_exists",
    "seed_demo",
]

HOUSEHOLDS = 30
CHILDCARE_FAMILIES = 7
STEPS = 1 + HOUSEHOLDS + CHILDCARE_FAMILIES + 6  # what seed_demo reports to `progress`


async def seed_demo(progress: story.Progress = lambda _label, _n: None, today: dt.date | None = None) -> None:
    """Seed the demo. `progress(label, n)` is told of each step done (STEPS in all), for a progress bar."""
    day = today or utc_today()
    story.use_demo_bank_account()
    system = Actor.system("demo seed")
    rng = random.Random(20261126)  # noqa: S311 (fictional people, the same in every demo)
    ids = await people.seed_organisations(system, day)
    organisations = people.organisations_of(ids)
    await people.seed_users(system, organisations)
    await people.seed_budgets(system, day)
    progress("organisations, users and budgets", 1)
    families = []
    for _ in range(HOUSEHOLDS):
        families.append(await people.seed_household(system, rng, day))
        progress("households", 1)
    cast = await story.Cast.load()
    childcare = [f for f in families if len(f.children) == 1][:CHILDCARE_FAMILIES]
    others = [f.participant for f in families if f not in childcare]
    provider, bakery, care_homes, logistics = (organisations[n] for n in range(4))

    issued = await story.decide_and_issue(cast, childcare, provider, day, progress)
    await story.provider_claims(cast, issued, day)
    progress("provider claims", 1)
    await story.first_employer(cast, bakery, (others[-1], others[-2]), day)
    progress("wage subsidy claims", 1)
    holders = {
        provider: people.PROVIDERS[0],
        bakery: people.EMPLOYERS[0][0],
        logistics: people.EMPLOYERS[2][0],
    }
    await story.bank_details(cast, holders)
    await story.pay(cast, "CHILDCARE", day)
    await story.pay(cast, "WAGE-SUBSIDY", day)
    progress("payment runs", 1)
    await story.counter_assistant_left(cast, bakery, day)
    progress("an overpayment", 1)
    await story.cohort(cast, care_homes, others[:11], day)
    progress("a claim for two approvers", 1)
    await story.late_provider_claim(cast, issued, day)
    await story.third_employer(cast, logistics, others[11], day)
    await story.details_entered_by_payee(cast, care_homes, people.EMPLOYERS[1][0])
    progress("claims approved since the payment runs", 1)
