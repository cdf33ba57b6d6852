"""The Beancount export: bean-check accepts it and its balances equal our trial balance."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from beancount import loader
from beancount.core import data

from app.core.money import to_minor
from app.ledger import queries
from app.ledger.beancount_export import account_name, export_to
from app.ledger.operations import Kind
from tests.ledger.helpers import do, setup_dimensions

PARTY = "emp_abc0123456789xyz"
BEAN_CHECK = str(Path(sys.executable).parent / "bean-check")


async def _busy_ledger():
    await setup_dimensions()
    await do(Kind.BUDGET_LOAD, 1_000_000)
    for i in range(5):
        await do(Kind.COMMIT, 100_000 + i)
        await do(Kind.EXPEND, 40_000 + i, PARTY)
        await do(Kind.PAY, 40_000 + i, PARTY)
    await do(Kind.RELEASE, 60_000)
    await do(Kind.RECEIVABLE, 1_234, PARTY)
    await do(Kind.RECOVERY_REPAYMENT, 1_234, PARTY)


def _bean_balances(path: Path) -> dict[str, int]:
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                sums[posting.account] += posting.units.number
    return {name: to_minor(total, "EUR") for name, total in sums.items()}


async def test_export_passes_bean_check_and_matches_our_balances(tmp_path):
    await _busy_ledger()
    out = tmp_path / "ledger.beancount"
    assert await export_to(out) > 50
    check = _bean_check(out)
    assert check.returncode == 0, check.stdout + check.stderr
    theirs = _bean_balances(out)
    ours = {
        account_name(_bean_root(b.code), b.fund, b.programme, b.party): b.balance
        for b in await queries.account_balances()
    }
    assert {k: v for k, v in theirs.items() if v} == {k: v for k, v in ours.items() if v}
    tb = await queries.trial_balance()
    assert sum(theirs.values()) == 0 and tb.balanced


async def test_bean_check_catches_a_wrong_balance(tmp_path):
    await _busy_ledger()
    out = tmp_path / "ledger.beancount"
    await export_to(out)
    text = out.read_text().replace("Assets:Cash:ESF:CHILDCARE  ", "Assets:Cash:ESF:CHILDCARE  1", 1)
    out.write_text(text)
    check = _bean_check(out)
    assert check.returncode != 0


def _bean_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([BEAN_CHECK, str(path)], capture_output=True, text=True, check=False)  # noqa: S603


def _bean_root(code: str) -> str:
    from app.ledger.chart import BY_CODE

    return BY_CODE[code].beancount_name


def test_the_api_export_is_whole_or_an_error(people):
    """The export streamed as it read: a failure half-way (here an entry dated at infinity, written behind
    dropped triggers) came as a 200 that broke off (this test failed then)."""
    from app.core.db import engine, is_postgres, raw
    from app.core.roles import Role
    from app.ledger import append_only
    from tests.support import run

    run(setup_dimensions())
    run(do(Kind.BUDGET_LOAD, 10_000))
    good = people.call(Role.AUDITOR, "GET", "/api/v1/ledger/export/ledger.beancount")
    assert good.status_code == 200 and "balance" in good.text
    run(append_only.uninstall(engine()))
    bad = "infinity" if is_postgres() else "not a date"
    run(raw(f"UPDATE ledger_entry SET effective_date = '{bad}' WHERE id = 1"))
    broken = people.call(Role.AUDITOR, "GET", "/api/v1/ledger/export/ledger.beancount")
    assert broken.status_code == 500
    assert broken.json()["error"]["code"] == "internal_error"
