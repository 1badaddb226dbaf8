"""Settings: the only module that reads environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Each field is an environment variable of the same name, upper-cased.

    The README's configuration table documents every one (a test checks).
    """

    data_dir: Path
    database_url: str
    redis_url: str
    secret_key: str
    media_dir: Path
    default_language: str
    host: str
    port: int
    # Passwords and PINs: argon2 cost. Tests lower it; production keeps the defaults.
    argon2_time_cost: int
    argon2_memory_kib: int
    session_idle_minutes: int
    session_max_hours: int
    sign_in_max_failures: int
    sign_in_window_minutes: int
    run_jobs_in_process: bool
    log_level: str
    # Attendance: an event that reaches the server this long after the phone's tap is flagged.
    late_sync_minutes: int
    # HMAC key of the attendance hash chain; kept outside the database on purpose.
    ledger_key: str
    # Group-robot webhooks may point at private, loopback or link-local addresses (and
    # plain http there): for intranet robots and tests. Off by default.
    webhook_allow_private: bool

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        # sqlite:///relative/path or sqlite:////absolute/path
        return Path(self.database_url.removeprefix("sqlite:///"))


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _key(name: str, data_dir: Path) -> str:
    """From the environment, else generated once into the data folder and kept there."""
    if value := os.environ.get(name):
        return value
    path = data_dir / name.lower()
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings() -> Settings:
    env = os.environ.get
    data_dir = Path(env("DATA_DIR", str(ROOT / "data")))
    return Settings(
        data_dir=data_dir,
        database_url=env("DATABASE_URL", f"sqlite:///{data_dir / 'fieldpost.db'}"),
        redis_url=env("REDIS_URL", ""),
        secret_key=_key("SECRET_KEY", data_dir),
        media_dir=Path(env("MEDIA_DIR", str(data_dir / "media"))),
        default_language=env("DEFAULT_LANGUAGE", "zh_CN"),
        host=env("HOST", "127.0.0.1"),
        port=int(env("PORT", "8000")),
        argon2_time_cost=int(env("ARGON2_TIME_COST", "3")),
        argon2_memory_kib=int(env("ARGON2_MEMORY_KIB", "65536")),
        session_idle_minutes=int(env("SESSION_IDLE_MINUTES", "720")),
        session_max_hours=int(env("SESSION_MAX_HOURS", "336")),
        sign_in_max_failures=int(env("SIGN_IN_MAX_FAILURES", "5")),
        sign_in_window_minutes=int(env("SIGN_IN_WINDOW_MINUTES", "15")),
        run_jobs_in_process=_flag(env("RUN_JOBS_IN_PROCESS", "true")),
        log_level=env("LOG_LEVEL", "INFO"),
        late_sync_minutes=int(env("LATE_SYNC_MINUTES", "10")),
        ledger_key=_key("LEDGER_KEY", data_dir),
        webhook_allow_private=_flag(env("WEBHOOK_ALLOW_PRIVATE", "false")),
    )


def setting_names() -> list[str]:
    return [f.name.upper() for f in fields(Settings)]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
