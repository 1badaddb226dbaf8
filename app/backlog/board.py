"""Reading the backlog: boards by status, an improvement's reports, evidence and voters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.backlog.services import EVIDENCE, backlog_for, priority
from app.backlog.tables import BacklogItem, BacklogLink, Vote
from app.db import write_transaction
from app.errors import Forbidden
from app.i18n import N_
from app.photos.tables import Photo, PhotoLink
from app.sites.tables import SiteMembership

# A board shows the most pressing of each status; a longer list is not read on a phone.
BOARD_SIZE = 200


def _scope(site_id: int | None):
    return BacklogItem.site.is_null() if site_id is None else BacklogItem.site == site_id


async def items(site_id: int | None, stage: str, *, flagged: bool = False) -> list[dict]:
    where = _scope(site_id) & (BacklogItem.status == stage)
    if flagged:
        where &= BacklogItem.flagged == True  # noqa: E712
    rows = (
        await BacklogItem.select(
            BacklogItem.all_columns(),
            BacklogItem.owner.name.as_alias("owner_name"),
            BacklogItem.site.name.as_alias("site_name"),
        )
        .where(where)
        .order_by(BacklogItem.updated_at, ascending=False)
        .limit(BOARD_SIZE)
    )
    now = datetime.now(UTC)
    for row in rows:
        row["priority"] = priority(row, now)
    return sorted(rows, key=lambda row: (-row["priority"], row["id"]))


async def counts(site_id: int | None) -> dict[str, int]:
    rows = (
        await BacklogItem.raw(
            "SELECT status, COUNT(*) AS n FROM backlog_item WHERE site IS NULL GROUP BY status"
        )
        if site_id is None
        else await BacklogItem.raw(
            "SELECT status, COUNT(*) AS n FROM backlog_item WHERE site = {} GROUP BY status", site_id
        )
    )
    return {row["status"]: row["n"] for row in rows}


async def reports_of(backlog_id: int) -> list[dict]:
    return (
        await BacklogLink.select(
            BacklogLink.feedback.as_alias("id"),
            BacklogLink.feedback.description.as_alias("description"),
            BacklogLink.feedback.status.as_alias("status"),
            BacklogLink.feedback.kind.as_alias("kind"),
        )
        .where(BacklogLink.backlog == backlog_id)
        .order_by(BacklogLink.id)
    )


async def evidence_of(backlog_id: int) -> list[int]:
    rows = (
        await PhotoLink.select(PhotoLink.photo)
        .where(
            (PhotoLink.record_type == EVIDENCE)
            & (PhotoLink.record_id == backlog_id)
            & PhotoLink.photo.is_in(Photo.select(Photo.id).where(Photo.deleted_at.is_null()))
        )
        .order_by(PhotoLink.id)
    )
    return [row["photo"] for row in rows]


async def around_feedback(user: User, feedback_id: int) -> dict:
    """For a report's page: its "me too" count, whether this person voted, its improvement."""
    link = await BacklogLink.select(BacklogLink.backlog).where(BacklogLink.feedback == feedback_id).first()
    return {
        "votes": await Vote.count().where(Vote.feedback == feedback_id),
        "voted": await Vote.exists().where((Vote.feedback == feedback_id) & (Vote.voter == user.id)),
        "backlog": link["backlog"] if link else None,
    }


async def has_voted(user: User, *, backlog_id: int) -> bool:
    return await Vote.exists().where((Vote.backlog == backlog_id) & (Vote.voter == user.id))


async def owners_for(item: dict) -> list[dict]:
    if item["site"] is None:
        return (
            await User.select(User.id, User.name)
            .where(
                (User.role == Role.admin.value) & (User.is_active == True)  # noqa: E712
            )
            .order_by(User.name)
        )
    return (
        await SiteMembership.select(
            SiteMembership.member.as_alias("id"),
            SiteMembership.member.name.as_alias("name"),
        )
        .where(SiteMembership.site == item["site"])
        .order_by(SiteMembership.member.name)
    )


async def set_flag(user: User, backlog_id: int, on: bool, *, device: str) -> None:
    """Leadership puts an improvement on (or takes it off) the rectification list (整改清单)."""
    item = await backlog_for(user, backlog_id)
    if user.role not in {Role.executive.value, Role.manager.value, Role.admin.value}:
        raise Forbidden(N_("Only leaders flag improvements."))
    async with write_transaction():
        await BacklogItem.update({BacklogItem.flagged: on}).where(BacklogItem.id == backlog_id)
        await audit.record(
            "backlog.flag" if on else "backlog.unflag",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=backlog_id,
            site_id=item["site"],
        )


DELIVERED_DAYS = 90


async def delivered(site_id: int) -> list[dict]:
    """Improvements done in the last 90 days, with their evidence: the public "you said, we did"."""
    since = datetime.now(UTC) - timedelta(days=DELIVERED_DAYS)
    rows = (
        await BacklogItem.select(
            BacklogItem.id,
            BacklogItem.title,
            BacklogItem.resolution,
            BacklogItem.done_at,
            BacklogItem.reports,
            BacklogItem.votes,
        )
        .where(
            (BacklogItem.site == site_id) & (BacklogItem.status == "done") & (BacklogItem.done_at >= since)
        )
        .order_by(BacklogItem.done_at, ascending=False)
        .limit(50)
    )
    for row in rows:
        row["photos"] = await evidence_of(row["id"])
    return rows
