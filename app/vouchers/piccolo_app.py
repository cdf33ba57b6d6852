"""Piccolo app for vouchers."""

import os

from piccolo.conf.apps import AppConfig

from app.vouchers.tables import Claim, ClaimLine, StipendPayment, Voucher

APP_CONFIG = AppConfig(
    app_name="vouchers",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Voucher, Claim, ClaimLine, StipendPayment],
    migration_dependencies=["app.registry.piccolo_app"],
    commands=[],
)
