"""A tap on the big button: one event in the ledger, flagged rather than refused."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.checkin import devices, ledger
from app.checkin.days import (
    MARGIN,
    current_shift,
    lock_worker,
    policies_for,
    policy_of,
    refresh_days,
    taps_between,
)
from app.checkin.shifts import Tap, open_shift
from app.checkin.tables import AttendanceEvent
from app.config import get_settings
from app.errors import Forbidden, ValidationFailed
from app.i18n import N_
from app.outbox.services import Done, once
from app.sites.coordinates import distance_m

SCOPE = "attendance"
# A second tap of the same button this soon is the same tap (no key shared: no-JS forms).
DOUBLE_TAP = timedelta(seconds=120)
# Phone clocks drift; beyond this the phone's time is not believed.
CLOCK_AHEAD = timedelta(minutes=5)
CLOCK_STALE = timedelta(days=7)
MISMATCH = N_(
    "This phone is remembered for another worker. Sign out first, or use your own phone."
)
FLAG_LABELS = {
    "outside_geofence": N_("Outside the site"),
    "no_location": N_("No location"),
    "late_sync": N_("Sent late"),
    "clock_ahead": N_("Phone clock ahead"),
    "clock_stale": N_("Phone time over 7 days old"),
    "no_open_shift": N_("Check-out without check-in"),
    "no_checkout": N_("No check-out"),
    "visiting": N_("Visiting"),
}


@dataclass(frozen=True)
class TapInput:
    action: str  # in, out
    idempotency_key: str
    client_time: datetime | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None

    def payload(self, worker_id: int, poster_id: int) -> dict:
        return {
            "worker": worker_id, "poster": poster_id, "action": self.action,
            "client_time": self.client_time.isoformat() if self.client_time else None,
            "latitude": self.latitude, "longitude": self.longitude, "accuracy": self.accuracy_m,
        }


def _number(form: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationFailed({name: (N_("The location sent by the phone could not be read."), {})})
    return value


def parse_tap(form: Mapping[str, str]) -> TapInput:
    action = form.get("action", "")
    if action not in ("in", "out"):
        raise ValidationFailed({"action": (N_("Tap check in or check out."), {})})
    client_time = None
    if text := (form.get("client_time") or "").strip():
        try:
            client_time = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            client_time = None
        if client_time is None or client_time.tzinfo is None:
            raise ValidationFailed({"client_time": (N_("The phone's clock time could not be read."), {})})
    latitude = _number(form, "latitude", -90, 90)
    longitude = _number(form, "longitude", -180, 180)
    accuracy = _number(form, "accuracy", 0, 100_000)
    if (latitude is None) != (longitude is None):
        latitude = longitude = None
    return TapInput(action, form.get("idempotency_key", ""), client_time, latitude, longitude, accuracy)


def judge_time(client_time: datetime | None, now: datetime) -> tuple[datetime, set[str]]:
    """When the tap counts for, and what is odd about the phone's clock."""
    if client_time is None:
        return now, set()
    if client_time > now + CLOCK_AHEAD:
        return now, {"clock_ahead"}
    if client_time < now - CLOCK_STALE:
        return now, {"clock_stale", "late_sync"}
    flags = set()
    if now - client_time > timedelta(minutes=get_settings().late_sync_minutes):
        flags.add("late_sync")
    return min(client_time, now), flags


def judge_place(site: Mapping, tap: TapInput) -> set[str]:
    if tap.latitude is None:
        return {"no_location"}
    if site["latitude"] is None or site["longitude"] is None:
        return set()
    distance = distance_m(site["latitude"], site["longitude"], tap.latitude, tap.longitude)
    # Give the phone the benefit of its reported accuracy.
    if distance - (tap.accuracy_m or 0) > site["radius_m"]:
        return {"outside_geofence"}
    return set()


