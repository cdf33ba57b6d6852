"""Demo data: one user per role, providers, employers, households with participants and children.

Fictional people with a fixed random seed, so every demo looks the same. Safe to run twice: it stops
if the demo admin exists.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from app.core.actor import Actor
from app.core.roles import Role
from app.core.tables import User
from app.core.users import create_user
from app.ledger import dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.registry import households, organisations, participants
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
    organisation: str | None


async def demo_exists() -> bool:
    return await User.exists().where(User.email == f"admin@{DEMO_DOMAIN}")


async def seed_demo(
    progress: Callable[[str, int], None] = lambda _label, _n: None,
) -> list[DemoLogin]:
    """Create the demo data. `progress(label, n)` is told of each step, for a progress bar."""
    rng = random.Random(20261126)
    system = Actor.system("demo seed")
    provider_ids = await _seed_providers(system)
    employer_ids = await _seed_employers(system)
    logins = await _seed_users(system, provider_ids[0], employer_ids[0])
    await _seed_budgets(system)
    progress("organisations, users and budgets", len(PROVIDERS) + len(EMPLOYERS) + len(logins))
    for _ in range(30):
        await _seed_household(system, rng)
        progress("households", 1)
    await _seed_wage_subsidy(system, employer_ids[0])
    return logins


async def _seed_wage_subsidy(system: Actor, employer: str) -> None:
    """The demo employer, verified, with one subsidised hire and its agreement committed."""
    from app.registry.tables import Participant
    from app.wage_subsidies import placements

    await organisations.verify_employer(system, employer)
    hired = await Participant.select(Participant.public_id).order_by(Participant.id).first()
    hire = placements.PlacementIn(
        employer, hired["public_id"], "Bakery assistant", dt.date(2026, 1, 12), 3_000, "1500.00"
    )
    placement = await placements.create_placement(system, hire)
    terms = placements.AgreementIn("ESF-2026", dt.date(2026, 1, 5), True, False, False)
    await placements.sign_agreement(system, placement["id"], terms)


async def _seed_providers(system: Actor) -> list[str]:
    ids = []
    for i, name in enumerate(PROVIDERS):
        start = dt.date(2025, 1, 1) if i < 3 else dt.date(2024, 1, 1)
        until = dt.date(2027, 12, 31) if i < 3 else dt.date(2025, 12, 31)  # the last one has lapsed
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
        licence=LicenceView("PSV-2025-0042", dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
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


async def _seed_users(system: Actor, provider_id: str, employer_id: str) -> list[DemoLogin]:
    logins = []
    for role in Role:
        organisation = {Role.PROVIDER: provider_id, Role.EMPLOYER: employer_id}.get(role)
        email = f"{role.value.replace('_', '.')}@{DEMO_DOMAIN}"
        await create_user(
            system,
            email=email,
            display_name=f"Demo {role.value.replace('_', ' ')}",
            roles=frozenset({role}),
            organisation=organisation,
            password=DEMO_PASSWORD,
        )
        logins.append(DemoLogin(role.value, email, organisation))
    return logins


async def _seed_budgets(system: Actor) -> None:
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
            dt.date(2026, 1, 1),
            f"Budget {fund} for {programme}",
            "budget",
            f"{fund}/{programme}",
        )
        for (fund, programme), amount in BUDGETS.items()
    ]
    await ledger.apply(system, operations)


async def _seed_household(system: Actor, rng: random.Random) -> None:
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
    await participants.register(system, personal, household.id)
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        born = dt.date.today() - dt.timedelta(days=rng.randint(120, 12 * 365))
        await households.add_child(
            system,
            household.id,
            ChildPersonal(
                given_name=rng.choice(CHILD_GIVEN),
                family_name=family,
                date_of_birth=born,
                has_disability=rng.random() < 0.08,
            ),
        )
