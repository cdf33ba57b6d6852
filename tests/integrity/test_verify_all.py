"""`grants ledger verify` and `GET /api/v1/ledger/verify` run the same complete set of checks: the ledger's
keyed chain and balances, the audit log's chain, and the money kept outside the ledger recomputed from it.
Each check is broken here directly in the database, as someone with the database's rights could, and
both the command and the API must name the row."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from app.cli import main
from app.core import append_only as core_append_only
from app.core import audit_chain
from app.core.db import engine, raw
from app.core.roles import Role
from app.ledger import append_only, dimensions
from app.ledger import service as ledger
from app.ledger.operations import Kind, Operation, Target
from app.vouchers import service as vouchers
from tests.support import SYSTEM, run
from tests.vouchers.test_claims import _line, _submit, _voucher
from tests.vouchers.test_stipends import _stipend_voucher
from tests.wage_subsidies.test_journey import agreed_placement, claim


def _wage_world(people) -> dict[str, str]:
    """A signed agreement with an approved employer claim (the fund ESF exists already)."""
    run(dimensions.create(SYSTEM, "programme", "WAGE-SUBSIDY", "Wage subsidies", "EUR"))
    load = Operation(
        Kind.BUDGET_LOAD, Target("ESF", "WAGE-SUBSIDY"), 5_000_000, "load-w", dt.date(2026, 1, 1)
    )
    run(ledger.apply_one(SYSTEM, load))
    assert people.call(Role.CASEWORKER, "POST", f"/api/v1/employers/{people.employer_org}/verify").is_success
    placement = agreed_placement(people, "2026-01-12", "1800.00")
    line = {"placement": placement["id"], "gross_wage": "1161.29", "hours_worked": 112}
    wage_claim = claim(people, "2026-01", [line])
    approved = people.call(
        Role.FINANCE_OFFICER, "POST", f"/api/v1/wage-claims/{wage_claim['id']}/approve", json={}
    )
    assert approved.status_code == 200, approved.text
    return {"agreement": placement["agreement"]["id"], "wage_claim": wage_claim["id"]}


@pytest.fixture
def world(people, monkeypatch):
    """Money in every place verify recomputes: a childcare voucher with an approved provider claim, a
    stipend voucher paid one month and then revoked (a release), a wage agreement with an approved claim;
    the audit log sealed."""
    monkeypatch.setattr("app.vouchers.api.today", lambda: dt.date(2026, 4, 10))
    monkeypatch.setattr("app.wage_subsidies.api.today", lambda: dt.date(2026, 10, 5))
    voucher = _voucher(people)
    submitted = _submit(people, [_line(voucher["code"])]).json()
    approved = people.call(Role.FINANCE_OFFICER, "POST", f"/api/v1/claims/{submitted['id']}/approve", json={})
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    participant = run(raw("SELECT participant FROM voucher WHERE public_id = {}", voucher["id"]))[0][
        "participant"
    ]
    stipend = run(_stipend_voucher(participant))
    run(vouchers.pay_stipends(SYSTEM, dt.date(2026, 3, 1)))
    run(vouchers.revoke(SYSTEM, stipend["id"], "moved away", dt.date(2026, 4, 1), dt.date(2026, 4, 1)))
    found = {
        "voucher": voucher["id"],
        "claim": submitted["id"],
        "stipend": stipend["id"],
        **_wage_world(people),
    }
    run(audit_chain.seal())
    # the attacker owns the tables and drops the append-only triggers
    run(append_only.uninstall(engine()))
    run(core_append_only.uninstall(engine(), [audit_chain.SPEC]))
    return found


def _both(people) -> tuple[dict, str, int]:
    """The API's answer, the command's output and its exit status."""
    api = people.call(Role.AUDITOR, "GET", "/api/v1/ledger/verify")
    assert api.status_code == 200, api.text
    cli = CliRunner().invoke(main, ["ledger", "verify"])
    return api.json(), " ".join((cli.stdout + cli.stderr).split()), cli.exit_code


def test_an_untouched_world_verifies_the_same_everywhere(people, world):
    api, cli, status = _both(people)
    assert api["ok"] is True and api["problems"] == [], api["problems"]
    assert status == 0 and f"head {api['head_hash']}" in cli
    assert len(api["checks"]) == 6
    for check in api["checks"]:
        assert f"checked {check}" in cli


# (what is broken, the SQL breaking it with {names} from the world, the problem kind, where it is named)
BREAKS = [
    ("chain", "UPDATE ledger_entry SET description = 'nothing' WHERE id = 2", "edited", "je_2"),
    ("balance", "UPDATE ledger_account SET balance = balance + 1 WHERE id = 1", "balance_mismatch", "acc_1"),
    (
        "audit",
        "UPDATE audit_event SET actor_label = 'someone else' WHERE chain_seq = 3",
        "audit_edited",
        "{audit_3}",
    ),
    (
        "voucher total",
        "UPDATE voucher SET total_minor = total_minor + 100 WHERE public_id = '{voucher}'",
        "voucher_total_mismatch",
        "{voucher}",
    ),
    (
        "voucher released",
        "UPDATE voucher SET released_minor = released_minor - 1 WHERE public_id = '{stipend}'",
        "voucher_released_mismatch",
        "{stipend}",
    ),
    (
        "voucher claimed",
        "UPDATE voucher SET claimed_minor = claimed_minor - 100 WHERE public_id = '{voucher}'",
        "voucher_claimed_mismatch",
        "{voucher}",
    ),
    (
        "voucher overclaimed",
        "UPDATE voucher SET claimed_minor = total_minor + 1 WHERE public_id = '{voucher}'",
        "voucher_overclaimed",
        "{voucher}",
    ),
    (
        "stipend paid",
        "UPDATE voucher_stipend_payment SET amount_minor = amount_minor + 1 WHERE voucher = '{stipend}'",
        "voucher_stipend_mismatch",
        "{stipend}",
    ),
    ("voucher deleted", "DELETE FROM voucher WHERE public_id = '{stipend}'", "voucher_missing", "{stipend}"),
    (
        "claim approved",
        "UPDATE voucher_claim SET approved_minor = approved_minor + 100 WHERE public_id = '{claim}'",
        "claim_approved_mismatch",
        "{claim}",
    ),
    (
        "claim line approved",
        "UPDATE voucher_claim_line SET amount_approved_minor = amount_approved_minor + 1 WHERE claim = '{claim}'",
        "claim_lines_mismatch",
        "{claim}",
    ),
    (
        "claim deleted",
        "DELETE FROM voucher_claim WHERE public_id = '{claim}'",
        "voucher_claim_missing",
        "{claim}",
    ),
    (
        "agreement total",
        "UPDATE wage_agreement SET max_total_minor = max_total_minor * 2 WHERE public_id = '{agreement}'",
        "agreement_total_mismatch",
        "{agreement}",
    ),
    (
        "agreement released",
        "UPDATE wage_agreement SET released_minor = 100 WHERE public_id = '{agreement}'",
        "agreement_released_mismatch",
        "{agreement}",
    ),
    (
        "agreement expended",
        "UPDATE wage_agreement SET expended_minor = expended_minor - 1 WHERE public_id = '{agreement}'",
        "agreement_expended_mismatch",
        "{agreement}",
    ),
    (
        "agreement overspent",
        "UPDATE wage_agreement SET expended_minor = max_total_minor + 1 WHERE public_id = '{agreement}'",
        "agreement_overspent",
        "{agreement}",
    ),
    (
        "wage claim approved",
        "UPDATE wage_claim SET approved_minor = approved_minor + 1 WHERE public_id = '{wage_claim}'",
        "wage_claim_approved_mismatch",
        "{wage_claim}",
    ),
    (
        "wage claim line approved",
        "UPDATE wage_claim_line SET amount_approved_minor = amount_approved_minor + 1 "
        "WHERE claim = '{wage_claim}'",
        "wage_claim_lines_mismatch",
        "{wage_claim}",
    ),
]


@pytest.mark.parametrize(("what", "sql", "kind", "where"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_check_names_the_row_broken_behind_its_back(people, world, what, sql, kind, where):
    audit_3 = run(raw("SELECT public_id FROM audit_event WHERE chain_seq = 3"))[0]["public_id"]
    names = {**world, "audit_3": audit_3}
    run(raw(sql.format(**names)))
    api, cli, status = _both(people)
    expected = where.format(**names)
    found = {(p["kind"], p["where"]) for p in api["problems"]}
    assert api["ok"] is False and (kind, expected) in found, api["problems"]
    assert status == 1
    for p in api["problems"]:  # the command reports exactly what the API does
        assert f"{p['kind']} at {p['where']}: {' '.join(p['message'].split())}" in cli
