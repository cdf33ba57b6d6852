"""The demo's cast: one user per role (and the second people four eyes need), providers, employers,
budgets, households with participants and children. Fictional people with a fixed random seed, so every
demo looks the same; dates are counted from the day it is seeded."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from app.core.actor import Actor
from app.core.roles import Role
from app.core.tables import User
from app.core.users import create_user
from app.ledger import dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry import households, organisations, participants
from app.registry.households import ChildView
from app.registry.organisations import LicenceView
from app.registry.personal import Address, ChildPersonal, Gender, ParticipantPersonal

DEMO_PASSWORD = "demo-password"  # noqa: S105 (printed on start-up; demo data only)
DEMO_DOMAIN = "demo.grants.test"

GIVEN = [
    "Amina",
    "Leila",
    "Sara",
    "Fatima",
    "Hana",
    "Mariam",
    "Nour",
    "Yasmin",
    "Zainab",
    "Rania",
    "Aisha",
    "Dina",
    "Huda",
    "Lina",
    "Salma",
    "Jamila",
    "Noor",
    "Rasha",
    "Samira",
    "Widad",
]
FAMILY = [
    "Haddad",
    "Khalil",
    "Mansour",
    "Nasser",
    "Saleh",
    "Darwish",
    "Farah",
    "Hamdan",
    "Jaber",
    "Karim",
    "Najjar",
    "Qasim",
    "Rahman",
    "Sabbagh",
    "Toma",
    "Yousef",
    "Zaki",
    "Bakr",
    "Aziz",
    "Hilal",
]
CHILD_GIVEN = ["Omar", "Adam", "Lara", "Maya", "Yusuf", "Ali", "Sami", "Tala", "Rami", "Jana"]
CITIES = [
    ("North District", "Riverside"),
    ("East District", "Hillview"),
    ("South District", "Lakeside"),
]

# Two donors pool money into the same programmes; amounts in euro cents.
FUNDS = [("ESF-2026", "European Social Fund 2026"), ("CITY-2026", "City council programme grant 2026")]
PROGRAMMES = [
    ("CHILDCARE", "Childcare vouchers"),
    ("TRANSPORT", "Transport vouchers and stipends"),
    ("WAGE-SUBSIDY", "Wage subsidies for employers"),
]
BUDGETS = {
    ("ESF-2026", "CHILDCARE"): 45_000_000,
    ("ESF-2026", "WAGE-SUBSIDY"): 60_000_000,
    ("CITY-2026", "CHILDCARE"): 15_000_000,
    ("CITY-2026", "TRANSPORT"): 8_000_000,
}

PROVIDERS = [
    "Little Steps Day Care",
    "Sunflower Nursery",
    "Bright Start Childminders",
    "Harbour Kids Club",
]
EMPLOYERS = [
    ("Riverside Bakery Ltd", "REG-10021"),
    ("Hillview Care Homes", "REG-20417"),
    ("Lakeside Logistics", "REG-33190"),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organisation: int | None  # index into organisations_of() of the user's organisation
    look: str  # where this user finds the demo's work


@dataclass(frozen=True)
class Family:
    household: str
    participant: str
    children: list[ChildView]


# One user per role, and the second people four eyes need (a second approver, a releaser), with what each
# finds in the demo. Organisations: 0 is the first childcare provider, 1, 2 and 3 the employers.
LOGINS = [
    DemoLogin("caseworker", "caseworker", None, "/participants: search part of a name (try 'hadd')"),
    DemoLogin(
        "provider", "provider", 0, "/provider/claims: one waits (a line rejected), one paid, one to pay"
    ),
    DemoLogin("employer", "employer", 1, "/employer/claims: one waits; /employer/balance: overpaid"),
    DemoLogin(
        "finance_officer",
        "finance.officer",
        None,
        "/approvals: three claims wait; /payments: two claims to pay",
    ),
    DemoLogin("approver", "approver", None, "/approvals: 2nd approval due; /payments/details: confirm 1"),
    DemoLogin("approver", "approver.2", None, "/approvals: give the care homes' claim its second approval"),
    DemoLogin("finance_officer", "finance.officer.2", None, "/payments: two runs you released, paid"),
    DemoLogin("employer", "employer.2", 2, "/employer/claims: waiting for a second approver"),
    DemoLogin("employer", "employer.3", 3, "/payee: a claim approved, waiting for the next payment run"),
    DemoLogin("budget_holder", "budget.holder", None, "/budget: committed, spent and paid per programme"),
    DemoLogin("auditor", "auditor", None, "/ledger: verify, trial balance, accounts; /audit"),
    DemoLogin("admin", "admin", None, "/admin/users and /admin/organisations"),
]


def month_start(today: dt.date, back: int) -> dt.date:
    """The first day of the month `back` months before today's (negative: after)."""
    months = today.year * 12 + today.month - 1 - back
    return dt.date(months // 12, months % 12 + 1, 1)


def demo_email(login: DemoLogin) -> str:
    return f"{login.email}@{DEMO_DOMAIN}"


async def demo_exists() -> bool:
    return await User.exists().where(User.email == f"admin@{DEMO_DOMAIN}")


async def seed_organisations(system: Actor, today: dt.date) -> list[str]:
    """The providers, then the employers; returns their ids in that order."""
    return await _seed_providers(system, today) + await _seed_employers(system)


def organisations_of(ids: list[str]) -> dict[int, str]:
    """LOGINS' organisation indexes to organisation ids (the first provider, then the employers)."""
    first_employer = len(PROVIDERS) + 1  # the providers and the transport operator come first
    return {0: ids[0]} | {1 + n: ids[first_employer + n] for n in range(len(EMPLOYERS))}


async def _seed_providers(system: Actor, today: dt.date) -> list[str]:
    ids = []
    licensed = (month_start(today, 24), month_start(today, -13) - dt.timedelta(days=1))
    lapsed = (month_start(today, 48), licensed[0] - dt.timedelta(days=1))
    for i, name in enumerate(PROVIDERS):
        start, until = licensed if i < 3 else lapsed  # the last one's licence has lapsed
        view = await organisations.create_provider(
            system,
            name=name,
            address=f"{10 + i} Market Street, {CITIES[i % 3][1]}",
            contact_email=f"office{i + 1}@{DEMO_DOMAIN}",
            contact_phone=f"+353 1 555 01{i:02d}",
            licence=LicenceView(f"CC-{2025 + i}-{1000 + i}", start, until),
        )
        ids.append(view.id)
    operator = await organisations.create_provider(
        system,
        name="Northside Community Transport",
        service="transport",
        contact_email=f"bookings@{DEMO_DOMAIN}",
        licence=LicenceView("PSV-2025-0042", *licensed),
    )
    ids.append(operator.id)
    return ids


async def _seed_employers(system: Actor) -> list[str]:
    ids = []
    for i, (name, reg) in enumerate(EMPLOYERS):
        view = await organisations.create_employer(
            system, name=name, registration_number=reg, contact_email=f"hr{i + 1}@{DEMO_DOMAIN}"
        )
        ids.append(view.id)
    return ids


async def seed_users(system: Actor, organisations: dict[int, str]) -> None:
    for login in LOGINS:
        await create_user(
            system,
            email=demo_email(login),
            display_name=f"Demo {login.email.replace('.', ' ')}",
            roles=frozenset({Role(login.role)}),
            organisation=organisations.get(login.organisation) if login.organisation is not None else None,
            password=DEMO_PASSWORD,
        )


async def seed_budgets(system: Actor, today: dt.date) -> None:
    """The funds and programmes, and their budgets loaded at the start of the story's first year."""
    loaded = month_start(today, 12).replace(month=1)
    for code, name in FUNDS:
        await dimensions.create(system, "fund", code, name, "EUR")
    for code, name in PROGRAMMES:
        await dimensions.create(system, "programme", code, name, "EUR")
    operations = [
        Operation(
            Kind.BUDGET_LOAD,
            Target(fund, programme),
            amount,
            f"demo:budget:{fund}:{programme}",
            loaded,
            f"Budget {fund} for {programme}",
            "budget",
            f"{fund}/{programme}",
        )
        for (fund, programme), amount in BUDGETS.items()
    ]
    await ledger.apply(system, operations)


async def seed_household(system: Actor, rng: random.Random, today: dt.date) -> Family:
    region, city = rng.choice(CITIES)
    household = await households.create_household(system, region)
    family = rng.choice(FAMILY)
    personal = ParticipantPersonal(
        given_name=rng.choice(GIVEN),
        family_name=family,
        date_of_birth=dt.date(rng.randint(1975, 2005), rng.randint(1, 12), rng.randint(1, 28)),
        gender=Gender.FEMALE if rng.random() < 0.85 else Gender.MALE,
        national_id=f"ID{rng.randint(10_000_000, 99_999_999)}",
        address=Address(line1=f"{rng.randint(1, 200)} Cedar Road", city=city, postcode="", country="IE"),
        phone=f"+353 85 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    )
    participant = await participants.register(system, personal, household.id)
    children = []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        born = today - dt.timedelta(days=rng.randint(120, 12 * 365))
        child = await households.add_child(
            system,
            household.id,
            ChildPersonal(
                given_name=rng.choice(CHILD_GIVEN),
                family_name=family,
                date_of_birth=born,
                has_disability=rng.random() < 0.08,
            ),
        )
        children.append(child)
    return Family(household.id, participant.id, children)
