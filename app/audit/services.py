"""The audit log: writing entries, and browsing them.

Rules:
- Every write in a service records one entry here.
- Admins and executives may browse every entry; project managers only the entries
  of their own sites (entries without a site, such as sign-ins, are not theirs).
  Anyone else sees nothing.
- Dates in a filter are calendar days in Asia/Shanghai, both ends included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.accounts.tables import Role, User
from app.audit.tables import AuditEntry
from app.errors import ValidationFailed
from app.i18n import DEFAULT_TIMEZONE, N_
from app.sites.services import SEES_ALL_SITES, member_site_ids

ANONYMOUS = "anonymous"
SYSTEM = "system"
PAGE_SIZE = 50
MAX_TEXT = 50  # the record columns' length
# PostgreSQL's integer: a larger id would fail the query instead of matching nothing.
MAX_ID = 2**31 - 1

# What the browser calls actions and records; unknown codes are shown as they are.
ACTION_LABELS = {
    "sign_in": N_("Signed in"),
    "sign_in.failed": N_("Sign-in failed"),
    "sign_out": N_("Signed out"),
    "user.create": N_("Account created"),
    "user.change_secret": N_("Password/PIN changed"),
    "user.language": N_("Language changed"),
    "user.disable": N_("Account disabled"),
    "user.enable": N_("Account enabled"),
    "user.update": N_("Account changed"),
    "site.create": N_("Project created"),
    "site.update": N_("Project settings changed"),
    "site.deactivate": N_("Project deactivated"),
    "site.reactivate": N_("Project reactivated"),
    "site.member_add": N_("Member added"),
    "site.member_remove": N_("Member removed"),
    "area.create": N_("Area added"),
    "area.rename": N_("Area renamed"),
    "area.move": N_("Area moved"),
    "area.deactivate": N_("Area deactivated"),
    "area.reactivate": N_("Area reactivated"),
    "crew.create": N_("Crew added"),
    "crew.update": N_("Crew changed"),
    "subcontractor.create": N_("Subcontractor added"),
    "subcontractor.rename": N_("Subcontractor renamed"),
    "roster.import": N_("Roster imported"),
    "worker.register": N_("Worker registered"),
    "worker.update": N_("Worker changed"),
    "worker.reset_pin": N_("PIN reset"),
    "demo_data.load": N_("Demo data loaded"),
    "poster.create": N_("Check-in poster made"),
    "poster.regenerate": N_("Check-in poster replaced"),
    "poster.revoke": N_("Check-in poster taken down"),
    "device.identify": N_("Phone linked with the PIN"),
    "device.request": N_("Phone waiting for approval"),
    "device.approve": N_("Phone approved"),
    "device.revoke": N_("Phone unlinked"),
    "attendance.correct": N_("Attendance corrected"),
    "photo.upload": N_("Photo added"),
    "photo.delete": N_("Photo deleted"),
    "feedback.report": N_("Problem reported"),
    "feedback.finding": N_("Inspection finding recorded"),
    "feedback.accept": N_("Report accepted"),
    "feedback.assign": N_("Fix assigned"),
    "feedback.duplicate": N_("Report marked a duplicate"),
    "feedback.reject": N_("Report rejected"),
    "feedback.comment": N_("Report commented"),
    "feedback.fix": N_("Marked fixed"),
    "feedback.pass": N_("Re-inspection passed"),
    "feedback.fail": N_("Re-inspection failed"),
    "sla.update": N_("Response and fix times changed"),
    "backlog.create": N_("Improvement added"),
    "backlog.proposed": N_("Improvement proposed"),
    "backlog.planned": N_("Improvement planned"),
    "backlog.doing": N_("Improvement started"),
    "backlog.wont_do": N_("Improvement won't be done"),
    "backlog.done": N_("Improvement done"),
    "backlog.answer": N_("Fixed? answered"),
    "backlog.flag": N_("Put on the rectification list"),
    "backlog.unflag": N_("Taken off the rectification list"),
    "webhook.set": N_("Group robot set"),
    "webhook.clear": N_("Group robot removed"),
}
RECORD_LABELS = {
    "user": N_("Account"),
    "worker": N_("Worker"),
    "deployment": N_("Installation"),
    "site": N_("Project"),
    "area": N_("Area"),
    "crew": N_("Crew"),
    "subcontractor": N_("Subcontractor"),
    "roster": N_("Roster"),
    "poster": N_("Check-in poster"),
    "attendance_event": N_("Attendance record"),
    "photo": N_("Photo"),
    "feedback": N_("Report"),
    "backlog": N_("Improvement"),
}


async def record(
    action: str,
    *,
    actor: User | None,
    device: str = "",
    record_type: str,
    record_id: object,
    site_id: int | None = None,
    detail: dict[str, Any] | None = None,
    anonymous: bool = False,
) -> None:
    """An anonymous entry keeps nothing that could point at the person or the phone."""
    if anonymous:
        actor, device = None, ""
    await AuditEntry.insert(
        AuditEntry(
            actor=actor.id if actor else None,
            actor_label=ANONYMOUS if anonymous else (actor.name if actor else SYSTEM),
            device=device,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            site=site_id,
            detail=detail or {},
        )
    )


@dataclass(frozen=True)
class AuditFilters:
    person: int | None = None
    record_type: str = ""
    record_id: str = ""
    site: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _number(value: str, field: str, message: str, errors: dict) -> int | None:
    if not value.strip():
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 0 < number <= MAX_ID:
        errors[field] = (message, {})
        return None
    return number


def _day(value: str, field: str, errors: dict) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = (N_("Enter a date as year-month-day."), {})
        return None


def parse_filters(form: Mapping[str, str]) -> AuditFilters:
    """The filters of the audit browser from its query; every problem at once."""
    errors: dict[str, tuple[str, dict]] = {}
    person = _number(form.get("person", ""), "person", N_("Tap a name in the list to choose a person."),
                     errors)
    site = _number(form.get("site", ""), "site", N_("Choose a project from the list."), errors)
    date_from = _day(form.get("date_from", ""), "date_from", errors)
    date_to = _day(form.get("date_to", ""), "date_to", errors)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = (N_("The end date is before the start date."), {})
    if errors:
        raise ValidationFailed(errors)
    return AuditFilters(
        person=person, site=site, date_from=date_from, date_to=date_to,
        record_type=form.get("record_type", "").strip()[:MAX_TEXT],
        record_id=form.get("record_id", "").strip()[:MAX_TEXT],
    )


def _start_of(day: date) -> datetime:
    # In UTC: SQLite compares the stored UTC text, so the bound must be UTC as well.
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(DEFAULT_TIMEZONE)).astimezone(UTC)


def _visible_to(viewer: User) -> list | None:
    """The conditions limiting the log to `viewer`; None when they may see none of it."""
    if viewer.role in SEES_ALL_SITES:
        return []
    if viewer.role == Role.manager.value:
        return [AuditEntry.site.is_in(member_site_ids(viewer))]
    return None


ENTRY_COLUMNS = (
    AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.actor_label, AuditEntry.device,
    AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id, AuditEntry.site,
    AuditEntry.detail, AuditEntry.actor.name.as_alias("actor_name"),
    AuditEntry.site.name.as_alias("site_name"),
)


async def entries_for(
    viewer: User, filters: AuditFilters, *, before: int | None = None, limit: int = PAGE_SIZE
) -> list[dict]:
    """Up to `limit` entries `viewer` may see, newest first, older than entry `before`.

    Ordered by id, which grows with time: the next page starts below one number, and
    no entry is skipped or shown twice when new ones arrive meanwhile.
    """
    where = _visible_to(viewer)
    if where is None:
        return []
    if filters.person is not None:
        where.append(AuditEntry.actor == filters.person)
    if filters.record_type:
        where.append(AuditEntry.record_type == filters.record_type)
    if filters.record_id:
        where.append(AuditEntry.record_id == filters.record_id)
    if filters.site is not None:
        where.append(AuditEntry.site == filters.site)
    if filters.date_from:
        where.append(AuditEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        where.append(AuditEntry.at < _start_of(filters.date_to + timedelta(days=1)))
    if before is not None:
        where.append(AuditEntry.id < min(before, MAX_ID))
    return await (
        AuditEntry.select(*ENTRY_COLUMNS)
        .where(*where)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def person_name(viewer: User, person_id: int) -> str | None:
    """The name of a person in the log, only if `viewer` may see an entry of theirs."""
    where = _visible_to(viewer)
    if where is None:
        return None
    row = await (
        AuditEntry.select(AuditEntry.actor.name.as_alias("name"))
        .where(*where, AuditEntry.actor == person_id)
        .first()
    )
    return row["name"] if row else None
