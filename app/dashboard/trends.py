"""Week-by-week trends, drawn on the server as small inline SVG charts (no chart script).

A chart is a row of points in a 300 × 90 box: the template draws the line, the dots, the
first and last week's labels and the last value, so it reads on a phone and in print.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from app.dashboard import kpis
from app.dashboard.kpis import Figures
from app.dashboard.periods import Period
from app.i18n import N_

WIDTH, HEIGHT, PAD = 300, 90, 12

# What the trends show: a label (msgid), how to read a week's figures, the unit.
SERIES: tuple[tuple[str, str, Callable[[Figures], float | None], str], ...] = (
    ("adoption", N_("Adoption"), lambda f: f.adoption, "share"),
    ("activity", N_("Daily activity"), lambda f: f.activity, "share"),
    ("received", N_("Reports received"), lambda f: f.received, "count"),
    ("within_sla", N_("Answered within SLA"), lambda f: f.within_sla, "share"),
    ("median_response", N_("Median first response"), lambda f: f.median_response_s, "duration"),
)


@dataclass(frozen=True)
class Point:
    week: Period
    value: float | None
    x: float
    y: float | None


@dataclass(frozen=True)
class Chart:
    key: str
    label: str
    unit: str
    points: list[Point]
    top: float  # the value at the top of the box

    @property
    def last(self) -> Point:
        return self.points[-1]

    @property
    def path(self) -> str:
        """The line through the weeks that have a value (gaps where a week has none)."""
        parts, pen_down = [], False
        for point in self.points:
            if point.y is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{point.x:.1f},{point.y:.1f}")
            pen_down = True
        return " ".join(parts)


def chart(key: str, label: str, unit: str, weeks: Sequence[Period], values: Sequence[float | None]) -> Chart:
    known = [value for value in values if value is not None]
    top = 1.0 if unit == "share" else max(known, default=0) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(weeks) - 1, 1)
    points = [
        Point(
            week,
            value,
            round(PAD + index * step, 1),
            None if value is None else round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * value / top, 1),
        )
        for index, (week, value) in enumerate(zip(weeks, values, strict=True))
    ]
    return Chart(key, label, unit, points, top)


async def trends(
    sites: Sequence[dict], scope: int, period: Period, today: date, known: dict[int, Figures] | None = None
) -> list[Chart]:
    """The charts for one site's id, or `kpis.COMPANY` for all of `sites`.

    `known` are the period's own figures: when the period is a week, the trend's last.
    """
    weeks = period.trend_weeks(today)
    wanted = [week for week in weeks if known is None or week != period]
    if kpis.sqlite():
        # One week after another: side by side they only contend for the process's GIL.
        found = [await kpis.figures(sites, week, full=False) for week in wanted]
    else:
        # PostgreSQL works each query in a process of its own.
        found = await asyncio.gather(*(kpis.figures(sites, week, full=False) for week in wanted))
    by_week = dict(zip(wanted, found, strict=True))
    weekly = [by_week.get(week, known) for week in weeks]
    return [
        chart(key, label, unit, weeks, [read(week[scope]) for week in weekly])
        for key, label, read, unit in SERIES
    ]
