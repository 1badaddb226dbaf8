"""Recurring jobs: registering, choosing the due ones, running them, and housekeeping."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from app import jobs
from app.accounts.tables import SignInFailure
from app.jobs import JOBS, LastRuns, due, recurring, run_due


@pytest.fixture
def registry():
    """An empty JOBS registry for the test; the app's jobs are back afterwards."""
    saved = dict(JOBS)
    JOBS.clear()
    yield JOBS
    JOBS.clear()
    JOBS.update(saved)


def test_the_app_registers_its_housekeeping_jobs():
    assert JOBS["forget-sign-in-failures"].every_s == 3600
    assert JOBS["purge-expired-sessions"].every_s == 6 * 3600


def test_recurring_registers_the_function_under_its_name(registry):
    @recurring("tidy-up", every_s=90)
    async def tidy_up():
        return "tidied"

    assert list(registry) == ["tidy-up"]
    job = registry["tidy-up"]
    assert (job.name, job.every_s, job.run) == ("tidy-up", 90, tidy_up)
    assert tidy_up.__name__ == "tidy_up"  # the decorator hands the function back


def test_due_picks_the_jobs_whose_interval_has_passed(registry):
    for name, every_s in (("minutely", 60), ("hourly", 3600), ("never-run", 3600)):
        recurring(name, every_s=every_s)(lambda: None)
    now = 100_000.0
    last_runs = {"minutely": now - 60, "hourly": now - 3599}
    assert [job.name for job in due(last_runs, now)] == ["minutely", "never-run"]
    assert [job.name for job in due({**last_runs, "minutely": now - 59}, now)] == ["never-run"]
    assert [job.name for job in due(last_runs, now + 1)] == ["minutely", "hourly", "never-run"]


async def test_run_due_runs_and_marks_them_and_a_failing_job_is_logged_not_marked(
    registry, tmp_path, caplog
):
    calls = []

    @recurring("works", every_s=3600)
    async def works():
        calls.append("works")
        return 3

    @recurring("breaks", every_s=3600)
    async def breaks():
        calls.append("breaks")
        raise RuntimeError("disk full")

    last_runs = LastRuns(tmp_path / "state" / "jobs.json")
    before = time.time()
    with caplog.at_level(logging.ERROR, logger="fieldpost.jobs"):
        assert await run_due(last_runs) == ["works"]
    after = time.time()
    assert calls == ["works", "breaks"]
    marked = last_runs.read()
    assert list(marked) == ["works"]
    assert before <= marked["works"] <= after
    [failure] = [r for r in caplog.records if r.name == "fieldpost.jobs"]
    assert failure.levelno == logging.ERROR and failure.getMessage() == "job breaks failed"
    assert "disk full" in caplog.text  # with the traceback

    # Next tick: the job that ran is not due again, the failed one is retried.
    assert await run_due(last_runs) == []
    assert calls == ["works", "breaks", "breaks"]
    # A new LastRuns on the same file (a restart) knows the same.
    assert LastRuns(last_runs.path).read() == marked


def test_last_runs_starts_empty_and_survives_a_damaged_file(tmp_path):
    path = tmp_path / "jobs.json"
    assert LastRuns(path).read() == {}
    path.write_text("{not json")
    assert LastRuns(path).read() == {}
    LastRuns(path).mark("a", 1.0)
    LastRuns(path).mark("b", 2.0)
    assert LastRuns(path).read() == {"a": 1.0, "b": 2.0}


async def test_forget_sign_in_failures_drops_only_those_older_than_the_window(db, settings):
    now = datetime.now(UTC)
    window = timedelta(minutes=settings.sign_in_window_minutes)
    await SignInFailure.insert(
        SignInFailure(phone="13900000001", device="old-a", failed_at=now - window - timedelta(minutes=1)),
        SignInFailure(phone="13900000002", device="old-b", failed_at=now - timedelta(days=3)),
        SignInFailure(phone="13900000001", device="recent", failed_at=now - window + timedelta(minutes=2)),
        SignInFailure(phone="13900000003", device="just-now", failed_at=now),
    )
    forgotten = await jobs.JOBS["forget-sign-in-failures"].run()
    assert forgotten == 2
    kept = await SignInFailure.select(SignInFailure.device).order_by(SignInFailure.device)
    assert [row["device"] for row in kept] == ["just-now", "recent"]
