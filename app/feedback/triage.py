"""What happens to an item after it is raised: triage, the fix and its re-inspection (整改 → 复查).

Who may do what:
- the site's supervisors, managers and admins triage its items (admins alone the
  company-wide system suggestions) and re-inspect fixes — never their own fix;
- an item's owner (a foreman or supervisor it was assigned to) marks it fixed, with a
  note and at least one evidence photo;
- the reporter and the owner see the item; everyone else gets 404.

The first status change or comment by someone other than the reporter is the item's
first response (`first_response_at`), which the SLA and the KPIs measure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.backlog.services import accept_into
from app.backlog.votes import move_votes
from app.db import insert_rows, write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed, invalid
from app.feedback.services import PHOTO_RECORD, end_of
from app.feedback.tables import FeedbackEvent, FeedbackItem, Kind, Status
from app.i18n import N_
from app.inbox.services import notify
from app.photos import services as photos
from app.photos.access import register_record_check
from app.sites import services as sites
from app.sites.tables import SiteMembership
from app.webhooks import services as webhooks

TRIAGERS = {Role.supervisor.value, Role.manager.value, Role.admin.value}
OWNERS = {Role.foreman.value, Role.supervisor.value, Role.manager.value}
OPEN = {Status.new, Status.assigned, Status.fixed}
MAX_NOTE = 1000
FIX_RECORD = "feedback_fix"


async def _row(item_id: int) -> dict | None:
    return (
        await FeedbackItem.select(
            FeedbackItem.all_columns(),
            FeedbackItem.site.name.as_alias("site_name"),
            FeedbackItem.site.timezone.as_alias("timezone"),
            FeedbackItem.area.name.as_alias("area_name"),
            FeedbackItem.crew.name.as_alias("crew_name"),
            FeedbackItem.owner.name.as_alias("owner_name"),
            FeedbackItem.reporter.name.as_alias("reporter_name"),
            FeedbackItem.subcontractor.name.as_alias("subcontractor_name"),
        )
        .where(FeedbackItem.id == item_id)
        .first()
    )


async def _staff_sees(user: User, item: Mapping) -> bool:
    """Staff who may see the item's site (system suggestions are the admins')."""
    if item["kind"] == Kind.system:
        return user.role == Role.admin.value
    try:
        await sites.site_for(user, item["site"])
    except NotFound:
        return False
    return True


async def may_triage(user: User, item: Mapping) -> bool:
    if item["kind"] != Kind.system and user.role not in TRIAGERS:
        return False
    return await _staff_sees(user, item)


async def item_for(user: User, item_id: int) -> dict:
    """The item, if `user` may see it (its triagers and executives, the reporter, the owner);
    404 otherwise."""
    item = await _row(item_id)
    if item is None:
        raise NotFound()
    if user.id in (item["reporter"], item["owner"]):
        return item
    if user.role in TRIAGERS | {Role.executive.value} and await _staff_sees(user, item):
        return item
    raise NotFound()


async def _triagable(user: User, item_id: int) -> dict:
    item = await item_for(user, item_id)
    if not await may_triage(user, item):
        raise Forbidden(N_("Only the project's supervisors can do this."))
    return item


def _note(text: str, field: str, *, required: bool, message: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise invalid(field, message)
    if len(text) > MAX_NOTE:
        raise invalid(field, N_("Keep it under %(count)s characters."), count=MAX_NOTE)
    return text


async def _change(
    user: User,
    item: Mapping,
    action: str,
    changes: dict,
    *,
    note: str = "",
    device: str,
) -> dict:
    """One step in the item's life: the row, its timeline, the audit log, the first response."""
    now = datetime.now(UTC)
    values = {**changes, "updated_at": now}
    if item["first_response_at"] is None and user.id != item["reporter"]:
        values["first_response_at"] = now
        # Answered: from now on it waits for its fix.
        values.setdefault("deadline", item["fix_by"])
    if "status" in changes:
        values["is_open"] = changes["status"] in OPEN
    async with write_transaction():
        await FeedbackItem.update({getattr(FeedbackItem, key): value for key, value in values.items()}).where(
            FeedbackItem.id == item["id"]
        )
        await insert_rows(
            FeedbackEvent,
            [{"item": item["id"], "action": action, "actor": user.id, "note": note, "created_at": now}],
        )
        await audit.record(
            f"feedback.{action}",
            actor=user,
            device=device,
            record_type="feedback",
            record_id=item["id"],
            site_id=item["site"],
            detail={"note": note[:200]} if note else None,
        )
        await _tell(user, item, action, values, note)
    return await _row(item["id"])


