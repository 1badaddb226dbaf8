"""Day summaries kept up to date from the ledger (SQLite has no named time zones, so
the site-local dates and hours are worked out here and stored)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from piccolo.engine.sqlite import SQLiteEngine

from app.checkin.shifts import Day, SitePolicy, Tap, effective_taps, open_shift, summarise
from app.checkin.tables import AttendanceDay
from app.db import current_engine, fetch, insert_rows, placeholders
from app.sites.tables import Site

# Sites may set a longest shift up to a day; twice that on each side pairs every
# shift that touches the days being rewritten.
MARGIN = timedelta(hours=48)
NEAR = timedelta(hours=24)
# The unique index a worker's day row is found by.
DAY_KEY = ("worker", "work_date", "site")
# Plain SQL: every tap reads and rewrites these inside the write lock.
_TAPS_READ = (
    "SELECT id, site, kind, occurred_at, work_date, flags, corrects FROM attendance_event"
    " WHERE worker = {} AND occurred_at >= {} AND occurred_at <= {}"
)


def policy_of(longest_shift_hours: int, standard_day_hours: object) -> SitePolicy:
    return SitePolicy(
        longest_shift=timedelta(hours=longest_shift_hours),
        standard_day_hours=Decimal(str(standard_day_hours)),
    )


async def policies_for(
    site_ids: Iterable[int], known: dict[int, SitePolicy] | None = None
) -> dict[int, SitePolicy]:
    """Each site's shift policy; `known` ones (read with something else) are not read again."""
    known = known or {}
    missing = set(site_ids) - set(known)
    if not missing:
        return dict(known)
    rows = await Site.select(Site.id, Site.longest_shift_hours, Site.standard_day_hours).where(
        Site.id.is_in(list(missing))
    )
    read = {row["id"]: policy_of(row["longest_shift_hours"], row["standard_day_hours"]) for row in rows}
    return {**known, **read}


async def lock_worker(worker_id: int) -> None:
    """PostgreSQL: one writer of a worker's taps and days at a time, so each decides with
    the one before it in view (two sends of a double tap arriving together are one event).

    Take it first in the transaction, before the site's chain (`ledger.append`): always in
    that order. SQLite's write lock already lets one writer in at a time.
    """
    if not isinstance(current_engine(), SQLiteEngine):
        await fetch("SELECT id FROM worker WHERE id = {} FOR NO KEY UPDATE", worker_id)


async def taps_between(worker_id: int, start: datetime, end: datetime) -> list[Tap]:
    return effective_taps(await fetch(_TAPS_READ, worker_id, start, end))


async def current_shift(worker_id: int, now: datetime | None = None):
    """The worker's open shift (any site), or None: decides "check in" or "check out"."""
    now = now or datetime.now(UTC)
    taps = await taps_between(worker_id, now - MARGIN, now + NEAR)
    return open_shift(taps, await policies_for(tap.site for tap in taps), now)


def day_row(day: Day, policy: SitePolicy) -> dict:
    """A day summary as its attendance_day row (the taps' writer and bulk history share it)."""
    return {
        "worker": day.worker,
        "site": day.site,
        "work_date": day.work_date,
        "first_in": day.first_in,
        "last_out": day.last_out,
        "hours": day.hours(),
        "man_days": day.man_days(policy.standard_day_hours),
        "shifts": day.shifts,
        "open_shift": day.open_shift,
        "events": day.events,
        "anomalies": ",".join(sorted(day.anomalies)),
        "corrected": day.corrected,
    }


async def refresh_days(
    worker_id: int,
    around: datetime,
    now: datetime | None = None,
    *,
    taps: list[Tap] | None = None,
    policies: dict[int, SitePolicy] | None = None,
    appended: bool = False,
) -> None:
    """Rewrite the worker's day rows near `around`. Call inside the write transaction.

    A caller that already holds the worker's taps within MARGIN of `around` (and their
    sites' policies) passes them to save the reads. `appended`: the only change is a new
    tap, which adds to a day but never empties one, so no row needs removing.
    """
    now = now or datetime.now(UTC)
    if taps is None:
        taps = await taps_between(worker_id, around - MARGIN, around + MARGIN)
    dates: set[date] = {tap.work_date for tap in taps if abs(tap.occurred_at - around) <= NEAR}
    if not dates:
        return
    if policies is None:
        policies = await policies_for(tap.site for tap in taps)
    days = summarise(worker_id, taps, policies, now)
    rows = [day_row(day, policies[day.site]) for day in days.values() if day.work_date in dates]
    if not appended:
        await _remove_emptied(worker_id, dates, rows)
    # Rewritten in place: a row updated where it stands touches only the indexes whose
    # columns changed.
    await insert_rows(AttendanceDay, rows, replacing=DAY_KEY)


async def _remove_emptied(worker_id: int, dates: set[date], rows: list[dict]) -> None:
    """Days that no longer have any tap (a correction voided them) go."""
    kept = " OR ".join("(site = {} AND work_date = {})" for _ in rows)
    await fetch(
        f"DELETE FROM attendance_day WHERE worker = {{}} AND work_date IN ({placeholders(len(dates))})"  # noqa: S608
        + (f" AND NOT ({kept})" if rows else ""),
        worker_id,
        *sorted(dates),
        *[value for row in rows for value in (row["site"], row["work_date"])],
    )


async def refresh_stale_open_days(now: datetime | None = None) -> int:
    """Shifts left open past the longest shift become "no check-out" without a new event."""
    now = now or datetime.now(UTC)
    rows = await AttendanceDay.select(AttendanceDay.worker, AttendanceDay.first_in).where(
        (AttendanceDay.open_shift == True)  # noqa: E712 (a Piccolo query, not a Python test)
        & (AttendanceDay.first_in < now - timedelta(hours=12))
    )
    for row in rows:
        await lock_worker(row["worker"])
        await refresh_days(row["worker"], row["first_in"], now)
    return len(rows)
