"""Piccolo app for reconciliation."""

import os

from piccolo.conf.apps import AppConfig

from app.reconciliation.tables import BankStatementFile, Booking, CheckRun, Match, ReconException

APP_CONFIG = AppConfig(
    app_name="reconciliation",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[BankStatementFile, Booking, Match, ReconException, CheckRun],
    migration_dependencies=[],
    commands=[],
)