# What the reporter hears about each step (an anonymous report's reporter is unknown).
TOLD_TO_REPORTER = {
    "accept": N_("Your report #%(number)s was accepted as an improvement"),
    "assign": N_("Your report #%(number)s is being fixed"),
    "reject": N_("Your report #%(number)s was rejected: %(note)s"),
    "duplicate": N_("Your report #%(number)s is the same as %(note)s and is followed there"),
    "pass": N_("Your report #%(number)s was fixed and checked on site"),
    "comment": N_("New comment on your report #%(number)s: %(note)s"),
}


async def _tell(user: User, item: Mapping, action: str, values: Mapping, note: str) -> None:
    link = f"/feedback/{item['id']}"
    if item["reporter"] and item["reporter"] != user.id and action in TOLD_TO_REPORTER:
        await notify([item["reporter"]], TOLD_TO_REPORTER[action], link, number=item["id"], note=note[:200])
    if action == "assign" and values.get("owner") != user.id:
        await notify([values.get("owner")], N_("Fix #%(number)s is assigned to you"), link, number=item["id"])


def _still(item: Mapping, *statuses: Status) -> None:
    if item["status"] not in statuses:
        raise invalid("status", N_("This item has moved on meanwhile. Reload to see where it is."))


async def accept(user: User, item_id: int, backlog_text: str = "", *, device: str) -> dict:
    """Accepted into the backlog: a new improvement, or one named by its number."""
    item = await _triagable(user, item_id)
    _still(item, Status.new)
    async with write_transaction():
        backlog_id = await accept_into(user, item, backlog_text, device=device)
        return await _change(
            user, item, "accept", {"status": Status.accepted}, note=f"#{backlog_id}", device=device
        )


async def owners_for(item: Mapping) -> list[dict]:
    """Who a fix can be assigned to: the site's foremen, supervisors and managers."""
    return (
        await SiteMembership.select(
            SiteMembership.member.as_alias("id"),
            SiteMembership.member.name.as_alias("name"),
            SiteMembership.member.role.as_alias("role"),
        )
        .where(
            (SiteMembership.site == item["site"])
            & SiteMembership.member.role.is_in(sorted(OWNERS))
            & (SiteMembership.member.is_active == True)  # noqa: E712
        )
        .order_by(SiteMembership.member.name)
    )


async def assign(
    user: User, item_id: int, owner_text: str, due_text: str, *, device: str, today: date
) -> dict:
    item = await _triagable(user, item_id)
    _still(item, Status.new, Status.assigned)
    owners = {row["id"]: row for row in await owners_for(item)}
    owner_id = int(owner_text) if owner_text.isdigit() and len(owner_text) < 10 else None
    errors: dict[str, tuple[str, dict]] = {}
    if owner_id not in owners:
        errors["owner"] = (N_("Choose who will fix it."), {})
    fix_by = item["fix_by"]
    if due_text.strip():
        try:
            due = date.fromisoformat(due_text.strip())
        except ValueError:
            errors["due_on"] = (N_("Enter a date like 2026-03-31."), {})
        else:
            if due < today:
                errors["due_on"] = (N_("The due date has passed."), {})
            fix_by = end_of(due, item["timezone"])
    if errors:
        raise ValidationFailed(errors)
    note = owners[owner_id]["name"]
    return await _change(
        user,
        item,
        "assign",
        {"status": Status.assigned, "owner": owner_id, "fix_by": fix_by, "deadline": fix_by},
        note=note,
        device=device,
    )


async def mark_duplicate(user: User, item_id: int, kept_text: str, *, device: str) -> dict:
    item = await _triagable(user, item_id)
    _still(item, Status.new, Status.assigned)
    kept_id = int(kept_text.strip().lstrip("#")) if kept_text.strip().lstrip("#").isdigit() else None
    if kept_id is None or kept_id == item_id:
        raise invalid("duplicate_of", N_("Choose another item: the one to keep."))
    kept = await _row(kept_id)
    if kept is None or kept["site"] != item["site"]:
        raise invalid("duplicate_of", N_("Choose an item of the same project."))
    seen, cursor = {item_id}, kept
    while cursor and cursor["duplicate_of"]:  # a chain that leads back here would be a loop
        if cursor["duplicate_of"] in seen:
            raise invalid("duplicate_of", N_("That item is itself a duplicate of this one."))
        seen.add(cursor["id"])
        cursor = await _row(cursor["duplicate_of"])
    if cursor and cursor["id"] in seen:
        raise invalid("duplicate_of", N_("That item is itself a duplicate of this one."))
    async with write_transaction():
        await move_votes(item_id, kept_id, item["reporter"])
        return await _change(
            user,
            item,
            "duplicate",
            {"status": Status.duplicate, "duplicate_of": kept_id},
            note=f"#{kept_id}",
            device=device,
        )


async def reject(user: User, item_id: int, reason: str, *, device: str) -> dict:
    item = await _triagable(user, item_id)
    _still(item, Status.new, Status.assigned)
    reason = _note(reason, "reason", required=True, message=N_("Say why, for the person who reported it."))
    return await _change(
        user,
        item,
        "reject",
        {"status": Status.rejected, "reason": reason, "closed_at": datetime.now(UTC)},
        note=reason,
        device=device,
    )


