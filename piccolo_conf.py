"""Entry point for the `piccolo` command-line tool; the configuration lives in app/piccolo_conf.py."""

from app.piccolo_conf import APP_REGISTRY, DB

__all__ = ["APP_REGISTRY", "DB"]
