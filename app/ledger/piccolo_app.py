"""Piccolo app for the ledger tables."""

import os

from piccolo.conf.apps import AppConfig

from app.ledger.tables import (
    Account,
    ChartAccount,
    ClosedPeriod,
    CostKey,
    Entry,
    Fund,
    LedgerHead,
    Posting,
    Programme,
)

APP_CONFIG = AppConfig(
    app_name="ledger",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Fund, Programme, ChartAccount, Account, Entry, Posting, LedgerHead, ClosedPeriod, CostKey],
    migration_dependencies=[],
    commands=[],
)
