"""Attendance: site posters, remembered phones, the append-only ledger and day summaries."""

from decimal import Decimal
from enum import StrEnum

from piccolo.columns import (
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.sites.tables import Site
from app.workforce.tables import Worker


class Poster(Table):
    """A printed QR poster at a site's gate; regenerating one revokes the old code."""

    site = ForeignKey(Site, index=True, on_delete=OnDelete.restrict)
    gate = Varchar(length=60, default="")
    # The random part of the signed token printed in the code.
    code = Varchar(length=32, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    revoked_at = Timestamptz(null=True, default=None)


class DeviceStatus(StrEnum):
    pending = "pending"  # waiting for the foreman's approval
    active = "active"
    revoked = "revoked"


class WorkerDevice(Table):
    """A phone remembered for one worker: its long-lived credential, stored hashed."""

    worker = ForeignKey(Worker, index=True, on_delete=OnDelete.cascade)
    secret_hash = Varchar(length=64, unique=True)
    label = Varchar(length=120, default="")
    status = Varchar(length=10, choices=DeviceStatus, default=DeviceStatus.active, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(null=True, default=None)
    last_poster = ForeignKey(Poster, null=True, on_delete=OnDelete.set_null)
    decided_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


class AttendanceEvent(Table):
    """One check-in or check-out, never edited or deleted (database triggers refuse it).

    `seq`, `prev_hash` and `hash` chain each site's events: the hash covers the previous
    hash and this event's canonical content, keyed with LEDGER_KEY.
    """

    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    seq = Integer()
    # Found by worker through attendance_event_worker_time (worker, occurred_at).
    worker = ForeignKey(Worker, on_delete=OnDelete.restrict)
    kind = Varchar(length=8)  # in, out, void
    method = Varchar(length=12)  # poster, kiosk, roll_call, crew_list, correction
    server_time = Timestamptz(default=TimestamptzNow())
    client_time = Timestamptz(null=True, default=None)
    # The moment the event counts for: the phone's tap time when it is plausible.
    occurred_at = Timestamptz()
    work_date = Date()
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    accuracy_m = DoublePrecision(null=True, default=None)
    flags = Varchar(length=200, default="")
    idempotency_key = Varchar(length=64, default="")
    device = ForeignKey(WorkerDevice, null=True, on_delete=OnDelete.restrict)
    corrects = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    recorded_by = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    reason = Varchar(length=300, default="")
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class AttendanceDay(Table):
    """A worker's day at one site, recomputed from the ledger on every event."""

    worker = ForeignKey(Worker, on_delete=OnDelete.cascade)
    # Found by site through attendance_day_kpi (site, work_date, ...).
    site = ForeignKey(Site, on_delete=OnDelete.cascade)
    work_date = Date(index=True)
    first_in = Timestamptz(null=True, default=None)
    last_out = Timestamptz(null=True, default=None)
    hours = Numeric(digits=(6, 2), default=Decimal("0"))
    man_days = Numeric(digits=(4, 1), default=Decimal("0"))
    shifts = Integer(default=0)
    open_shift = Boolean(default=False)
    events = Integer(default=0)
    anomalies = Varchar(length=200, default="")
    corrected = Boolean(default=False)


class LedgerDayHead(Table):
    """A site's chain head at the end of each (site-local) day, for statements."""

    site = ForeignKey(Site, on_delete=OnDelete.restrict)
    day = Date()
    seq = Integer()
    hash = Varchar(length=64)