async def comment(user: User, item_id: int, text: str, *, device: str) -> dict:
    item = await item_for(user, item_id)
    text = _note(text, "comment", required=True, message=N_("Write the comment first."))
    return await _change(user, item, "comment", {}, note=text, device=device)


async def mark_fixed(
    user: User, item_id: int, note: str, evidence: Sequence[bytes], *, key: str, device: str
) -> dict:
    item = await item_for(user, item_id)
    if item["owner"] != user.id:
        raise Forbidden(N_("Only the person this fix is assigned to can mark it fixed."))
    if item["status"] == Status.fixed:
        return item  # the same fix sent twice (an outbox replay)
    _still(item, Status.assigned)
    note = _note(note, "note", required=True, message=N_("Say what was done."))
    if not evidence:
        raise invalid("photo", N_("Add at least one photo of the fix."))
    site = {"id": item["site"], "timezone": item["timezone"]}
    details = photos.Details(item["area"], note[:500], (), None, "server", None, None, None)
    photo_ids = [
        await photos.store(user, site, content, details, key=f"{key[:56]}-f{index}", device=device)
        for index, content in enumerate(evidence)
    ]
    await photos.attach(photo_ids, FIX_RECORD, item_id)
    return await _change(
        user, item, "fix", {"status": Status.fixed, "fixed_at": datetime.now(UTC)}, note=note, device=device
    )


async def reinspect(user: User, item_id: int, passed: bool, reason: str, *, device: str) -> dict:
    item = await _triagable(user, item_id)
    _still(item, Status.fixed)
    if item["owner"] == user.id:
        raise Forbidden(N_("Someone else must re-inspect your own fix."))
    if passed:
        return await _change(
            user,
            item,
            "pass",
            {"status": Status.closed, "closed_at": datetime.now(UTC)},
            note=_note(reason, "reason", required=False, message=""),
            device=device,
        )
    reason = _note(reason, "reason", required=True, message=N_("Say what is still wrong."))
    return await _change(
        user, item, "fail", {"status": Status.assigned, "fixed_at": None}, note=reason, device=device
    )


async def timeline_of(item_id: int) -> list[dict]:
    return (
        await FeedbackEvent.select(
            FeedbackEvent.action,
            FeedbackEvent.note,
            FeedbackEvent.created_at,
            FeedbackEvent.actor.name.as_alias("actor_name"),
        )
        .where(FeedbackEvent.item == item_id)
        .order_by(FeedbackEvent.id)
    )


async def photos_of(item_id: int) -> dict[str, list[int]]:
    from app.photos.tables import Photo, PhotoLink

    rows = (
        await PhotoLink.select(PhotoLink.photo, PhotoLink.record_type)
        .where(
            PhotoLink.record_type.is_in([PHOTO_RECORD, FIX_RECORD])
            & (PhotoLink.record_id == item_id)
            & PhotoLink.photo.is_in(Photo.select(Photo.id).where(Photo.deleted_at.is_null()))
        )
        .order_by(PhotoLink.id)
    )
    found: dict[str, list[int]] = {PHOTO_RECORD: [], FIX_RECORD: []}
    for row in rows:
        found[row["record_type"]].append(row["photo"])
    return found


async def _may_see(user: User, item_id: int) -> bool:
    try:
        await item_for(user, item_id)
    except NotFound:
        return False
    return True


# A report's photos and its fix's evidence are visible to whoever may see the item.
register_record_check(PHOTO_RECORD, _may_see)
register_record_check(FIX_RECORD, _may_see)


async def mark_overdue(now: datetime | None = None) -> int:
    """An "overdue" line in the timeline of each open item past its deadline, once per deadline."""
    now = now or datetime.now(UTC)
    late = await FeedbackItem.raw(
        "SELECT id, site, owner FROM feedback_item f WHERE is_open = {} AND deadline < {} AND NOT EXISTS ("
        " SELECT 1 FROM feedback_event e"
        " WHERE e.item = f.id AND e.action = 'overdue' AND e.created_at >= f.deadline)",
        True,
        now,
    )
    if late:
        async with write_transaction():
            await insert_rows(
                FeedbackEvent, [{"item": row["id"], "action": "overdue", "created_at": now} for row in late]
            )
            for row in late:
                if row["owner"]:
                    await notify(
                        [row["owner"]],
                        N_("Fix #%(number)s is overdue"),
                        f"/feedback/{row['id']}",
                        number=row["id"],
                    )
            per_site = Counter(row["site"] for row in late)
            for site_id, count in sorted(per_site.items()):
                await webhooks.announce(
                    site_id, N_("%(count)s reports or fixes just went overdue"), count=count
                )
    return len(late)
