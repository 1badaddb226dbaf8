"""Adoption and responsiveness figures per site for a period, counted by SQL.

Definitions (each shown on the dashboard, one tap away):
- The workers of a period at a site: those of its crews registered on or before the
  period's last day and not left before its first, plus any worker who checked in there
  during the period (a visiting worker counts for the site where the event happened).
- Adoption: the share of those who checked in at least once in the period.
- Daily activity: the average, over the site's working days (days with at least one
  check-in there), of the share of its workers who checked in that day.
- Data quality: the share of attendance days without anomalies or corrections, and the
  share of photos taken in the period that carry a location.
- Reports received: reports and inspection findings raised in the period (system
  suggestions go to the admins' company queue and are not a site's). Median first
  response: over those answered (first status change or comment by staff). Answered
  within SLA: of those answered or past their response deadline, the share answered by
  it. Resolved: of those not rejected or merged as duplicates, the share closed (after
  re-inspection or through a delivered improvement). Overdue now: open items past their
  deadline today, whatever the period.
- Improvements delivered: done in the period; confirmed: a reporter answered "fixed".
Periods are the sites' own calendar days: `work_date` for attendance and photos, and
each site's local midnight for reports and improvements.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine

from app.dashboard.periods import Period
from app.db import current_engine, placeholders
from app.feedback.tables import FeedbackItem

COMPANY = 0  # the key of the company-wide figures


@dataclass
class Figures:
    """One site's (or the company's) counts for one period; the shares are derived."""

    workers: int = 0
    registered: int = 0
    present: int = 0
    registered_present: int = 0
    adopters: int = 0
    worker_days: int = 0
    working_days: int = 0
    capacity: int = 0  # working days × workers: what daily activity divides by
    attendance_days: int = 0
    clean_days: int = 0
    photos: int = 0
    located_photos: int = 0
    received: int = 0
    counted: int = 0
    resolved: int = 0
    due: int = 0
    answered_in_time: int = 0
    median_response_s: float | None = None
    overdue: int = 0
    delivered: int = 0
    confirmed: int = 0

    @property
    def adoption(self) -> float | None:
        return _share(self.adopters, self.workers)

    @property
    def activity(self) -> float | None:
        return _share(self.worker_days, self.capacity)

    @property
    def attendance_quality(self) -> float | None:
        return _share(self.clean_days, self.attendance_days)

    @property
    def photo_location(self) -> float | None:
        return _share(self.located_photos, self.photos)

    @property
    def within_sla(self) -> float | None:
        return _share(self.answered_in_time, self.due)

    @property
    def resolution(self) -> float | None:
        return _share(self.resolved, self.counted)

    def add(self, other: Figures) -> None:
        for item in fields(self):
            if item.name != "median_response_s":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def sqlite() -> bool:
    return isinstance(current_engine(), SQLiteEngine)


# Each worker's days at each site in the period, then per site: the workers who were
# there, and of them those also registered there (the rest are visitors).
_PRESENT = """
SELECT p.site AS site, COUNT(*) AS present, SUM(CASE WHEN p.days > 0 THEN 1 ELSE 0 END) AS adopters,
  SUM(p.days) AS worker_days, SUM(p.rows_) AS attendance_days, SUM(p.clean) AS clean_days,
  SUM(CASE WHEN c.site = p.site AND w.registered_on <= {{}} AND (w.left_on IS NULL OR w.left_on >= {{}})
      THEN 1 ELSE 0 END) AS registered_present
FROM (
  SELECT site, worker, SUM(CASE WHEN first_in IS NOT NULL THEN 1 ELSE 0 END) AS days, COUNT(*) AS rows_,
    SUM(CASE WHEN anomalies = '' AND corrected = {{}} THEN 1 ELSE 0 END) AS clean
  FROM attendance_day WHERE site IN ({sites}) AND work_date BETWEEN {{}} AND {{}} GROUP BY site, worker
) p JOIN worker w ON w.id = p.worker LEFT JOIN crew c ON c.id = w.crew
GROUP BY p.site
"""

_REGISTERED = """
SELECT crew.site AS site, COUNT(*) AS registered FROM worker JOIN crew ON crew.id = worker.crew
WHERE crew.site IN ({sites}) AND worker.registered_on <= {{}}
  AND (worker.left_on IS NULL OR worker.left_on >= {{}})
GROUP BY crew.site
"""

_WORKING_DAYS = """
SELECT site, COUNT(DISTINCT work_date) AS working_days FROM attendance_day
WHERE site IN ({sites}) AND work_date BETWEEN {{}} AND {{}} AND first_in IS NOT NULL GROUP BY site
"""

_PHOTOS = """
SELECT site, COUNT(*) AS photos, COUNT(latitude) AS located_photos FROM photo
WHERE site IN ({sites}) AND taken_date BETWEEN {{}} AND {{}} AND deleted_at IS NULL GROUP BY site
"""

_REPORTS = """
SELECT site, COUNT(*) AS received,
  SUM(CASE WHEN status NOT IN ('rejected', 'duplicate') THEN 1 ELSE 0 END) AS counted,
  SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS resolved,
  SUM(CASE WHEN first_response_at IS NOT NULL OR respond_by < {{}} THEN 1 ELSE 0 END) AS due,
  SUM(CASE WHEN first_response_at <= respond_by THEN 1 ELSE 0 END) AS answered_in_time
