"""Payment details: IBANs and BICs checked (bad ones refused by name), a person's bank account sealed, every
change audited and confirmed by a second person, and a payee left out of runs (with the reason) while a
change waits, while paused, or without details."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from app.core.errors import Conflict, Forbidden, ValidationFailed
from app.core.roles import Role
from app.disbursements import details, runs
from app.registry.participants import register
from app.registry.personal import ParticipantPersonal
from tests.disbursements.world import (
    APPROVER,
    FINANCE,
    PROGRAMME,
    approved_claims,
    confirmed_bank,
    iban,
    providers,
)
from tests.support import PERSON_EXAMPLE, SYSTEM, row_counts, run

PAY_DATE = dt.date(2030, 1, 15)


@pytest.mark.parametrize(
    ("iban_text", "bic", "code", "param"),
    [
        ("DE88370400440532013000", "", "invalid_iban", "iban"),  # wrong check digits
        ("XX89370400440532013000", "", "invalid_iban", "iban"),  # no such country
        ("DE8937040044053201300", "", "invalid_iban", "iban"),  # too short
        ("DE89370400440532013000", "ZZZZDEFFXXX", "unknown_bic", "bic"),
        ("DE89370400440532013000", "COBA", "invalid_bic", "bic"),
        ("CH9300762011623852957", "", "bic_required", "bic"),  # outside the EEA; the bank not known
    ],
)
def test_bad_bank_details_are_refused_by_name(iban_text, bic, code, param):
    payee = run(providers(1))[0]
    before = run(row_counts())
    with pytest.raises(ValidationFailed) as refused:
        run(details.propose(FINANCE, payee, "sepa", iban=iban_text, bic=bic, holder="Little Stars Ltd"))
    assert (refused.value.code, refused.value.param) == (code, param)
    assert run(row_counts()) == before


def test_a_change_needs_a_second_person_and_blocks_payment_until_confirmed():
    payee = run(providers(1))[0]
    run(approved_claims([payee], 1, 10_000))
    made = run(
        details.propose(FINANCE, payee, "sepa", iban="DE89 3704 0044 0532 0130 00", holder="Little Stars")
    )
    assert made["status"] == "pending" and made["account"] == "DE89 …3000"
    with pytest.raises(Forbidden):
        run(details.confirm(FINANCE, made["id"]))  # whoever entered it
    with pytest.raises(Conflict):
        run(details.propose(FINANCE, payee, "stripe", stripe_account="acct_1Abc"))  # one change at a time
    left = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert left["instructions"] == 0
    assert [x["reason_code"] for x in left["left_out_payees"]] == ["details_unconfirmed"]
    run(runs.cancel_run(FINANCE, left["id"], "details to confirm first"))
    run(details.confirm(APPROVER, made["id"]))
    view = run(details.payee_view(FINANCE, payee))
    assert view["payable"] and view["current"]["id"] == made["id"] and view["pending"] is None

    change = run(details.propose(FINANCE, payee, "sepa", iban=iban(), holder="Little Stars"))
    blocked = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert [x["reason_code"] for x in blocked["left_out_payees"]] == ["details_unconfirmed"]
    run(runs.cancel_run(FINANCE, blocked["id"], "wait"))
    run(details.reject(APPROVER, change["id"], "the payee did not ask for this change"))
    run(details.set_paused(FINANCE, payee, True, "fraud check"))
    paused = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert [x["reason"] for x in paused["left_out_payees"]] == ["payments paused: fraud check"]
    run(runs.cancel_run(FINANCE, paused["id"], "wait"))
    run(details.set_paused(FINANCE, payee, False, ""))
    paid = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert paid["instructions"] == 1 and paid["left_out"] == 0


def test_a_run_leaves_out_payees_without_details_and_never_takes_a_payable_twice():
    with_details, without = run(providers(2))
    run(approved_claims([with_details, without], 2, 5_000))
    run(confirmed_bank(with_details))
    first = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))
    assert first["instructions"] == 1 and first["total"] == "100.00"
    assert first["left_out_payees"][0]["payee"] == without
    assert first["left_out_payees"][0]["reason_code"] == "no_payment_details"
    second = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))  # the payables are in the first run
    assert second["instructions"] == 0


def test_the_unique_index_refuses_a_second_live_line_for_a_payable():
    payee = run(providers(1))[0]
    run(approved_claims([payee], 1, 5_000))
    run(confirmed_bank(payee))
    made = run(runs.create_run(FINANCE, PROGRAMME, PAY_DATE))

    async def duplicate():
        from app.core.db import write_transaction
        from app.core.sql import Sql

        async with write_transaction():
            sql = Sql()
            line = (await sql.fetch("SELECT * FROM payment_line WHERE run = $1", made["id"]))[0]
            line.pop("id")
            await sql.insert_many("payment_line", list(line), [tuple(line.values())])

    with pytest.raises(Exception, match=r"(?i)unique"):
        run(duplicate())


def test_a_participants_bank_account_is_sealed_and_only_masked_in_views(people):
    person = msgspec.convert(dict(PERSON_EXAMPLE, national_id="XQ-55500011"), ParticipantPersonal)
    participant = run(register(SYSTEM, person, None)).id
    caseworker = people.make(Role.CASEWORKER)
    response = people.call(
        Role.CASEWORKER,
        "POST",
        f"/api/v1/payees/{participant}/payment-details",
        json={"method": "sepa", "iban": "DE89370400440532013000", "holder": "Zephyrine Quillfeather"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["account"] == "DE89 …3000" and caseworker
    stored = run(_stored(response.json()["id"]))
    assert stored["sealed"] and "DE89370400440532013000" not in stored["bank"]
    assert "Quillfeather" not in stored["bank"]
    assert details.open_bank(stored).iban == "DE89370400440532013000"
    audit = people.call(Role.AUDITOR, "GET", f"/api/v1/audit-events?entity_id={participant}")
    assert "DE89370400440532013000" not in audit.text
    refused = people.call(
        Role.FINANCE_OFFICER,
        "POST",
        f"/api/v1/payees/{participant}/payment-details",
        json={"method": "sepa", "iban": "DE89370400440532013000", "holder": "Z Q"},
    )
    assert refused.status_code == 403


async def _stored(detail_id: str) -> dict:
    from app.core.db import write_transaction
    from app.core.sql import Sql

    async with write_transaction():
        return (await Sql().fetch("SELECT * FROM payment_detail WHERE public_id = $1", detail_id))[0]
