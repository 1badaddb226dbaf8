"""The command line, `python -m app`, run as an operator would, on one SQLite file.

The tests share one database, migrated once for the module; each also passes alone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def run(data_dir):
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'x.db'}",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603  (our own CLI, arguments from this file)
            [sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )

    return run


@pytest.fixture(scope="module")
def query(data_dir):
    def query(sql: str, *params) -> list[tuple]:
        with sqlite3.connect(data_dir / "x.db") as connection:
            return connection.execute(sql, params).fetchall()

    return query


@pytest.fixture(scope="module")
def migrated(run) -> subprocess.CompletedProcess:
    """The first `migrate`, on the empty file."""
    return run("migrate")


def test_migrate_creates_the_tables_and_a_second_run_changes_nothing(migrated, run, query):
    assert migrated.returncode == 0, migrated.stderr
    tables = {name for (name,) in query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"app_user", "audit_entry", "site", "worker", "migration"} <= tables
    applied = query("SELECT name FROM migration ORDER BY id")
    assert applied
    second = run("migrate")
    assert second.returncode == 0, second.stderr
    assert query("SELECT name FROM migration ORDER BY id") == applied


def test_create_admin_once_per_phone(migrated, run, query):
    created = run("create-admin", "--name", "A", "--phone", "13700000000", "--password", "longenough1")
    assert created.returncode == 0, created.stderr
    assert "Admin A (13700000000) created." in created.stdout
    assert query("SELECT name, role FROM app_user WHERE phone = '13700000000'") == [("A", "admin")]

    again = run("create-admin", "--name", "B", "--phone", "13700000000", "--password", "longenough2")
    assert again.returncode == 2
    assert "phone: Someone is already registered with this phone number." in again.stderr
    assert query("SELECT name FROM app_user WHERE phone = '13700000000'") == [("A",)]


def test_create_admin_refuses_a_short_password(migrated, run, query):
    short = run("create-admin", "--name", "C", "--phone", "13700000001", "--password", "short")
    assert short.returncode == 2
    assert "secret: The password needs at least 8 characters." in short.stderr
    assert query("SELECT count(*) FROM app_user WHERE phone = '13700000001'") == [(0,)]


def test_jobs_list_then_run_due(migrated, run, data_dir):
    listed = run("jobs", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "forget-sign-in-failures" in lines
    assert "every   3600s" in lines["forget-sign-in-failures"]
    assert lines["forget-sign-in-failures"].endswith("last run never")

    ran = run("jobs", "run-due")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("ran: ") and "forget-sign-in-failures" in ran.stdout
    marked = json.loads((data_dir / "jobs.json").read_text())
    assert "forget-sign-in-failures" in marked


def test_demo_data_prints_the_sign_ins_and_loads_only_once(migrated, run, query):
    [(before,)] = query("SELECT count(*) FROM app_user")
    loaded = run("demo-data")
    assert loaded.returncode == 0, loaded.stderr
    assert "Demo data loaded." in loaded.stdout
    for role, phone, secret in (("admin", "13800000001", "fieldpost"), ("worker", "13900000001", "1234")):
        assert any(line.split() == [role, phone, secret] for line in loaded.stdout.splitlines())
    users = query("SELECT count(*) FROM app_user")
    assert users == [(before + 65,)]  # five staff and sixty workers

    again = run("demo-data")
    assert again.returncode == 0, again.stderr
    assert "Demo data already present; nothing changed." in again.stdout
    assert "13800000001" in again.stdout
    assert query("SELECT count(*) FROM app_user") == users
