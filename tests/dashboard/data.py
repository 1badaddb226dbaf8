"""Hand-built data for the KPI tests: two sites in different time zones, one week.

The week is Monday 2026-11-16 to Sunday 2026-11-22. Site 甲 keeps Shanghai time
(UTC+8), site 乙 Urumqi time (UTC+6). What each figure must be is worked out by hand in
tests/dashboard/test_kpis.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.backlog.tables import BacklogItem, FixedQuestion
from app.checkin.tables import AttendanceDay
from app.db import insert_rows
from app.photos.tables import Photo
from app.sites.tables import Site
from app.workforce.tables import Worker
from tests import factories
from tests.feedback.helpers import add_item

MONDAY = date(2026, 11, 16)
HOUR = timedelta(hours=1)


@dataclass
class World:
    a: Site
    b: Site
    workers: dict[str, int]


async def _worker(crew, registered_on: date, left_on: date | None = None) -> int:
    worker = await factories.worker(crew)
    await Worker.update({Worker.registered_on: registered_on, Worker.left_on: left_on}).where(
        Worker.id == worker.id
    )
    return worker.id


async def _day(
    worker: int,
    site: Site,
    day: date,
    *,
    checked_in: bool = True,
    anomalies: str = "",
    corrected: bool = False,
) -> None:
    first_in = datetime.combine(day, datetime.min.time(), UTC) if checked_in else None
    await insert_rows(
        AttendanceDay,
        [
            {
                "worker": worker,
                "site": site.id,
                "work_date": day,
                "first_in": first_in,
                "events": 1,
                "shifts": 1 if checked_in else 0,
                "anomalies": anomalies,
                "corrected": corrected,
            }
        ],
    )


async def _photo(site: Site, day: date, *, located: bool, deleted: bool = False) -> None:
    taken = datetime.combine(day, datetime.min.time(), UTC) + 4 * HOUR
    await insert_rows(
        Photo,
        [
            {
                "site": site.id,
                "taken_at": taken,
                "taken_date": day,
                "content_hash": f"{site.id}{day}{located}{deleted}",
                "width": 10,
                "height": 10,
                "display_bytes": 100,
                "latitude": 31.2 if located else None,
                "longitude": 121.5 if located else None,
                "deleted_at": taken if deleted else None,
            }
        ],
    )


async def _delivered(site: Site, done_at: datetime, answer: str | None, reporter) -> None:
    backlog = (
        await insert_rows(
            BacklogItem,
            [
                {
                    "site": site.id,
                    "title": "改进",
                    "status": "done",
                    "done_at": done_at,
                    "created_at": done_at - 24 * HOUR,
                    "updated_at": done_at,
                }
            ],
        )
    )[0]
    if answer is not None:
        feedback = await add_item(site.id, status="closed", created_at=done_at - 30 * 24 * HOUR)
        await insert_rows(
            FixedQuestion,
            [
                {
                    "feedback": feedback,
                    "backlog": backlog,
                    "reporter": reporter.id,
                    "asked_at": done_at,
                    "answer": answer,
                    "answered_at": done_at + HOUR if answer else None,
                }
            ],
        )


async def build() -> World:
    a = await factories.site("甲工地")
    b = await factories.site("乙工地")
    await Site.update({Site.timezone: "Asia/Urumqi"}).where(Site.id == b.id)
    b.timezone = "Asia/Urumqi"
    crew_a, crew_b = await factories.crew(a, "甲班"), await factories.crew(b, "乙班")
    early = date(2026, 1, 5)
    w = {
        "w1": await _worker(crew_a, early),
        "w2": await _worker(crew_a, MONDAY + timedelta(days=4)),  # registered within the week
        "w3": await _worker(crew_a, MONDAY + timedelta(days=7)),  # registered after it: not counted
        "w4": await _worker(crew_a, early, left_on=MONDAY - timedelta(days=1)),  # left before it
        "w5": await _worker(crew_a, early, left_on=MONDAY),  # left on its first day: counted
        "w6": await _worker(crew_a, early),  # never checks in
        "v1": await _worker(crew_b, early),  # 乙's worker, visiting 甲 on Tuesday
        "b2": await _worker(crew_b, early),
    }
    # Attendance at 甲: w1 Mon-Wed (Wed flagged), w2 Fri (corrected), v1 Tue (visiting), w6 a
    # check-out without a check-in on Thu, and w1 on the Sunday before the week (outside).
    await _day(w["w1"], a, MONDAY)
    await _day(w["w1"], a, MONDAY + timedelta(days=1))
    await _day(w["w1"], a, MONDAY + timedelta(days=2), anomalies="outside")
    await _day(w["w2"], a, MONDAY + timedelta(days=4), corrected=True)
    await _day(w["v1"], a, MONDAY + timedelta(days=1), anomalies="")
    await _day(w["w6"], a, MONDAY + timedelta(days=3), checked_in=False, anomalies="no_open_shift")
    await _day(w["w1"], a, MONDAY - timedelta(days=1))
    # Attendance at 乙: v1 on Monday.
    await _day(w["v1"], b, MONDAY)

    for located in (True, True, False):
        await _photo(a, MONDAY + timedelta(days=2), located=located)
    await _photo(a, MONDAY + timedelta(days=2), located=True, deleted=True)
    await _photo(a, MONDAY - timedelta(days=3), located=False)

    # Reports at 甲 (the week there: 2026-11-15 16:00Z to 2026-11-22 16:00Z).
    start_a = datetime(2026, 11, 15, 16, tzinfo=UTC)
    now = datetime.now(UTC)
    await add_item(
        a.id,
        severity="high",
        status="closed",
        created_at=start_a + HOUR / 2,
        first_response_at=start_a + 2.5 * HOUR,
        closed_at=start_a + 30 * HOUR,
    )  # f1: 2 h
    await add_item(
        a.id, severity="high", status="new", created_at=start_a - HOUR / 2, respond_by=start_a, fix_by=start_a
    )  # f2: 23:30 the Sunday before; overdue now
    reporter = await factories.user("worker")
    await add_item(
        a.id,
        severity="high",
        status="accepted",
        is_open=False,
        anonymous=True,
        reporter=None,
        created_at=start_a + 7 * 24 * HOUR - timedelta(minutes=1),
        first_response_at=start_a + 7 * 24 * HOUR + 29 * HOUR,
    )  # f3: 30 h, late
    f4_at = datetime(2026, 11, 20, 2, tzinfo=UTC)
    await add_item(
        a.id,
        severity="critical",
        status="new",
        created_at=f4_at,
        respond_by=f4_at + 4 * HOUR,
        fix_by=f4_at + 24 * HOUR,
    )  # f4: never answered; overdue
    await add_item(
        a.id,
        severity="low",
        status="new",
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
        respond_by=now + 240 * HOUR,
        fix_by=now + 480 * HOUR,
    )  # f5: not due yet
    f6_at = datetime(2026, 11, 19, 3, tzinfo=UTC)
    await add_item(
        a.id, status="duplicate", is_open=False, created_at=f6_at, first_response_at=f6_at + HOUR
    )  # f6: 1 h
    f7_at = datetime(2026, 11, 18, 3, tzinfo=UTC)
    await add_item(
        a.id, status="rejected", is_open=False, created_at=f7_at, first_response_at=f7_at + 4 * HOUR
    )  # f7: 4 h
    await add_item(a.id, kind="system", status="new", created_at=f7_at)  # f8: not a site's
    # 乙 (the week there ends 2026-11-22 18:00Z): 23:00 on Sunday, local time.
    g1_at = datetime(2026, 11, 22, 17, tzinfo=UTC)
    await add_item(
        b.id,
        severity="high",
        status="closed",
        is_open=False,
        created_at=g1_at,
        first_response_at=g1_at + HOUR,
        closed_at=g1_at + 2 * HOUR,
    )

    await _delivered(a, datetime(2026, 11, 20, 8, tzinfo=UTC), "yes", reporter)
    await _delivered(a, datetime(2026, 11, 21, 8, tzinfo=UTC), "", reporter)
    await _delivered(a, datetime(2026, 11, 10, 8, tzinfo=UTC), "yes", reporter)  # the week before
    return World(a, b, w)
