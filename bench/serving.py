"""What the benches that serve the app share: the databases they run on, and a real uvicorn.

Each bench fills a throw-away SQLite database, then, when TEST_DATABASE_URL (or
BENCH_DATABASE_URL) names a PostgreSQL server, a scratch database there that is made
and dropped around its run. The app is served as `python -m app serve` serves it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
# uvicorn's timeout_graceful_shutdown in app/__main__.py
GRACEFUL_S = 5


def postgres_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or ""
    return url if url.startswith(("postgres://", "postgresql://")) else None


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


async def _recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    import asyncpg

    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not drop_only:
            await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()


async def on_each_database(
    run: Callable[[str, str], Awaitable[dict]], sqlite_url: str, scratch_name: str
) -> dict:
    """`run(label, url)` on SQLite, then on PostgreSQL when configured (its figures under "pg")."""
    figures = await run("SQLite", sqlite_url)
    if url := postgres_url():
        await _recreate(url, scratch_name)
        try:
            figures["pg"] = await run("PostgreSQL", with_database(url, scratch_name))
        finally:
            await _recreate(url, scratch_name, drop_only=True)
    else:
        print("PostgreSQL: skipped (set TEST_DATABASE_URL or BENCH_DATABASE_URL)")
    return figures


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"migrate failed:\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    env: dict[str, str], port: int, log: Path, *, factory: str = "app.main:create_app"
) -> subprocess.Popen:
    """The options of `python -m app serve` (app/__main__.py), with the given app factory."""
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", factory, "--factory",
                "--host", "127.0.0.1", "--port", str(port), "--proxy-headers",
                "--log-level", env["LOG_LEVEL"].lower(), "--timeout-graceful-shutdown", str(GRACEFUL_S),
            ],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    sys.exit(f"the server did not start:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def logged_errors(log: Path) -> Counter[str]:
    """The exceptions the server logged, by type and message: the last line of each traceback."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        name, _, message = line.partition(": ")
        if message and not line.startswith(" ") and name.rsplit(".", 1)[-1].endswith(("Error", "Exception")):
            found[f"{name.rsplit('.', 1)[-1]}: {message[:80]}"] += 1
    return found
