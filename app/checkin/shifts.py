"""The shift rule, as pure functions over a worker's events.

A check-in opens a shift; the worker's next check-out (at any site) within the
check-in site's longest shift closes it. A shift belongs to the site-local date of
its check-in, so a night shift from 20:00 to 04:00 is one shift on the first date.
Hours are the sum of a day's closed shifts; man-days are hours over the site's
standard day, rounded down to the half day. A shift open longer than the longest
shift is an anomaly, "no check-out"; a check-out with no open shift is recorded and
flagged. Corrections replace (or, with kind "void", cancel) the event they point at.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

# Event flags that are facts, not problems: they are not counted as anomalies.
NOT_ANOMALIES = frozenset({"visiting"})
NO_CHECKOUT = "no_checkout"
NO_OPEN_SHIFT = "no_open_shift"


@dataclass(frozen=True)
class Tap:
    id: int
    site: int
    kind: str  # in, out
    occurred_at: datetime
    work_date: date
    flags: frozenset[str] = frozenset()
    corrected: bool = False


@dataclass(frozen=True)
class SitePolicy:
    longest_shift: timedelta
    standard_day_hours: Decimal


@dataclass
class Shift:
    start: Tap
    end: Tap | None = None
    stale: bool = False  # open past the longest shift: "no check-out"

    @property
    def is_open(self) -> bool:
        return self.end is None and not self.stale


@dataclass
class Day:
    worker: int
    site: int
    work_date: date
    first_in: datetime | None = None
    last_out: datetime | None = None
    seconds: float = 0
    shifts: int = 0
    open_shift: bool = False
    events: int = 0
    anomalies: set[str] = field(default_factory=set)
    corrected: bool = False

    def hours(self) -> Decimal:
        return (Decimal(self.seconds) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def man_days(self, standard_day_hours: Decimal) -> Decimal:
        if standard_day_hours <= 0:
            return Decimal("0")
        halves = math.floor(self.hours() / standard_day_hours * 2)
        return Decimal(halves) / 2


def effective_taps(events: Iterable[Mapping]) -> list[Tap]:
    """The events that count, oldest first: corrected ones give way to their correction.

    A "void" correction stays in the list (its day shows it was corrected); shifts skip it.
    """
    events = list(events)
    replaced = {event["corrects"] for event in events if event.get("corrects")}
    taps = [
        Tap(
            id=event["id"], site=event["site"], kind=event["kind"],
            occurred_at=event["occurred_at"], work_date=event["work_date"],
            flags=frozenset(filter(None, event["flags"].split(","))),
            corrected=bool(event.get("corrects")),
        )
        for event in events
        if event["id"] not in replaced and event["kind"] in ("in", "out", "void")
    ]
    return sorted(taps, key=lambda tap: (tap.occurred_at, tap.id))


def pair(
    taps: list[Tap], policies: Mapping[int, SitePolicy], now: datetime
) -> tuple[list[Shift], list[Tap]]:
    """Shifts, and check-outs that closed nothing."""
    shifts: list[Shift] = []
    orphans: list[Tap] = []
    current: Shift | None = None
    def too_long(shift: Shift, moment: datetime) -> bool:
        return moment - shift.start.occurred_at > policies[shift.start.site].longest_shift

    for tap in taps:
        if tap.kind == "void":
            continue
        if current and too_long(current, tap.occurred_at):
            current.stale = True
            current = None
        if tap.kind == "in":
            if current:
                current.stale = True  # a new check-in while open: the old shift never closed
            current = Shift(start=tap)
            shifts.append(current)
        elif current:
            current.end = tap
            current = None
        else:
            orphans.append(tap)
    if current and too_long(current, now):
        current.stale = True
    return shifts, orphans


def open_shift(taps: list[Tap], policies: Mapping[int, SitePolicy], now: datetime) -> Shift | None:
    shifts, _ = pair(taps, policies, now)
    return shifts[-1] if shifts and shifts[-1].is_open else None


def summarise(
    worker: int, taps: list[Tap], policies: Mapping[int, SitePolicy], now: datetime
) -> dict[tuple[int, date], Day]:
    """One Day per (site, work date) the taps touch."""
    days: dict[tuple[int, date], Day] = {}

    def day_of(site: int, work_date: date) -> Day:
        key = (site, work_date)
        if key not in days:
            days[key] = Day(worker=worker, site=site, work_date=work_date)
        return days[key]

    shifts, orphans = pair(taps, policies, now)
    for shift in shifts:
        day = day_of(shift.start.site, shift.start.work_date)
        day.first_in = min(filter(None, (day.first_in, shift.start.occurred_at)))
        if shift.end:
            day.seconds += (shift.end.occurred_at - shift.start.occurred_at).total_seconds()
            day.shifts += 1
            day.last_out = max(filter(None, (day.last_out, shift.end.occurred_at)))
        elif shift.stale:
            day.anomalies.add(NO_CHECKOUT)
        else:
            day.open_shift = True
    for tap in orphans:
        day_of(tap.site, tap.work_date).anomalies.add(NO_OPEN_SHIFT)
    for tap in taps:
        day = day_of(tap.site, tap.work_date)
        day.events += 1
        day.anomalies.update(tap.flags - NOT_ANOMALIES)
        day.corrected = day.corrected or tap.corrected
    return days
