"""Shell pages: server time per page and what a phone's first load moves.

Runs on its own against a throw-away SQLite database filled with the demo data.
Prints figures, then one JSON line: p50/p99 server time of the sign-in page and a
worker's home, and the compressed first-load weight (HTML + CSS + JS) against the
50 KB budget of the check-in page (DESIGN.md, quality bars).
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would stand in
# for the standard library's queue (which concurrent.futures and logging import).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
os.environ.update(
    DATA_DIR=str(DATA), DATABASE_URL=f"sqlite:///{DATA / 'bench.db'}", SECRET_KEY="bench",
    RUN_JOBS_IN_PROCESS="false", LOG_LEVEL="WARNING",
)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

FIRST_LOAD_BUDGET_KB = 50
ROUNDS = 300


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(client: httpx.AsyncClient, path: str) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return samples


async def first_load_bytes(client: httpx.AsyncClient, path: str) -> int:
    """Bytes on the wire (brotli) for the page and every script and stylesheet it names."""
    import re

    page = await client.get(path, headers={"accept-encoding": "br"})
    total = int(page.headers.get("content-length") or len(page.content))
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css)\?v=\w+)"', page.text):
        answer = await client.get(asset, headers={"accept-encoding": "br"})
        total += int(answer.headers["content-length"])
    return total


def prepare() -> None:
    for command in ("migrate", "demo-data"):
        subprocess.run([sys.executable, "-m", "app", command], cwd=ROOT, check=True,
                       capture_output=True)


async def main() -> None:
    from app.main import create_app

    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        login = await timed(client, "/login")
        first_load = await first_load_bytes(client, "/login")
        await client.get("/login")
        token = client.cookies["fp_csrf"]
        answer = await client.post(
            "/login", data={"_csrf_token": token, "phone": "13900000001", "secret": "1234"}
        )
        assert answer.status_code == 303
        home = await timed(client, "/")
    figures = {
        "login_p50_ms": round(statistics.median(login), 2),
        "login_p99_ms": round(percentile(login, 0.99), 2),
        "home_p50_ms": round(statistics.median(home), 2),
        "home_p99_ms": round(percentile(home, 0.99), 2),
        "first_load_kb": round(first_load / 1024, 1),
        "first_load_budget_ratio": round(first_load / 1024 / FIRST_LOAD_BUDGET_KB, 2),
    }
    print(f"sign-in page: p50 {figures['login_p50_ms']} ms, p99 {figures['login_p99_ms']} ms "
          f"({ROUNDS} requests, in-process)")
    print(f"worker home:  p50 {figures['home_p50_ms']} ms, p99 {figures['home_p99_ms']} ms")
    print(f"first load of the sign-in page: {figures['first_load_kb']} KB compressed "
          f"({figures['first_load_budget_ratio']:.0%} of the {FIRST_LOAD_BUDGET_KB} KB budget)")
    print(json.dumps(figures))


if __name__ == "__main__":
    prepare()
    asyncio.run(main())
