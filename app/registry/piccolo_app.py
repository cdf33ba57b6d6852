"""Piccolo app for the registry tables."""

import os

from piccolo.conf.apps import AppConfig

from app.registry.tables import (
    Child,
    Employer,
    Household,
    Participant,
    ParticipantNameToken,
    Provider,
    ProviderLicence,
)

APP_CONFIG = AppConfig(
    app_name="registry",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Household, Participant, ParticipantNameToken, Child, Provider, ProviderLicence, Employer],
    migration_dependencies=["app.core.piccolo_app"],
    commands=[],
)
