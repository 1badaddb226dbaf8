"""Recurring jobs: features register them here; one scheduler runs them.

In the default single-process set-up the scheduler runs inside the web server.
With several processes, set RUN_JOBS_IN_PROCESS=false and let cron call
`python -m app jobs run-due` every minute on one machine (README). Each job's last
run is kept in a small file in the data folder, so restarts do not re-run it early.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("fieldpost.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_s: int
    run: Callable[[], Awaitable[object]]


JOBS: dict[str, Job] = {}


def recurring(name: str, *, every_s: int) -> Callable:
    def register(func: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        JOBS[name] = Job(name, every_s, func)
        return func

    return register


class LastRuns:
    """When each job last ran, in a small JSON file beside the data."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, float]:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def mark(self, name: str, at: float) -> None:
        runs = self.read() | {name: at}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(runs))
        temporary.replace(self.path)


def due(last_runs: dict[str, float], now: float) -> list[Job]:
    return [job for job in JOBS.values() if now - last_runs.get(job.name, 0) >= job.every_s]


async def run_job(job: Job, last_runs: LastRuns) -> bool:
    started = time.time()
    try:
        result = await job.run()
    except Exception:
        log.exception("job %s failed", job.name)
        return False
    last_runs.mark(job.name, started)
    log.info("job %s done in %.2fs: %s", job.name, time.time() - started, result)
    return True


async def run_due(last_runs: LastRuns) -> list[str]:
    ran = []
    for job in due(last_runs.read(), time.time()):
        if await run_job(job, last_runs):
            ran.append(job.name)
    return ran


async def scheduler(last_runs: LastRuns, tick_s: float = 30) -> None:
    """Runs due jobs forever; started on the server's start-up, cancelled on shutdown."""
    while True:
        await run_due(last_runs)
        await asyncio.sleep(tick_s)
