"""Corrections: a new event that points at the one it corrects, with who and why.

The ledger is never edited. A supervisor replaces a wrong check-in or check-out
(another time, or kind "void" to cancel it), or adds one that was never recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.checkin import ledger
from app.checkin.days import lock_worker, refresh_days
from app.checkin.services import local_date
from app.checkin.tables import AttendanceEvent
from app.db import write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.sites.services import site_for
from app.workforce.tables import Worker

KINDS = ("in", "out", "void")
# Site supervisors and those above them on a site; leaders look, they do not correct.
CORRECTORS = {Role.supervisor.value, Role.manager.value, Role.admin.value}


def _check(kind: str, occurred_at: datetime | None, reason: str, now: datetime) -> str:
    errors: dict[str, tuple[str, dict]] = {}
    if kind not in KINDS:
        errors["kind"] = (N_("Choose check in, check out or cancel."), {})
    if kind != "void" and (occurred_at is None or occurred_at.tzinfo is None):
        errors["occurred_at"] = (N_("Enter the date and time it really happened."), {})
    elif occurred_at is not None and occurred_at > now:
        errors["occurred_at"] = (N_("A correction cannot be in the future."), {})
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = (N_("Say why: the correction is shown on the worker's record."), {})
    elif len(reason) > 300:
        errors["reason"] = (N_("Keep the reason under %(count)s characters."), {"count": 300})
    if errors:
        raise ValidationFailed(errors)
    return reason


async def _append_correction(
    by: User, *, site: dict, worker_id: int, kind: str, occurred_at: datetime, work_date,
    corrects: int | None, reason: str, now: datetime,
) -> dict:
    await lock_worker(worker_id)
    # Asked under the lock: two corrections of one event sent together make one.
    if corrects is not None and await AttendanceEvent.exists().where(AttendanceEvent.corrects == corrects):
        message = N_("This event was corrected already: correct the correction.")
        raise ValidationFailed({"event": (message, {})})
    row = await ledger.append(
        {
            "site": site["id"], "worker": worker_id, "kind": kind, "method": "correction",
            "server_time": now, "client_time": None, "occurred_at": occurred_at, "work_date": work_date,
            "latitude": None, "longitude": None, "accuracy_m": None, "flags": "", "idempotency_key": "",
            "device": None, "corrects": corrects, "recorded_by": by.id, "reason": reason,
        },
        site["timezone"],
    )
    await refresh_days(worker_id, occurred_at, now)
    await audit.record(
        "attendance.correct", actor=by, record_type="attendance_event", record_id=row["id"],
        site_id=site["id"], detail={"corrects": corrects, "kind": kind, "reason": reason},
    )
    return row


async def correct_event(
    by: User, event_id: int, *, kind: str, occurred_at: datetime | None, reason: str,
    now: datetime | None = None,
) -> dict:
    """Replace (or with kind "void", cancel) one event of a site the supervisor runs."""
    if by.role not in CORRECTORS:
        raise Forbidden(N_("Only a site supervisor can correct attendance."))
    now = now or datetime.now(UTC)
    reason = _check(kind, occurred_at, reason, now)
    original = await AttendanceEvent.select().where(AttendanceEvent.id == event_id).first()
    if original is None:
        raise NotFound()
    site = await site_for(by, original["site"])  # 404 for sites that are not theirs
    moment = occurred_at or original["occurred_at"]
    work_date = original["work_date"] if kind != "in" else local_date(moment, site["timezone"])
    async with write_transaction():
        row = await _append_correction(
            by, site=site, worker_id=original["worker"], kind=kind, occurred_at=moment,
            work_date=work_date, corrects=event_id, reason=reason, now=now,
        )
        await refresh_days(original["worker"], original["occurred_at"], now)
    return row


async def add_missing(
    by: User, worker_id: int, site_id: int, *, kind: str, occurred_at: datetime | None, reason: str,
    now: datetime | None = None,
) -> dict:
    """Record a check-in or check-out that was never recorded (a forgotten check-out)."""
    if by.role not in CORRECTORS:
        raise Forbidden(N_("Only a site supervisor can correct attendance."))
    now = now or datetime.now(UTC)
    if kind == "void":
        raise ValidationFailed({"kind": (N_("Choose check in, check out or cancel."), {})})
    reason = _check(kind, occurred_at, reason, now)
    site = await site_for(by, site_id)
    if not await Worker.exists().where(Worker.id == worker_id):
        raise NotFound()
    async with write_transaction():
        return await _append_correction(
            by, site=site, worker_id=worker_id, kind=kind, occurred_at=occurred_at,
            work_date=local_date(occurred_at, site["timezone"]), corrects=None, reason=reason, now=now,
        )


