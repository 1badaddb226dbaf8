"""Test harness: a fresh database per test, on SQLite and (when configured) PostgreSQL.

SQLite: one migrated template file per session, copied for each test.
PostgreSQL (TEST_DATABASE_URL): migrated once, every table truncated before each test.
Migrations run in a subprocess with DATABASE_URL forced, because Piccolo resolves
its engine once per process.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

_DATA = Path(tempfile.mkdtemp(prefix="fieldpost-tests-"))
# Before any app module is imported: settings are read once.
os.environ.update(
    DATA_DIR=str(_DATA),
    DATABASE_URL=f"sqlite:///{_DATA / 'unused.db'}",
    SECRET_KEY="test-secret-key",
    ARGON2_TIME_COST="1",
    ARGON2_MEMORY_KIB="8192",
    RUN_JOBS_IN_PROCESS="false",
    DEFAULT_LANGUAGE="zh_CN",
    LOG_LEVEL="WARNING",
)
os.environ.pop("REDIS_URL", None)

import httpx  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.db import all_tables, engine_for, use_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.web.sessions import session_data  # noqa: E402
from tests import factories  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def backends() -> list:
    if PG_URL:
        return ["sqlite", "postgres"]
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI must run the PostgreSQL leg: set TEST_DATABASE_URL")
    return ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends(), scope="session")


def _reset_postgres(url: str) -> None:
    import asyncpg

    async def reset() -> None:
        connection = await asyncpg.connect(url)
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await connection.close()

    # In a thread of its own: the tests' event loop may already be running here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, reset()).result()


@pytest.fixture(scope="session")
def migrated(backend: str) -> str:
    """A migrated database for the backend: the SQLite template file, or the PG schema."""
    if backend == "sqlite":
        url = f"sqlite:///{_DATA / 'template.db'}"
    else:
        url = PG_URL
        _reset_postgres(url)
    migrate(url)
    return url


@pytest.fixture
async def db(backend: str, migrated: str, tmp_path: Path):
    """A fresh, migrated database for this test; every table points at it."""
    if backend == "sqlite":
        path = tmp_path / "fieldpost.db"
        shutil.copy(migrated.removeprefix("sqlite:///"), path)
        engine = engine_for(f"sqlite:///{path}")
    else:
        engine = PostgresEngine(config={"dsn": migrated})
        # Opened here, on the tests' event loop; the app's lifespan runs on another.
        await engine.start_connection_pool(min_size=1, max_size=4)
        names = ", ".join(table._meta.tablename for table in all_tables())
        # The ledger refuses TRUNCATE; a fresh test database is the one exception.
        await engine.run_ddl("ALTER TABLE attendance_event DISABLE TRIGGER attendance_event_no_truncate")
        await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        await engine.run_ddl("ALTER TABLE attendance_event ENABLE TRIGGER attendance_event_no_truncate")
    use_engine(engine)
    yield engine
    await engine.close_connection_pool()


@pytest.fixture
def settings():
    return get_settings()


@pytest.fixture
async def app(db):
    return create_app()


@pytest.fixture
async def client(app):
    """An anonymous browser, driving the app on the tests' own event loop.

    (Litestar's test clients run the app through a thread portal on another loop,
    which an asyncpg pool made on this loop cannot serve.)
    """
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as browser:
        yield browser


@pytest.fixture
def sign_in_as(client, app, settings):
    """Make `client` signed in as `user` by writing its session, not through the form."""

    async def sign_in(user, *, signed_in_at: float | None = None):
        session_id = secrets.token_hex(32)
        data = session_data(user.id, user.session_epoch, signed_in_at or time.time())
        await app.stores.get("sessions").set(
            session_id, json.dumps(data).encode(), expires_in=settings.session_idle_minutes * 60
        )
        client.cookies.set("fp_session", session_id, domain="testserver.local")
        return client

    return sign_in


@pytest.fixture
async def user_of(db):
    async def make(role: str, **kwargs):
        return await factories.user(role, **kwargs)

    return make


def csrf_token(client) -> str:
    """The CSRF cookie's value, as a form or htmx would send it back."""
    return client.cookies.get("fp_csrf", "")


async def fetch_csrf(client) -> str:
    await client.get("/login")
    return csrf_token(client)
