"""The `grants` command. Each command group lives in its own module; shared helpers are in common.py.

Heavy modules (pandas, the app, the ORM's tables) are imported inside the commands that use them, so
`grants --help` starts fast.
"""

from __future__ import annotations

import click

from app.cli import accounts, db, keys, ledger, payments, reconciliation, reports, rules, setup, vouchers


@click.group()
def main() -> None:
    """Grant, voucher and subsidy administration."""


for command in (setup.init, setup.demo, setup.serve):
    main.add_command(command)
main.add_command(keys.keys)
main.add_command(db.db)
main.add_command(accounts.users)
main.add_command(accounts.tokens)
main.add_command(ledger.ledger)
main.add_command(rules.rules)
main.add_command(vouchers.vouchers)
main.add_command(payments.payments)
main.add_command(reconciliation.reconcile)
main.add_command(reports.reports)