def local_date(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


@dataclass
class Recorded:
    """What the phone is told: the event, and what the button offers next."""

    done: Done
    event: dict | None = None
    state: dict | None = None


def _double_tap(taps: list[Tap], kind: str, site_id: int, moment: datetime) -> int | None:
    earlier = [tap for tap in taps if tap.occurred_at <= moment]
    last = earlier[-1] if earlier else None
    if last and last.kind == kind and last.site == site_id and moment - last.occurred_at < DOUBLE_TAP:
        return last.id
    return None


def _site_of(poster: Mapping) -> dict:
    return {
        "id": poster["site"], "name": poster["site_name"], "timezone": poster["site_timezone"],
        "latitude": poster["site_latitude"], "longitude": poster["site_longitude"],
        "radius_m": poster["site_radius_m"],
    }


# Ids grow: a tap about to be stored sorts after every stored one.
_NOT_STORED_YET = sys.maxsize


async def _append_tap(
    device: dict, poster: dict, tap: TapInput, now: datetime, answer: Recorded
) -> tuple[str, int]:
    worker_id, site = device["worker"], _site_of(poster)
    occurred_at, flags = judge_time(tap.client_time, now)
    await lock_worker(worker_id)
    # One read of the worker's taps around this one serves the double-tap rule, the
    # open shift and the day summaries.
    taps = await taps_between(worker_id, occurred_at - MARGIN, occurred_at + MARGIN)
    if repeat := _double_tap(taps, tap.action, site["id"], occurred_at):
        return "attendance_event", repeat
    home = {site["id"]: policy_of(poster["site_longest_shift_hours"], poster["site_standard_day_hours"])}
    policies = await policies_for({tap.site for tap in taps} | {site["id"]}, known=home)
    flags |= judge_place(site, tap)
    if device["home_site"] is not None and device["home_site"] != site["id"]:
        flags.add("visiting")
    shift = open_shift([t for t in taps if t.occurred_at <= occurred_at], policies, occurred_at)
    work_date = local_date(occurred_at, site["timezone"])
    if tap.action == "out":
        if shift is None:
            flags.add("no_open_shift")
        else:
            work_date = shift.start.work_date
    # The day summaries and the phone's last visit are written before the event: on
    # PostgreSQL the site's chain is then locked only for the append itself, which every
    # tap of the site queues for. The new tap has no id yet.
    new = Tap(_NOT_STORED_YET, site["id"], tap.action, occurred_at, work_date, frozenset(flags))
    taps = sorted([*taps, new], key=lambda t: (t.occurred_at, t.id))
    await refresh_days(worker_id, occurred_at, now, taps=taps, policies=policies, appended=True)
    await devices.touch(device["id"], poster["id"], now)
    row = await ledger.append(
        {
            "site": site["id"], "worker": worker_id, "kind": tap.action, "method": "poster",
            "server_time": now, "client_time": tap.client_time, "occurred_at": occurred_at,
            "work_date": work_date, "latitude": tap.latitude, "longitude": tap.longitude,
            "accuracy_m": tap.accuracy_m, "flags": ",".join(sorted(flags)),
            "idempotency_key": tap.idempotency_key, "device": device["id"], "corrects": None,
            "recorded_by": None, "reason": "",
        },
        site["timezone"],
    )
    event = {**row, "site_name": site["name"], "timezone": site["timezone"]}
    answer.event = event
    answer.state = (
        {"action": "out", "open_since": event, "last": event} if tap.action == "in"
        else {"action": "in", "open_since": None, "last": event}
    )
    return "attendance_event", row["id"]


async def record_tap(
    device: dict | None, poster: dict, tap: TapInput, now: datetime | None = None
) -> Recorded:
    """Record a tap once, whatever the network did to it on the way."""
    if device is None or device["status"] != "active":
        raise Forbidden(N_("This phone is not linked to a worker. Identify yourself first."))
    if not (device["worker_active"] and device["account__is_active"]):
        raise Forbidden(N_("Your account is disabled. Ask your foreman."))
    now = now or datetime.now(UTC)
    payload = tap.payload(device["worker"], poster["id"])
    answer = Recorded(done=None)  # type: ignore[arg-type]
    # A repeat is rare (a lost answer) and its work is all in the transaction: it is
    # found by the key's unique index and undone, so first sends skip the lookup.
    answer.done = await once(
        SCOPE, tap.idempotency_key, payload, lambda: _append_tap(device, poster, tap, now, answer),
        look_first=False,
    )
    if answer.done.replayed or answer.event is None:
        # A repeat (or a double tap): tell the phone what is stored now.
        answer.event = await event(answer.done.result_id)
        answer.state = await state_of(device["worker"])
    return answer


EVENT_COLUMNS = (
    AttendanceEvent.id, AttendanceEvent.kind, AttendanceEvent.occurred_at, AttendanceEvent.server_time,
    AttendanceEvent.client_time, AttendanceEvent.flags, AttendanceEvent.work_date, AttendanceEvent.method,
    AttendanceEvent.site, AttendanceEvent.site.name.as_alias("site_name"),
    AttendanceEvent.site.timezone.as_alias("timezone"), AttendanceEvent.corrects, AttendanceEvent.reason,
)


async def event(event_id: int) -> dict:
    return await AttendanceEvent.select(*EVENT_COLUMNS).where(AttendanceEvent.id == event_id).first()


async def state_of(worker_id: int, now: datetime | None = None) -> dict:
    """What the button offers and the last thing that happened, for the worker's screen."""
    shift = await current_shift(worker_id, now)
    last = (
        await AttendanceEvent.select(*EVENT_COLUMNS)
        .where(AttendanceEvent.worker == worker_id)
        .order_by(AttendanceEvent.occurred_at, ascending=False)
        .first()
    )
    opened = await event(shift.start.id) if shift else None
    return {"action": "out" if shift else "in", "open_since": opened, "last": last}
