"""A server killed in the middle of a burst of check-ins keeps every one it acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from app.checkin import devices
from app.checkin.tables import AttendanceEvent
from tests import factories
from tests.checkin.helpers import poster_token
from tests.conftest import ROOT

PHONES = 24
TAPS_PER_PHONE = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, data: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(data), "SECRET_KEY": "test-secret-key",
        "LEDGER_KEY": "durability-ledger-key", "RUN_JOBS_IN_PROCESS": "false", "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603  (our own server, arguments from this file)
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


async def tapping_phone(
    base: str, secret: str, token: str, acknowledged: list[str], enough: asyncio.Event
) -> None:
    async with httpx.AsyncClient(base_url=base, cookies={devices.COOKIE: secret}, timeout=5) as phone:
        action = "in"
        for _ in range(TAPS_PER_PHONE):
            key = str(uuid.uuid4())
            try:
                csrf = (await phone.get("/csrf")).json()["token"]
                answer = await phone.post(
                    f"/c/{token}",
                    data={"action": action, "idempotency_key": key, "_csrf_token": csrf},
                    headers={"X-Idempotency-Key": key, "HX-Request": "true"},
                )
            except httpx.HTTPError:
                return  # the server is gone: this tap was never acknowledged
            if answer.status_code == 200 and answer.headers.get("x-idempotency-key") == key:
                acknowledged.append(key)
                if len(acknowledged) >= PHONES * TAPS_PER_PHONE // 3:
                    enough.set()
            action = "out" if action == "in" else "in"


async def test_a_killed_server_keeps_every_acknowledged_check_in(db, backend, tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_KEY", "durability-ledger-key")
    from app.config import get_settings

    get_settings.cache_clear()
    site = await factories.site()
    crew = await factories.crew(site)
    token = await poster_token(site)
    secrets = []
    for _ in range(PHONES):
        worker = await factories.worker(crew)
        secrets.append((await devices._bind(worker.id, "test phone", devices.DeviceStatus.active, None))[1])
    database_url = f"sqlite:///{db.path}" if backend == "sqlite" else os.environ["TEST_DATABASE_URL"]
    port = free_port()
    server = start_server(database_url, tmp_path, port)
    acknowledged: list[str] = []
    enough = asyncio.Event()
    base = f"http://127.0.0.1:{port}"
    burst = asyncio.gather(*(tapping_phone(base, secret, token, acknowledged, enough) for secret in secrets))
    # Kill the server without warning once some check-ins are through and more are in flight.
    # (A server failing every tap would never get there: the burst ending first fails the test.)
    await asyncio.wait({asyncio.ensure_future(enough.wait()), burst}, return_when=asyncio.FIRST_COMPLETED)
    assert enough.is_set(), "the server acknowledged too few check-ins to be killed in the middle"
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    await burst
    assert 0 < len(acknowledged) < PHONES * TAPS_PER_PHONE

    restarted = start_server(database_url, tmp_path, port)
    try:
        rows = await AttendanceEvent.select(AttendanceEvent.idempotency_key)
        assert set(acknowledged) <= {row["idempotency_key"] for row in rows}
        verified = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app", "ledger", "verify"], cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}, check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "every chain holds" in verified.stdout
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
        get_settings.cache_clear()
