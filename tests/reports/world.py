"""A small ledger and caseload for report tests: three funds, three programmes, four months."""

from __future__ import annotations

import datetime as dt
import itertools

from app.core.crypto import get_vault  # noqa: F401  (the vault must load before sealing)
from app.ledger import dimensions, pooled, service
from app.ledger.operations import Kind, Operation, Target
from app.registry import participants
from app.registry.personal import ParticipantPersonal
from app.vouchers.tables import Voucher
from app.wage_subsidies.tables import Agreement, Placement
from tests.support import SYSTEM

_keys = itertools.count(1)
AUG, SEP, OCT, NOV = (dt.date(2026, m, d) for m, d in ((8, 3), (9, 10), (10, 15), (11, 20)))

FUNDS = (("ESF", "European Social Fund", "EUR"), ("STATE", "State budget", "EUR"), ("UNDP", "UNDP", "USD"))
PROGRAMMES = (
    ("CHILDCARE", "Childcare vouchers", "EUR"),
    ("WAGES", "Wage subsidies", "EUR"),
    ("CASH", "Cash", "USD"),
)


def op(kind: Kind, fund: str, programme: str, amount: int, day: dt.date, party: str = "") -> Operation:
    return Operation(
        kind=kind,
        target=Target(fund, programme, party),
        amount=amount,
        idempotency_key=f"world-{next(_keys)}",
        effective_date=day,
        reference_type="test",
        reference_id="world",
    )


async def build_ledger() -> None:
    for code, name, currency in FUNDS:
        await dimensions.create(SYSTEM, "fund", code, name, currency)
    for code, name, currency in PROGRAMMES:
        await dimensions.create(SYSTEM, "programme", code, name, currency)
    prv, emp, par = "prv_a", "emp_b", "par_c"
    operations = [
        op(Kind.BUDGET_LOAD, "ESF", "CHILDCARE", 1_000_000_00, AUG),
        op(Kind.BUDGET_LOAD, "STATE", "CHILDCARE", 500_000_01, AUG),
        op(Kind.BUDGET_LOAD, "ESF", "WAGES", 300_000_00, AUG),
        op(Kind.BUDGET_LOAD, "UNDP", "CASH", 75_000_00, SEP),
        op(Kind.COMMIT, "ESF", "CHILDCARE", 120_000_00, AUG),
        op(Kind.COMMIT, "STATE", "CHILDCARE", 40_000_33, SEP),
        op(Kind.COMMIT, "ESF", "WAGES", 90_000_00, SEP),
        op(Kind.COMMIT, "UNDP", "CASH", 10_000_00, SEP),
        op(Kind.EXPEND, "ESF", "CHILDCARE", 30_000_17, SEP, prv),
        op(Kind.EXPEND, "STATE", "CHILDCARE", 9_999_99, OCT, prv),
        op(Kind.EXPEND, "ESF", "WAGES", 12_500_00, OCT, emp),
        op(Kind.EXPEND, "UNDP", "CASH", 2_500_50, OCT, par),
        op(Kind.PAY, "ESF", "CHILDCARE", 30_000_17, OCT, prv),
        op(Kind.PAY, "ESF", "WAGES", 10_000_00, NOV, emp),
        op(Kind.RELEASE, "ESF", "CHILDCARE", 5_000_00, NOV),
        op(Kind.BUDGET_LOAD, "ESF", "CHILDCARE", 250_000_00, NOV),  # a revision
        op(Kind.RECEIVABLE, "ESF", "WAGES", 1_000_00, NOV, emp),
        op(Kind.RECOVERY_REPAYMENT, "ESF", "WAGES", 400_00, NOV, emp),
    ]
    await service.apply(SYSTEM, operations)
    await pooled.allocate(SYSTEM, dt.date(2026, 11, 30))  # the donors' shares, posted as memo entries


PEOPLE = (
    # gender, date of birth, programme, start, outcome
    *((("female", dt.date(1999, 1, 1), "CHILDCARE", AUG, "used"),) * 7),
    *((("female", dt.date(1988, 5, 5), "CHILDCARE", SEP, ""),) * 6),
    *((("male", dt.date(1990, 2, 2), "CHILDCARE", SEP, "used"),) * 2),  # a small group
    *((("male", dt.date(1970, 3, 3), "CHILDCARE", OCT, ""),) * 9),
    *((("non_binary", dt.date(2001, 7, 7), "CHILDCARE", OCT, ""),) * 1),  # a group of one
    *((("female", dt.date(1995, 4, 4), "WAGES", dt.date(2025, 9, 1), "kept"),) * 6),
    *((("male", dt.date(1980, 8, 8), "WAGES", dt.date(2026, 3, 1), "left"),) * 5),
)


def _personal(gender: str, birth: dt.date, n: int) -> ParticipantPersonal:
    return ParticipantPersonal(
        given_name=f"Person{n}", family_name="Test", date_of_birth=birth, gender=gender
    )


async def build_caseload() -> None:
    for n, (gender, birth, programme, start, outcome) in enumerate(PEOPLE):
        person = await participants.register(SYSTEM, _personal(gender, birth, n))
        if programme == "CHILDCARE":
            await _voucher(n, person.id, start, claimed=10_00 if outcome == "used" else 0)
        else:
            await _job(n, person.id, start, ended=outcome == "left")


async def _voucher(n: int, participant: str, start: dt.date, claimed: int) -> None:
    await Voucher.insert(
        Voucher(
            public_id=f"vch_w{n}",
            kind="childcare",
            decision=f"dec_w{n}",
            participant=participant,
            fund="ESF",
            programme="CHILDCARE",
            currency="EUR",
            period="month",
            value_minor=100_00,
            valid_from=start,
            valid_until=start + dt.timedelta(days=90),
            total_minor=300_00,
            claimed_minor=claimed,
            code_index=f"idx{n}",
            code_sealed="x",
            holder_check="x",
        )
    )


async def _job(n: int, participant: str, hire: dt.date, ended: bool) -> None:
    end = hire + dt.timedelta(days=200) if ended else None  # past 6 months, short of 12
    await Placement.insert(
        Placement(
            public_id=f"plc_w{n}",
            employer="emp_b",
            participant=participant,
            role="Clerk",
            start_date=hire,
            contracted_hours=3000,
            gross_wage_minor=2000_00,
            status="ended" if ended else "agreed",
            end_date=end,
        )
    )
    await Agreement.insert(
        Agreement(
            public_id=f"agr_w{n}",
            placement=f"plc_w{n}",
            employer="emp_b",
            participant=participant,
            decision=f"dec_j{n}",
            fund="ESF",
            programme="WAGES",
            currency="EUR",
            agreement_date=hire,
            hire_date=hire,
            contracted_hours=3000,
            max_total_minor=10_000_00,
        )
    )
