"""Piccolo app for disbursements."""

import os

from piccolo.conf.apps import AppConfig

from app.disbursements.tables import (
    PaymentDetail,
    PaymentFile,
    PaymentInstruction,
    PaymentLeftOut,
    PaymentLine,
    PaymentPayee,
    PaymentRun,
    PaymentStatusReport,
    StripeEvent,
)

APP_CONFIG = AppConfig(
    app_name="disbursements",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        PaymentDetail,
        PaymentPayee,
        PaymentRun,
        PaymentInstruction,
        PaymentLine,
        PaymentLeftOut,
        PaymentFile,
        PaymentStatusReport,
        StripeEvent,
    ],
    migration_dependencies=[],
    commands=[],
)
