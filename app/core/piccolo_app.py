"""Piccolo app for the core tables."""

import os

from piccolo.conf.apps import AppConfig

from app.core.tables import (
    AdminRequest,
    ApiToken,
    Approval,
    AuditEvent,
    AuditHead,
    IdempotencyRecord,
    KeyCheck,
    Organisation,
    RateLimit,
    User,
    WebSession,
)

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        Organisation,
        User,
        ApiToken,
        WebSession,
        AuditEvent,
        AuditHead,
        RateLimit,
        Approval,
        IdempotencyRecord,
        KeyCheck,
        AdminRequest,
    ],
    migration_dependencies=[],
    commands=[],
)
