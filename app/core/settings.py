"""Runtime settings, read once from the environment (prefix GRANTS_)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_SQLITE_FILE = "grants.sqlite"
DEFAULT_KEY_FILE = ".grants-secret-key"
DEFAULT_LEDGER_KEY_FILE = ".grants-ledger-key"
DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"  # the checkout's rules/ folder


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str | None
    secret_key_file: Path
    ledger_key: str | None = None
    ledger_key_file: Path = Path(DEFAULT_LEDGER_KEY_FILE)
    session_max_age_s: int = 12 * 3600
    secure_cookies: bool = False
    db_pool: bool = True
    approval_second_approver_limit_minor: int = 1_000_000
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    rules_dir: Path = field(default_factory=lambda: DEFAULT_RULES_DIR)
    date_min_year: int = 1900
    password_threads: int = 1
    login_per_address: int = 30  # sign-in attempts per client address per window
    login_per_account: int = 20  # sign-in attempts per e-mail address per window
    login_window_s: int = 60
    date_max_year: int = 2200
    idempotency_ttl_hours: int = 24
    time_zone: str = "UTC"  # the zone whose date is "today" for deadlines and "in the future"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _time_zone(name: str) -> str:
    """An IANA zone name (Europe/Berlin), checked at start-up so a typo fails loudly, not at midnight."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"GRANTS_TIME_ZONE: {name!r} is not a time zone name like Europe/Berlin") from None
    return name


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment; cached because the environment is read at start-up only."""
    return Settings(
        database_url=os.environ.get("GRANTS_DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_FILE}"),
        secret_key=os.environ.get("GRANTS_SECRET_KEY") or None,
        secret_key_file=Path(os.environ.get("GRANTS_SECRET_KEY_FILE", DEFAULT_KEY_FILE)),
        ledger_key=os.environ.get("GRANTS_LEDGER_KEY") or None,
        ledger_key_file=Path(os.environ.get("GRANTS_LEDGER_KEY_FILE", DEFAULT_LEDGER_KEY_FILE)),
        session_max_age_s=int(os.environ.get("GRANTS_SESSION_MAX_AGE_S", 12 * 3600)),
        secure_cookies=_bool("GRANTS_SECURE_COOKIES", False),
        db_pool=_bool("GRANTS_DB_POOL", True),
        approval_second_approver_limit_minor=int(
            os.environ.get("GRANTS_SECOND_APPROVER_LIMIT_MINOR", 1_000_000)
        ),
        rules_dir=Path(os.environ.get("GRANTS_RULES_DIR", DEFAULT_RULES_DIR)),
        date_min_year=int(os.environ.get("GRANTS_DATE_MIN_YEAR", 1900)),
        # Half the machine's cores by default: sign-ins never take all the CPU from other requests.
        password_threads=int(os.environ.get("GRANTS_PASSWORD_THREADS", max(1, (os.cpu_count() or 2) // 2))),
        login_per_address=int(os.environ.get("GRANTS_LOGIN_PER_ADDRESS", 30)),
        login_per_account=int(os.environ.get("GRANTS_LOGIN_PER_ACCOUNT", 20)),
        login_window_s=int(os.environ.get("GRANTS_LOGIN_WINDOW_S", 60)),
        date_max_year=int(os.environ.get("GRANTS_DATE_MAX_YEAR", 2200)),
        idempotency_ttl_hours=int(os.environ.get("GRANTS_IDEMPOTENCY_TTL_HOURS", 24)),
        time_zone=_time_zone(os.environ.get("GRANTS_TIME_ZONE", "UTC")),
        allowed_origins=tuple(
            o.strip() for o in os.environ.get("GRANTS_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ),
    )
