"""Reading attendance: a worker's month and day, and a site's month summary."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from piccolo.query.functions.aggregate import Count, Sum

from app.checkin.services import EVENT_COLUMNS
from app.checkin.tables import AttendanceDay, AttendanceEvent
from app.errors import invalid
from app.i18n import N_


def parse_month(text: str | None, today: date) -> date:
    """The first day of a YYYY-MM month; this month when empty."""
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise invalid("month", N_("Choose a month like 2026-11.")) from None
    if not 2000 <= first.year <= today.year + 1:
        raise invalid("month", N_("Choose a month like 2026-11."))
    return first


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def worker_month(worker_id: int, first: date) -> dict:
    """Hours per day (all sites together) and the month's totals, added up by the database."""
    last = month_end(first)
    in_month = (
        (AttendanceDay.worker == worker_id)
        & (AttendanceDay.work_date >= first) & (AttendanceDay.work_date <= last)
    )
    rows = await (
        AttendanceDay.select(
            AttendanceDay.work_date, Sum(AttendanceDay.hours, alias="hours"),
            Sum(AttendanceDay.man_days, alias="man_days"), Count(alias="sites"),
        )
        .where(in_month)
        .group_by(AttendanceDay.work_date)
    )
    flagged = {
        row["work_date"] for row in await AttendanceDay.select(AttendanceDay.work_date).where(
            in_month & ((AttendanceDay.anomalies != "") | (AttendanceDay.open_shift == True))  # noqa: E712
        )
    }
    days = {
        row["work_date"]: {**row, "flagged": row["work_date"] in flagged} for row in rows
    }
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return {
        "first": first,
        "weeks": [[(day, days.get(day)) for day in week] for week in weeks],
        "hours": sum((Decimal(row["hours"] or 0) for row in rows), Decimal("0")),
        "man_days": sum((Decimal(row["man_days"] or 0) for row in rows), Decimal("0")),
        "days_worked": sum(1 for row in rows if Decimal(row["hours"] or 0) > 0),
    }


async def worker_day(worker_id: int, day: date) -> dict:
    summaries = await (
        AttendanceDay.select(AttendanceDay.all_columns(), AttendanceDay.site.name.as_alias("site_name"))
        .where((AttendanceDay.worker == worker_id) & (AttendanceDay.work_date == day))
        .order_by(AttendanceDay.first_in)
    )
    events = await (
        AttendanceEvent.select(*EVENT_COLUMNS)
        .where((AttendanceEvent.worker == worker_id) & (AttendanceEvent.work_date == day))
        .order_by(AttendanceEvent.occurred_at)
    )
    return {"day": day, "summaries": summaries, "events": events}


SITE_MONTH = (
    "SELECT d.worker, u.name, COUNT(*) AS days, SUM(d.hours) AS hours, SUM(d.man_days) AS man_days,"
    " SUM(CASE WHEN d.anomalies <> '' THEN 1 ELSE 0 END) AS problem_days"
    " FROM attendance_day d JOIN worker w ON w.id = d.worker JOIN app_user u ON u.id = w.account"
    " WHERE d.work_date >= {} AND d.work_date <= {} %s"
    " GROUP BY d.worker, u.name ORDER BY u.name, d.worker LIMIT {} OFFSET {}"
)


async def site_month(site_id: int | None, first: date, *, limit: int = 50, offset: int = 0) -> list[dict]:
    """Per worker: days worked, hours, man-days and days with problems, for a month."""
    if site_id is None:
        return await AttendanceDay.raw(SITE_MONTH % "", first, month_end(first), limit, offset)
    query = SITE_MONTH % "AND d.site = {}"
    return await AttendanceDay.raw(query, first, month_end(first), site_id, limit, offset)
