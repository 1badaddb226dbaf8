"""The shift rule, worked out by hand: hours, man-days, work dates and anomalies."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.checkin import devices, posters
from app.checkin.days import current_shift, refresh_stale_open_days
from app.checkin.services import TapInput, judge_place, judge_time, record_tap
from app.checkin.shifts import Day, SitePolicy, Tap, effective_taps, open_shift, pair, summarise
from app.checkin.tables import AttendanceDay, AttendanceEvent, LedgerDayHead
from app.sites.tables import Site
from tests import factories
from tests.checkin.helpers import poster_token

CST = ZoneInfo("Asia/Shanghai")
A, B = 1, 2
WORKER = 7
EIGHT = Decimal("8")
POLICY = SitePolicy(longest_shift=timedelta(hours=16), standard_day_hours=EIGHT)
POLICIES = {A: POLICY, B: POLICY}
_ids = itertools.count(1)


def at(day: int, clock: str) -> datetime:
    """A Shanghai wall-clock moment in March 2026."""
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 3, day, hour, minute, tzinfo=CST)


def march(day: int) -> date:
    return date(2026, 3, day)


def tap(kind: str, day: int, clock: str, *, site: int = A, work_day: int | None = None,
        flags: tuple[str, ...] = (), corrected: bool = False) -> Tap:
    return Tap(
        id=next(_ids), site=site, kind=kind, occurred_at=at(day, clock),
        work_date=march(work_day or day), flags=frozenset(flags), corrected=corrected,
    )


def day(site: int, work_day: int, **fields) -> Day:
    return Day(worker=WORKER, site=site, work_date=march(work_day), **fields)


def days_of(taps: list[Tap], now: datetime, policies=POLICIES) -> dict:
    return summarise(WORKER, taps, policies, now)


LATE = at(31, "23:00")  # long after every shift in these cases


# --- the pure rule --------------------------------------------------------------------


def test_a_day_shift_of_ten_and_a_half_hours_is_one_man_day():
    check_in, check_out = tap("in", 2, "07:00"), tap("out", 2, "17:30")
    days = days_of([check_in, check_out], LATE)
    assert days == {
        (A, march(2)): day(
            A, 2, first_in=at(2, "07:00"), last_out=at(2, "17:30"), seconds=37800, shifts=1, events=2
        )
    }
    assert days[(A, march(2))].hours() == Decimal("10.50")
    assert days[(A, march(2))].man_days(EIGHT) == Decimal("1.0")


@pytest.mark.parametrize(
    ("minutes", "hours", "man_days"),
    [
        (239, "3.98", "0"),
        (240, "4.00", "0.5"),
        (360, "6.00", "0.5"),
        (474, "7.90", "0.5"),
        (480, "8.00", "1.0"),
        (714, "11.90", "1.0"),
        (720, "12.00", "1.5"),
        (960, "16.00", "2.0"),
    ],
)
def test_man_days_round_down_to_the_half_day(minutes, hours, man_days):
    start = tap("in", 2, "06:00")
    end = Tap(id=next(_ids), site=A, kind="out", occurred_at=start.occurred_at + timedelta(minutes=minutes),
              work_date=march(2))
    worked = days_of([start, end], LATE)[(A, march(2))]
    assert worked.hours() == Decimal(hours)
    assert worked.man_days(EIGHT) == Decimal(man_days)


def test_man_days_follow_the_sites_standard_day():
    worked = day(A, 2, seconds=13.5 * 3600)
    assert worked.man_days(Decimal("9")) == Decimal("1.5")
    assert worked.man_days(Decimal("0")) == Decimal("0")


def test_a_night_shift_across_midnight_is_one_shift_on_the_first_date():
    # The check-out carries the check-in's work date, as the service stamps it.
    taps = [tap("in", 1, "20:00"), tap("out", 2, "04:00", work_day=1)]
    days = days_of(taps, LATE)
    assert days == {
        (A, march(1)): day(
            A, 1, first_in=at(1, "20:00"), last_out=at(2, "04:00"), seconds=8 * 3600, shifts=1, events=2
        )
    }
    assert days[(A, march(1))].man_days(EIGHT) == Decimal("1.0")


def test_two_shifts_in_one_day_add_up():
    taps = [tap("in", 2, "07:00"), tap("out", 2, "11:00"), tap("in", 2, "13:00"), tap("out", 2, "17:00")]
    days = days_of(taps, LATE)
    assert days == {
        (A, march(2)): day(
            A, 2, first_in=at(2, "07:00"), last_out=at(2, "17:00"), seconds=8 * 3600, shifts=2, events=4
        )
    }


def test_a_shift_of_exactly_the_longest_shift_still_closes():
    days = days_of([tap("in", 2, "07:00"), tap("out", 2, "23:00")], LATE)
    assert days[(A, march(2))].hours() == Decimal("16.00")
    assert days[(A, march(2))].man_days(EIGHT) == Decimal("2.0")
    assert days[(A, march(2))].anomalies == set()


def test_a_shift_left_open_past_the_longest_shift_is_no_checkout_and_a_later_check_in_starts_afresh():
    first = tap("in", 2, "07:00")
    just_after = at(2, "23:01")
    assert days_of([first], just_after) == {
        (A, march(2)): day(A, 2, first_in=at(2, "07:00"), events=1, anomalies={"no_checkout"})
    }
    assert open_shift([first], POLICIES, just_after) is None

    taps = [first, tap("in", 3, "07:00"), tap("out", 3, "15:00")]
    days = days_of(taps, LATE)
    assert days == {
        (A, march(2)): day(A, 2, first_in=at(2, "07:00"), events=1, anomalies={"no_checkout"}),
        (A, march(3)): day(
            A, 3, first_in=at(3, "07:00"), last_out=at(3, "15:00"), seconds=8 * 3600, shifts=1, events=2
        ),
    }


def test_a_check_out_after_the_longest_shift_closes_nothing():
    check_in, late_out = tap("in", 2, "07:00"), tap("out", 2, "23:30")
    shifts, orphans = pair([check_in, late_out], POLICIES, LATE)
    assert [(shift.start, shift.end, shift.stale) for shift in shifts] == [(check_in, None, True)]
    assert orphans == [late_out]
    assert days_of([check_in, late_out], LATE) == {
        (A, march(2)): day(
            A, 2, first_in=at(2, "07:00"), events=2, anomalies={"no_checkout", "no_open_shift"}
        )
    }


def test_a_check_out_with_no_open_shift_is_an_anomaly():
    lone = tap("out", 2, "17:00")
    assert pair([lone], POLICIES, LATE) == ([], [lone])
    assert days_of([lone], LATE) == {(A, march(2)): day(A, 2, events=1, anomalies={"no_open_shift"})}


def test_a_check_in_while_a_shift_is_open_leaves_the_earlier_one_without_check_out():
    taps = [tap("in", 2, "07:00"), tap("in", 2, "09:00"), tap("out", 2, "17:00")]
    assert days_of(taps, LATE) == {
        (A, march(2)): day(
            A, 2, first_in=at(2, "07:00"), last_out=at(2, "17:00"), seconds=8 * 3600, shifts=1, events=3,
            anomalies={"no_checkout"},
        )
    }


def test_a_shift_still_open_within_the_longest_shift_is_open_not_an_anomaly():
    check_in = tap("in", 2, "07:00")
    for now in (at(2, "12:00"), at(2, "23:00")):
        assert days_of([check_in], now) == {
            (A, march(2)): day(A, 2, first_in=at(2, "07:00"), events=1, open_shift=True)
        }
        current = open_shift([check_in], POLICIES, now)
        assert current is not None and current.start == check_in and current.end is None
    assert open_shift([check_in, tap("out", 2, "15:00")], POLICIES, at(2, "16:00")) is None


def test_visiting_a_shift_opened_at_one_site_is_closed_at_another_and_counts_where_it_opened():
    check_in = tap("in", 2, "07:00", site=B, flags=("visiting",))
    check_out = tap("out", 2, "17:00", site=A)
    days = days_of([check_in, check_out], LATE)
    assert days == {
        (B, march(2)): day(
            B, 2, first_in=at(2, "07:00"), last_out=at(2, "17:00"), seconds=10 * 3600, shifts=1, events=1
        ),
        (A, march(2)): day(A, 2, events=1),
    }


def test_the_check_in_sites_longest_shift_decides():
    short = {A: POLICY, B: SitePolicy(longest_shift=timedelta(hours=10), standard_day_hours=EIGHT)}
    taps = [tap("in", 2, "07:00", site=B), tap("out", 2, "18:00", site=A)]
    assert days_of(taps, LATE, short) == {
        (B, march(2)): day(B, 2, first_in=at(2, "07:00"), events=1, anomalies={"no_checkout"}),
        (A, march(2)): day(A, 2, events=1, anomalies={"no_open_shift"}),
    }


def test_flags_other_than_visiting_are_anomalies():
    taps = [
        tap("in", 2, "07:00", flags=("late_sync", "visiting")),
        tap("out", 2, "15:00", flags=("no_location",)),
    ]
    assert days_of(taps, LATE)[(A, march(2))].anomalies == {"late_sync", "no_location"}


# --- corrections ----------------------------------------------------------------------


def event(event_id: int, kind: str, when: datetime, corrects: int | None = None, flags: str = "") -> dict:
    return {"id": event_id, "site": A, "kind": kind, "occurred_at": when, "work_date": march(2),
            "flags": flags, "corrects": corrects}


WORKED = [event(1, "in", at(2, "07:00")), event(2, "out", at(2, "18:00"))]


def test_a_corrected_check_out_time_replaces_the_original():
    taps = effective_taps([*WORKED, event(3, "out", at(2, "17:00"), corrects=2)])
    assert [(t.id, t.corrected) for t in taps] == [(1, False), (3, True)]
    assert days_of(taps, LATE) == {
        (A, march(2)): day(
            A, 2, first_in=at(2, "07:00"), last_out=at(2, "17:00"), seconds=10 * 3600, shifts=1, events=2,
            corrected=True,
        )
    }


def test_a_corrected_check_in_time_replaces_the_original():
    taps = effective_taps([*WORKED, event(3, "in", at(2, "08:00"), corrects=1)])
    worked = days_of(taps, LATE)[(A, march(2))]
    assert (worked.first_in, worked.hours(), worked.corrected) == (at(2, "08:00"), Decimal("10.00"), True)


def test_a_correction_of_a_correction_replaces_both():
    events = [
        *WORKED, event(3, "out", at(2, "17:00"), corrects=2), event(4, "out", at(2, "16:00"), corrects=3)
    ]
    taps = effective_taps(events)
    assert [t.id for t in taps] == [1, 4]
    assert days_of(taps, LATE)[(A, march(2))].hours() == Decimal("9.00")


def test_voiding_a_check_in_leaves_an_orphan_check_out():
    taps = effective_taps([*WORKED, event(3, "void", at(2, "07:00"), corrects=1)])
    assert [(t.id, t.kind) for t in taps] == [(3, "void"), (2, "out")]
    worked = days_of(taps, LATE)[(A, march(2))]
    assert (worked.seconds, worked.shifts, worked.anomalies) == (0, 0, {"no_open_shift"})


def test_voiding_a_check_out_reopens_the_shift():
    taps = effective_taps([*WORKED, event(3, "void", at(2, "18:00"), corrects=2)])
    assert [(t.id, t.kind) for t in taps] == [(1, "in"), (3, "void")]
    worked = days_of(taps, at(2, "19:00"))[(A, march(2))]
    assert (worked.seconds, worked.shifts, worked.open_shift, worked.last_out) == (0, 0, True, None)


def test_a_day_with_a_voided_event_is_marked_corrected():
    taps = effective_taps([*WORKED, event(3, "void", at(2, "18:00"), corrects=2)])
    assert days_of(taps, at(2, "19:00"))[(A, march(2))].corrected is True


def test_effective_taps_are_ordered_by_time_whatever_the_input_order():
    events = [event(5, "out", at(2, "17:00")), event(4, "in", at(2, "07:00")), event(6, "in", at(2, "07:00"))]
    assert [t.id for t in effective_taps(events)] == [4, 6, 5]


# --- the phone's clock and place --------------------------------------------------------

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("client_time", "occurred_at", "flags"),
    [
        (None, NOW, set()),
        (NOW + timedelta(minutes=5, seconds=1), NOW, {"clock_ahead"}),
        (NOW + timedelta(minutes=4), NOW, set()),
        (NOW - timedelta(days=7, seconds=1), NOW, {"clock_stale", "late_sync"}),
        (NOW - timedelta(days=6), NOW - timedelta(days=6), {"late_sync"}),
        (NOW - timedelta(minutes=11), NOW - timedelta(minutes=11), {"late_sync"}),
        (NOW - timedelta(minutes=10), NOW - timedelta(minutes=10), set()),
        (NOW - timedelta(minutes=5), NOW - timedelta(minutes=5), set()),
    ],
    ids=["no-clock", "ahead", "slightly-ahead", "stale", "six-days", "11-min", "10-min", "5-min"],
)
def test_judge_time(client_time, occurred_at, flags):
    assert judge_time(client_time, NOW) == (occurred_at, flags)


SITE = {"latitude": 31.23, "longitude": 121.47, "radius_m": 300}
# One thousandth of a degree of latitude is 111.2 m on the sphere distance_m uses.


def place(latitude: float | None, accuracy: float | None = None) -> TapInput:
    longitude = None if latitude is None else 121.47
    return TapInput("in", "k" * 16, None, latitude, longitude, accuracy)


@pytest.mark.parametrize(
    ("tap_input", "site", "flags"),
    [
        (place(31.232, 10), SITE, set()),  # 222 m from the centre
        (place(31.234, 150), SITE, set()),  # 445 m, but the phone may be 150 m off
        (place(31.234, 100), SITE, {"outside_geofence"}),  # 445 - 100 > 300
        (place(31.234), SITE, {"outside_geofence"}),
        (place(None), SITE, {"no_location"}),
        (place(None), {"latitude": None, "longitude": None, "radius_m": 300}, {"no_location"}),
        (place(40.0), {"latitude": None, "longitude": None, "radius_m": 300}, set()),
    ],
    ids=["inside", "within-accuracy", "outside", "outside-no-accuracy", "no-fix", "no-fix-no-centre",
         "no-centre"],
)
def test_judge_place(tap_input, site, flags):
    assert judge_place(site, tap_input) == flags


# --- through the service and the database ---------------------------------------------


async def phone_of(home) -> tuple[object, dict]:
    crew = await factories.crew(home)
    worker = await factories.worker(crew)
    device_id, _ = await devices._bind(worker.id, "test phone", devices.DeviceStatus.active, None)
    device = await devices.device_by_id(device_id)
    return worker, device


async def poster_of(site) -> dict:
    return await posters.poster_for_token(await poster_token(site))


async def site_in(timezone: str, name: str = "测试工地"):
    site = await factories.site(name)
    await Site.update({Site.timezone: timezone}).where(Site.id == site.id)
    return site


async def tap_at(device: dict, poster: dict, action: str, when: datetime, *, client_time="now"):
    """A tap sent at `when`; the phone's clock agrees unless told otherwise."""
    sent = TapInput(
        action, str(uuid.uuid4()), when if client_time == "now" else client_time, 31.23, 121.47, 10.0
    )
    return (await record_tap(device, poster, sent, now=when)).done


