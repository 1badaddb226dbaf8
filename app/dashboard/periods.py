"""The period a dashboard shows: a week (Monday to Sunday), a month, or any range of days.

Dates are the sites' own calendar days (the `work_date` stored on attendance), so a
period means the same days at every site, whatever its time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from app.i18n import N_

KINDS = ("week", "month", "custom")
LONGEST = timedelta(days=366)
TREND_WEEKS = 8


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # the last day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        if self.kind == "week":
            return week_of(self.start - timedelta(days=7))
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1))
        return Period("custom", self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def next(self) -> Period:
        if self.kind == "week":
            return week_of(self.start + timedelta(days=7))
        if self.kind == "month":
            return month_of(self.end + timedelta(days=1))
        return Period("custom", self.end + timedelta(days=1), self.end + timedelta(days=self.days))

    def query(self) -> dict[str, str]:
        """What a link to this period puts in its address."""
        if self.kind == "custom":
            return {"period": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.kind, "date": self.start.isoformat()}

    def trend_weeks(self, today: date) -> list[Period]:
        """The weeks a trend chart shows: the last `TREND_WEEKS` up to this period's end."""
        last = week_of(min(self.end, today))
        return [week_of(last.start - timedelta(days=7 * back)) for back in range(TREND_WEEKS - 1, -1, -1)]


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first, following - timedelta(days=1))


@dataclass
class Choice:
    """The period asked for, or the current week with what was wrong with the question."""

    period: Period
    errors: dict[str, tuple[str, dict]] = field(default_factory=dict)
    notice: tuple[str, dict] | None = None


def _day(text: str | None, name: str, errors: dict) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = (N_("Enter a date like 2026-03-31."), {})
        return None


def choose(query: Mapping[str, str], today: date) -> Choice:
    kind = query.get("period") or "week"
    errors: dict[str, tuple[str, dict]] = {}
    if kind not in KINDS:
        return Choice(week_of(today), {"period": (N_("Choose from the list."), {})})
    if kind == "custom":
        start, end = _day(query.get("from"), "from", errors), _day(query.get("to"), "to", errors)
        if errors or start is None or end is None:
            errors = errors or {"from": (N_("Choose the first and the last day."), {})}
            return Choice(week_of(today), errors)
        if end < start:
            return Choice(week_of(today), {"to": (N_("The last day comes before the first."), {})})
        period = Period("custom", start, end)
    else:
        day = _day(query.get("date"), "date", errors) or today
        if errors:
            return Choice(week_of(today), errors)
        period = week_of(day) if kind == "week" else month_of(day)
    if period.start > today:
        field_name = "from" if kind == "custom" else "date"
        return Choice(week_of(today), {field_name: (N_("That period has not begun yet."), {})})
    if period.end - period.start >= LONGEST:
        period = Period("custom", period.end - LONGEST + timedelta(days=1), period.end)
        notice = (
            N_("A period is at most a year: showing %(start)s to %(end)s."),
            {"start": period.start.isoformat(), "end": period.end.isoformat()},
        )
        return Choice(period, notice=notice)
    return Choice(period)
