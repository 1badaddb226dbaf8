"""Raising feedback: a report from anyone on site, or a supervisor's finding on rounds (巡检).

Safety reports may be anonymous: then no person and no device are stored anywhere —
not on the item, its photos, its timeline, the audit log or the idempotency record
(which keeps only the key and a hash of the payload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.checkin.tables import AttendanceEvent
from app.db import insert_rows
from app.errors import ValidationFailed
from app.feedback import live, sla
from app.feedback.tables import FeedbackEvent, FeedbackItem, Kind, Severity, Source
from app.i18n import N_
from app.outbox.services import earlier, once
from app.photos import services as photos
from app.sites.tables import Area
from app.webhooks import services as webhooks
from app.workforce.tables import Crew, Subcontractor

SCOPE = "feedback"
MAX_DESCRIPTION = 2000
MAX_PHOTOS = 5
FINDERS = {Role.supervisor.value, Role.manager.value, Role.admin.value}
PHOTO_RECORD = "feedback"


@dataclass(frozen=True)
class ReportInput:
    kind: Kind
    severity: Severity
    description: str
    area_id: int | None
    anonymous: bool
    crew_id: int | None = None
    subcontractor_id: int | None = None
    due_on: date | None = None

    def payload(self, site_id: int, photo_hashes: Sequence[str]) -> dict:
        return {
            "site": site_id,
            "kind": self.kind,
            "severity": self.severity,
            "text": self.description,
            "area": self.area_id,
            "anonymous": self.anonymous,
            "crew": self.crew_id,
            "subcontractor": self.subcontractor_id,
            "due": self.due_on,
            "photos": list(photo_hashes),
        }


def _choice(form: Mapping[str, str], name: str, choices: type, errors: dict, message: str):
    value = (form.get(name) or "").strip()
    try:
        return choices(value)
    except ValueError:
        errors[name] = (message, {})
        return None


def _optional_id(form: Mapping[str, str], name: str) -> int | None:
    text = (form.get(name) or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else (-1 if text else None)


def parse_report(form: Mapping[str, str], *, finding: bool = False, today: date | None = None) -> ReportInput:
    errors: dict[str, tuple[str, dict]] = {}
    kind = _choice(form, "kind", Kind, errors, N_("Choose what kind of problem it is."))
    severity = _choice(form, "severity", Severity, errors, N_("Choose how serious it is."))
    description = (form.get("description") or "").strip()
    if not description:
        errors["description"] = (N_("Say what is wrong."), {})
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = (N_("Keep it under %(count)s characters."), {"count": MAX_DESCRIPTION})
    anonymous = form.get("anonymous") in ("on", "true", "1") and not finding
    if anonymous and kind is not Kind.safety:
        errors["anonymous"] = (N_("Only safety reports can be anonymous."), {})
    due_on = None
    if finding and (text := (form.get("due_on") or "").strip()):
        try:
            due_on = date.fromisoformat(text)
        except ValueError:
            errors["due_on"] = (N_("Enter a date like 2026-03-31."), {})
        else:
            if today and due_on < today:
                errors["due_on"] = (N_("The due date has passed."), {})
    if errors:
        raise ValidationFailed(errors)
    return ReportInput(
        kind,
        severity,
        description,
        _optional_id(form, "area"),
        anonymous,
        _optional_id(form, "crew") if finding else None,
        _optional_id(form, "subcontractor") if finding else None,
        due_on,
    )


async def _check_places(site_id: int, data: ReportInput) -> None:
    errors: dict[str, tuple[str, dict]] = {}
    if data.area_id is not None and not await Area.exists().where(
        (Area.id == data.area_id) & (Area.site == site_id)
    ):
        errors["area"] = (N_("Choose an area of this project."), {})
    if data.crew_id is not None and not await Crew.exists().where(
        (Crew.id == data.crew_id) & (Crew.site == site_id)
    ):
        errors["crew"] = (N_("Choose a crew of this project."), {})
    if data.subcontractor_id is not None and not await Subcontractor.exists().where(
        Subcontractor.id == data.subcontractor_id
    ):
        errors["subcontractor"] = (N_("Choose a subcontractor from the list."), {})
    if errors:
        raise ValidationFailed(errors)


def end_of(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(23, 59), ZoneInfo(timezone)).astimezone(UTC)


async def raise_item(
    user: User,
    site: Mapping,
    data: ReportInput,
    photo_files: Sequence[bytes],
    *,
    key: str,
    device: str,
    source: Source = Source.report,
) -> int:
    """A new item (a report, or a finding with who is responsible and by when); its id.

    A repeated key is the same item: an offline report sent twice is one report.
    """
    if source is Source.inspection and user.role not in FINDERS:
        raise ValidationFailed({"source": (N_("Only supervisors record inspection findings."), {})})
    if len(photo_files) > MAX_PHOTOS:
        raise ValidationFailed({"photo": (N_("At most %(count)s photos at once."), {"count": MAX_PHOTOS})})
    await _check_places(site["id"], data)
    hashes = [photos.content_hash_of(content) for content in photo_files]
    if done := await earlier(SCOPE, key, data.payload(site["id"], hashes)):
        return done.result_id  # sent again from the phone: the same report, no new photos
    anonymous = data.anonymous
    person = None if anonymous else user
    photo_ids = []
    for index, content in enumerate(photo_files):
        photo_details = photos.Details(data.area_id, "", (), None, "server", None, None, None)
        photo_ids.append(
            await photos.store(
                person,
                site,
                content,
                photo_details,
                key=f"{key[:56]}-p{index}",
                device="" if anonymous else device,
                anonymous=anonymous,
            )
        )
    now = datetime.now(UTC)
    respond_by, fix_by = await sla.deadlines(site["id"], data.severity, now)
    if data.due_on:
        fix_by = end_of(data.due_on, site["timezone"])
    finding = source is Source.inspection

    async def add() -> tuple[str, int]:
        item_id = (
            await insert_rows(
                FeedbackItem,
                [
                    {
                        "site": site["id"],
                        "area": data.area_id,
                        "kind": data.kind.value,
                        "severity": data.severity.value,
                        "severity_rank": sla.RANK[data.severity],
                        "source": source.value,
                        "description": data.description,
                        "reporter": person.id if person else None,
                        "anonymous": anonymous,
                        "crew": data.crew_id,
                        "subcontractor": data.subcontractor_id,
                        "created_at": now,
                        "updated_at": now,
                        "respond_by": respond_by,
                        "fix_by": fix_by,
                        # A finding is its inspector's own answer: it waits for the fix, not for triage.
                        "deadline": fix_by if finding else respond_by,
                        "first_response_at": now if finding else None,
                    }
                ],
            )
        )[0]
        await insert_rows(
            FeedbackEvent,
            [
                {
                    "item": item_id,
                    "action": "created",
                    "actor": person.id if person else None,
                    "created_at": now,
                }
            ],
        )
        if data.severity is Severity.critical:
            await webhooks.announce(
                site["id"],
                N_("New critical report #%(number)s: %(text)s"),
                number=item_id,
                text=data.description[:80],
            )
        await photos.attach(photo_ids, PHOTO_RECORD, item_id)
        await audit.record(
            "feedback.finding" if finding else "feedback.report",
            actor=person,
            device="" if anonymous else device,
            record_type="feedback",
            record_id=item_id,
            site_id=site["id"],
            anonymous=anonymous,
        )
        return "feedback", item_id

    done = await once(SCOPE, key, data.payload(site["id"], hashes), add)
    if not done.replayed:
        await live.announce(site["id"], data.kind, done.result_id)
    return done.result_id


async def where_they_are(user: User) -> int | None:
    """The site of the worker's open shift or last check-in: where a report most likely is."""
    from app.workforce.tables import Worker

    worker = await Worker.select(Worker.id).where(Worker.account == user.id).first()
    if worker is None:
        return None
    last = (
        await AttendanceEvent.select(AttendanceEvent.site)
        .where(AttendanceEvent.worker == worker["id"])
        .order_by(AttendanceEvent.occurred_at, ascending=False)
        .first()
    )
    return last["site"] if last else None