async def event_row(event_id: int) -> dict:
    return await AttendanceEvent.select(
        AttendanceEvent.kind, AttendanceEvent.site, AttendanceEvent.occurred_at, AttendanceEvent.work_date,
        AttendanceEvent.flags,
    ).where(AttendanceEvent.id == event_id).first()


async def day_rows(worker_id: int) -> list[dict]:
    rows = await AttendanceDay.select(
        AttendanceDay.site, AttendanceDay.work_date, AttendanceDay.first_in, AttendanceDay.last_out,
        AttendanceDay.hours, AttendanceDay.man_days, AttendanceDay.shifts, AttendanceDay.open_shift,
        AttendanceDay.events, AttendanceDay.anomalies, AttendanceDay.corrected,
    ).where(AttendanceDay.worker == worker_id).order_by(AttendanceDay.work_date, AttendanceDay.site)
    return rows


def row(site, work_date: date, *, first_in=None, last_out=None, hours="0", man_days="0", shifts=0,
        open_shift=False, events=1, anomalies="", corrected=False) -> dict:
    return {
        "site": site.id, "work_date": work_date, "first_in": first_in, "last_out": last_out,
        "hours": Decimal(hours), "man_days": Decimal(man_days), "shifts": shifts, "open_shift": open_shift,
        "events": events, "anomalies": anomalies, "corrected": corrected,
    }


