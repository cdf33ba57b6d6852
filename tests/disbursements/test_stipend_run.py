"""A participant's transport stipend paid by a payment run: the caseworker enters the participant's bank
account (sealed, shown masked), finance confirms it, the run pays the posted stipend month to the
participant, and the SEPA file carries the account opened from its seal."""

from __future__ import annotations

import datetime as dt

from app.core.actor import Actor
from app.core.roles import Role
from app.disbursements import details, release, runs, sepa
from app.vouchers import service as vouchers
from tests.disbursements.world import APPROVER, FINANCE, RELEASER, iban
from tests.support import SYSTEM, run
from tests.vouchers.test_issue import _world
from tests.vouchers.test_stipends import _stipend_voucher

CASEWORKER = Actor(9, "usr_casework00000009", "caseworker", frozenset({Role.CASEWORKER}))


def test_a_stipend_is_paid_to_the_participant_from_the_sealed_account(tmp_path):
    world = run(_world(0))
    participant = world["participant"]
    run(_stipend_voucher(participant))
    run(vouchers.pay_stipends(SYSTEM, dt.date(2026, 3, 1)))
    account = iban()
    entered = run(details.propose(CASEWORKER, participant, "sepa", iban=account, holder="Ada Lovelace"))
    assert entered["account"] == f"{account[:4]} …{account[-4:]}"
    run(details.confirm(FINANCE, entered["id"]))

    made = run(runs.create_run(FINANCE, "TRANSPORT", dt.date(2030, 1, 15)))
    assert made["total"] == "62.00" and made["instructions"] == 1
    view = run(runs.get_run(FINANCE, made["id"], with_instructions=True))["instruction_list"][0]
    assert view["payee"] == participant and view["lines"][0]["source_type"] == "stipend"
    run(runs.approve_run(APPROVER, made["id"]))
    run(release.release_run(RELEASER, made["id"]))
    [path] = run(sepa.export_run(made["id"], tmp_path))
    text = path.read_text()
    assert f"<IBAN>{account}</IBAN>" in text and "<Nm>Ada Lovelace</Nm>" in text
    assert run(runs.payments_for_payee(FINANCE, participant))[0]["status"] == "in_transit"
