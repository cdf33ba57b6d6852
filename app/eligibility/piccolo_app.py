"""Piccolo app for stored eligibility decisions and rule versions."""

import os

from piccolo.conf.apps import AppConfig

from app.eligibility.tables import Decision, RuleVersion

APP_CONFIG = AppConfig(
    app_name="eligibility",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[RuleVersion, Decision],
    migration_dependencies=[],
    commands=[],
)