@pytest.fixture
def server_elsewhere():
    """The server's own zone set far from every site's, so nothing may lean on it."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    assert time.tzname == ("PST", "PDT")
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.parametrize(
    ("timezone", "moment", "work_date"),
    [
        ("Asia/Shanghai", "2026-03-01T15:30:00+00:00", date(2026, 3, 1)),  # 23:30 local
        ("Asia/Shanghai", "2026-03-01T16:30:00+00:00", date(2026, 3, 2)),  # 00:30 local
        ("Asia/Urumqi", "2026-03-01T17:30:00+00:00", date(2026, 3, 1)),  # 23:30 at UTC+6
        ("Asia/Urumqi", "2026-03-01T18:30:00+00:00", date(2026, 3, 2)),
        ("Europe/London", "2026-06-30T23:30:00+00:00", date(2026, 7, 1)),  # 00:30 summer time
        ("Europe/London", "2026-01-31T23:30:00+00:00", date(2026, 1, 31)),  # 23:30 winter time
    ],
)
async def test_the_work_date_is_the_sites_local_date(db, server_elsewhere, timezone, moment, work_date):
    site = await site_in(timezone)
    worker, device = await phone_of(site)
    when = datetime.fromisoformat(moment)
    done = await tap_at(device, await poster_of(site), "in", when)
    assert await event_row(done.result_id) == {
        "kind": "in", "site": site.id, "occurred_at": when, "work_date": work_date, "flags": "",
    }
    assert await day_rows(worker.id) == [row(site, work_date, first_in=when, open_shift=True)]
    heads = await LedgerDayHead.select(LedgerDayHead.day, LedgerDayHead.seq).where(
        LedgerDayHead.site == site.id
    )
    assert heads == [{"day": work_date, "seq": 1}]


async def test_a_night_shift_across_midnight_is_stored_on_the_first_date(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    poster = await poster_of(site)
    start, end = at(1, "20:00"), at(2, "04:00")

    check_in = await tap_at(device, poster, "in", start)
    assert await day_rows(worker.id) == [row(site, march(1), first_in=start, open_shift=True)]

    check_out = await tap_at(device, poster, "out", end)
    assert (await event_row(check_in.result_id))["work_date"] == march(1)
    assert (await event_row(check_out.result_id))["work_date"] == march(1)
    assert await day_rows(worker.id) == [
        row(site, march(1), first_in=start, last_out=end, hours="8.00", man_days="1.0", shifts=1, events=2)
    ]
    # The ledger's day heads follow the clock, not the shift.
    heads = await LedgerDayHead.select(LedgerDayHead.day, LedgerDayHead.seq).order_by(LedgerDayHead.day)
    assert heads == [{"day": march(1), "seq": 1}, {"day": march(2), "seq": 2}]


async def test_the_day_row_after_each_event(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    poster = await poster_of(site)
    taps = [("in", "07:00"), ("out", "11:00"), ("in", "13:00"), ("out", "17:30")]
    expected = [
        row(site, march(3), first_in=at(3, "07:00"), open_shift=True),
        row(site, march(3), first_in=at(3, "07:00"), last_out=at(3, "11:00"), hours="4.00", man_days="0.5",
            shifts=1, events=2),
        row(site, march(3), first_in=at(3, "07:00"), last_out=at(3, "11:00"), hours="4.00", man_days="0.5",
            shifts=1, open_shift=True, events=3),
        row(site, march(3), first_in=at(3, "07:00"), last_out=at(3, "17:30"), hours="8.50", man_days="1.0",
            shifts=2, events=4),
    ]
    for (action, clock), after in zip(taps, expected, strict=True):
        await tap_at(device, poster, action, at(3, clock))
        assert await day_rows(worker.id) == [after]


async def test_a_forgotten_check_out_becomes_no_checkout_on_the_next_check_in(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    poster = await poster_of(site)
    await tap_at(device, poster, "in", at(3, "07:00"))
    assert (await current_shift(worker.id, at(3, "22:00"))) is not None
    assert await current_shift(worker.id, at(3, "23:01")) is None

    await tap_at(device, poster, "in", at(4, "07:00"))
    await tap_at(device, poster, "out", at(4, "15:00"))
    assert await day_rows(worker.id) == [
        row(site, march(3), first_in=at(3, "07:00"), anomalies="no_checkout"),
        row(site, march(4), first_in=at(4, "07:00"), last_out=at(4, "15:00"), hours="8.00", man_days="1.0",
            shifts=1, events=2),
    ]


async def test_the_housekeeping_job_marks_a_shift_left_open(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    await tap_at(device, await poster_of(site), "in", at(3, "07:00"))
    assert await refresh_stale_open_days(at(3, "18:00")) == 0  # not yet twelve hours
    assert await refresh_stale_open_days(at(3, "20:00")) == 1
    assert await day_rows(worker.id) == [row(site, march(3), first_in=at(3, "07:00"), open_shift=True)]
    assert await refresh_stale_open_days(at(3, "23:01")) == 1
    assert await day_rows(worker.id) == [
        row(site, march(3), first_in=at(3, "07:00"), anomalies="no_checkout")
    ]
    assert await refresh_stale_open_days(at(4, "09:00")) == 0


async def test_a_check_out_without_check_in_is_recorded_and_flagged(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    done = await tap_at(device, await poster_of(site), "out", at(3, "17:00"))
    assert (await event_row(done.result_id))["flags"] == "no_open_shift"
    assert await day_rows(worker.id) == [row(site, march(3), anomalies="no_open_shift")]


async def test_visiting_another_site_and_checking_out_at_home(db):
    home = await site_in("Asia/Shanghai", "主工地")
    away = await site_in("Asia/Shanghai", "别的工地")
    worker, device = await phone_of(home)
    check_in = await tap_at(device, await poster_of(away), "in", at(3, "07:00"))
    check_out = await tap_at(device, await poster_of(home), "out", at(3, "17:00"))
    assert await event_row(check_in.result_id) == {
        "kind": "in", "site": away.id, "occurred_at": at(3, "07:00"), "work_date": march(3),
        "flags": "visiting",
    }
    assert await event_row(check_out.result_id) == {
        "kind": "out", "site": home.id, "occurred_at": at(3, "17:00"), "work_date": march(3), "flags": "",
    }
    assert await day_rows(worker.id) == [
        row(home, march(3)),
        row(away, march(3), first_in=at(3, "07:00"), last_out=at(3, "17:00"), hours="10.00", man_days="1.0",
            shifts=1),
    ]


async def test_a_night_shift_checked_out_at_a_site_in_another_zone_keeps_the_check_in_date(db):
    # Closing at a site whose local date has already turned must not move the shift.
    home = await site_in("Asia/Urumqi", "乌鲁木齐")
    away = await site_in("Asia/Shanghai", "上海")
    worker, device = await phone_of(home)
    start = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 22:00 in Urumqi, 00:00 on 2 March in Shanghai
    await tap_at(device, await poster_of(home), "in", start)
    done = await tap_at(device, await poster_of(away), "out", start + timedelta(hours=6))
    assert (await event_row(done.result_id))["work_date"] == march(1)
    rows = await day_rows(worker.id)
    assert [(r["site"], r["work_date"], r["hours"]) for r in rows] == [
        (home.id, march(1), Decimal("6.00")), (away.id, march(1), Decimal("0.00")),
    ]


async def test_the_phones_clock_through_the_service(db):
    site = await site_in("Asia/Shanghai")
    worker, device = await phone_of(site)
    poster = await poster_of(site)
    sent_at = at(3, "07:00")
    late = await tap_at(device, poster, "in", sent_at + timedelta(minutes=11), client_time=sent_at)
    assert await event_row(late.result_id) == {
        "kind": "in", "site": site.id, "occurred_at": sent_at, "work_date": march(3), "flags": "late_sync",
    }
    ahead = await tap_at(device, poster, "out", at(3, "17:00"), client_time=at(3, "17:06"))
    assert await event_row(ahead.result_id) == {
        "kind": "out", "site": site.id, "occurred_at": at(3, "17:00"), "work_date": march(3),
        "flags": "clock_ahead",
    }
    assert await day_rows(worker.id) == [
        row(site, march(3), first_in=sent_at, last_out=at(3, "17:00"), hours="10.00", man_days="1.0",
            shifts=1, events=2, anomalies="clock_ahead,late_sync"),
    ]


async def test_two_taps_of_one_worker_at_once_are_decided_one_after_the_other(db):
    """A double tap whose two sends arrive together is one event: the second is decided
    with the first in view (on PostgreSQL the worker's taps are read under a lock)."""
    home = await site_in("Asia/Shanghai")
    worker, device = await phone_of(home)
    gate = await poster_of(home)
    when = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    first, second = await asyncio.gather(
        *(tap_at(device, gate, "in", when + timedelta(seconds=seconds)) for seconds in (0, 1))
    )
    assert await AttendanceEvent.count() == 1
    assert first.result_id == second.result_id
    [day] = await day_rows(worker.id)
    assert day["events"] == 1 and day["open_shift"]