FROM feedback_item WHERE kind != 'system' AND ({bounds}) GROUP BY site
"""

# The middle row (or the two middle rows' average) by window functions: the same SQL on
# SQLite and PostgreSQL, which have no common MEDIAN.
_MEDIAN_RESPONSE = """
SELECT part AS site, AVG(seconds) AS median_response_s FROM (
  SELECT part, seconds, ROW_NUMBER() OVER (PARTITION BY part ORDER BY seconds) AS n,
    COUNT(*) OVER (PARTITION BY part) AS total
  FROM (SELECT {part} AS part, {seconds} AS seconds FROM feedback_item
        WHERE kind != 'system' AND first_response_at IS NOT NULL AND ({bounds})) answered
) ranked WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY part
"""

_OVERDUE = """
SELECT site, COUNT(*) AS overdue FROM feedback_item
WHERE site IN ({sites}) AND is_open = {{}} AND kind != 'system' AND deadline < {{}} GROUP BY site
"""

_DELIVERED = """
SELECT b.site AS site, COUNT(*) AS delivered,
  SUM(CASE WHEN EXISTS (SELECT 1 FROM fixed_question q WHERE q.backlog = b.id AND q.answer = 'yes'
      AND q.asked_at >= b.done_at) THEN 1 ELSE 0 END) AS confirmed
FROM backlog_item b WHERE b.status = 'done' AND ({bounds}) GROUP BY b.site
"""


def _seconds(later: str, earlier: str) -> str:
    if sqlite():
        return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0)"
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def _local_bounds(
    sites: Sequence[dict], period: Period, column: str, site_column: str = "site"
) -> tuple[str, list]:
    """A condition on `column` for the period's days at each site's local midnights."""
    zones: dict[str, list[int]] = defaultdict(list)
    for site in sites:
        zones[site["timezone"]].append(site["id"])
    terms, params = [], []
    for zone, ids in zones.items():
        tz = ZoneInfo(zone)
        start = datetime.combine(period.start, time(), tz)
        end = datetime.combine(period.end + timedelta(days=1), time(), tz)
        marks = placeholders(len(ids))
        terms.append(f"({site_column} IN ({marks}) AND {column} >= {{}} AND {column} < {{}})")
        params += [*ids, start, end]
    return " OR ".join(terms), params


async def _rows(sql: str, *params) -> list[dict]:
    return await FeedbackItem.raw(sql, *params)


async def figures(
    sites: Sequence[dict], period: Period, *, now: datetime | None = None, full: bool = True
) -> dict[int, Figures]:
    """Each site's figures for the period, and the company's under `COMPANY`.

    Without `full`, what the trends draw: attendance, reports, the median of the whole.
    """
    now = now or datetime.now(UTC)
    ids = [site["id"] for site in sites]
    result = {site_id: Figures() for site_id in ids}
    result[COMPANY] = Figures()
    if not ids:
        return result
    marks = placeholders(len(ids))
    reports, report_params = _local_bounds(sites, period, "created_at")
    seconds = _seconds("first_response_at", "created_at")
    # One site's median is the whole's: one query serves both.
    median_parts = ["site"] if len(ids) == 1 else [str(COMPANY), "site"] if full else [str(COMPANY)]
    queries = [
        _rows(_PRESENT.format(sites=marks), period.end, period.start, False, *ids, period.start, period.end),
        _rows(_REGISTERED.format(sites=marks), *ids, period.end, period.start),
        _rows(_WORKING_DAYS.format(sites=marks), *ids, period.start, period.end),
        _rows(_REPORTS.format(bounds=reports), now, *report_params),
        *(
            _rows(_MEDIAN_RESPONSE.format(part=part, seconds=seconds, bounds=reports), *report_params)
            for part in median_parts
        ),
    ]
    if full:
        done, done_params = _local_bounds(sites, period, "b.done_at", "b.site")
        queries += [
            _rows(_PHOTOS.format(sites=marks), *ids, period.start, period.end),
            _rows(_OVERDUE.format(sites=marks), *ids, True, now),
            _rows(_DELIVERED.format(bounds=done), *done_params),
        ]
    for rows in await asyncio.gather(*queries):
        _fill(result, rows)
    company = result[COMPANY]
    for site_id in ids:
        site = result[site_id]
        site.workers = site.registered + site.present - site.registered_present
        site.capacity = site.working_days * site.workers
        company.add(site)
    if len(ids) == 1:
        company.median_response_s = result[ids[0]].median_response_s
    return result


def _fill(result: dict[int, Figures], rows: Iterable[dict]) -> None:
    for row in rows:
        target = result.get(row.pop("site"))
        if target is None:
            continue
        for name, value in row.items():
            if name == "median_response_s":
                setattr(target, name, None if value is None else float(value))
            else:
                setattr(target, name, int(value or 0))
