"""Piccolo app for wage subsidies."""

import os

from piccolo.conf.apps import AppConfig

from app.wage_subsidies.tables import Agreement, Overpayment, Placement, Recovery, WageClaim, WageClaimLine

APP_CONFIG = AppConfig(
    app_name="wage_subsidies",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Placement, Agreement, WageClaim, WageClaimLine, Overpayment, Recovery],
    migration_dependencies=[],
    commands=[],
)
