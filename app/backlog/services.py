"""Improvements: made from accepted feedback (or by managers), prioritised, voted on, done
with evidence, and checked with the people who reported the problem.

Priority (shown on every item, boards sorted by it), in one place:
    score = 10 × severity (1 low … 4 critical of its worst report)
          + 3 × votes ("me too")
          + 5 × linked reports
          + 0.5 × days since it was made (at most 60 days count)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.backlog.tables import BacklogItem, BacklogLink, FixedQuestion, Stage, Vote
from app.db import insert_rows, write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed, invalid
from app.feedback.tables import FeedbackEvent, FeedbackItem, Status
from app.i18n import N_
from app.inbox.services import notify
from app.photos import services as photos
from app.sites import members
from app.sites.services import site_for
from app.webhooks import services as webhooks

WEIGHTS = {"severity": 10, "votes": 3, "reports": 5, "age_day": 0.5}
MAX_AGE_DAYS = 60
REOPEN_WITHIN = timedelta(days=14)
MANAGES = {Role.supervisor.value, Role.manager.value, Role.admin.value}
FLAGS = {Role.executive.value, Role.manager.value, Role.admin.value}
EVIDENCE = "backlog"
MAX_TITLE = 120


def priority(item: Mapping, now: datetime | None = None) -> float:
    age = ((now or datetime.now(UTC)) - item["created_at"]).days
    return round(
        WEIGHTS["severity"] * item["severity_rank"]
        + WEIGHTS["votes"] * item["votes"]
        + WEIGHTS["reports"] * item["reports"]
        + WEIGHTS["age_day"] * min(max(age, 0), MAX_AGE_DAYS),
        1,
    )


async def backlog_for(user: User, backlog_id: int) -> dict:
    """The item if `user` may see it (members of its site; company-wide: staff); 404 otherwise."""
    item = (
        await BacklogItem.select(
            BacklogItem.all_columns(),
            BacklogItem.owner.name.as_alias("owner_name"),
            BacklogItem.site.name.as_alias("site_name"),
        )
        .where(BacklogItem.id == backlog_id)
        .first()
    )
    if item is None:
        raise NotFound()
    if item["site"] is None:
        if user.role == Role.worker.value:
            raise NotFound()
    elif not await members.is_member(user, item["site"]):
        raise NotFound()
    item["priority"] = priority(item)
    return item


async def may_manage(user: User, item: Mapping) -> bool:
    if item["site"] is None:
        return user.role == Role.admin.value
    if user.role not in MANAGES and user.id != item["owner"]:
        return False
    try:
        await site_for(user, item["site"])
    except NotFound:
        return False
    return True


async def recount(backlog_id: int) -> None:
    """Votes, reports and the worst severity, kept on the item for sorting boards in SQL."""
    reports = await BacklogLink.select(BacklogLink.feedback.severity_rank.as_alias("rank")).where(
        BacklogLink.backlog == backlog_id
    )
    votes = await Vote.count().where(Vote.backlog == backlog_id)
    report_votes = await Vote.count().where(
        Vote.feedback.is_in(BacklogLink.select(BacklogLink.feedback).where(BacklogLink.backlog == backlog_id))
    )
    await BacklogItem.update(
        {
            BacklogItem.reports: len(reports),
            BacklogItem.votes: votes + report_votes,
            BacklogItem.severity_rank: max([row["rank"] for row in reports], default=2),
            BacklogItem.updated_at: datetime.now(UTC),
        }
    ).where(BacklogItem.id == backlog_id)


def _title(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise invalid("title", N_("Give the improvement a short title."))
    if len(text) > MAX_TITLE:
        raise invalid("title", N_("Keep the title under %(count)s characters."), count=MAX_TITLE)
    return text


async def create(user: User, site_id: int | None, title: str, description: str, *, device: str) -> int:
    if site_id is None and user.role != Role.admin.value:
        raise Forbidden(N_("Only admins make company-wide improvements."))
    if site_id is not None:
        await site_for(user, site_id)
        if user.role not in {Role.manager.value, Role.admin.value}:
            raise Forbidden(N_("Only managers add improvements directly."))
    now = datetime.now(UTC)
    async with write_transaction():
        backlog_id = (
            await insert_rows(
                BacklogItem,
                [
                    {
                        "site": site_id,
                        "title": _title(title),
                        "description": (description or "").strip()[:4000],
                        "created_by": user.id,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
        )[0]
        await audit.record(
            "backlog.create",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=backlog_id,
            site_id=site_id,
        )
    return backlog_id


async def accept_into(user: User, feedback: Mapping, backlog_text: str, *, device: str) -> int:
    """Triage's accept: a new improvement from the report, or the report joins an existing one.

    Call inside the triage's write transaction.
    """
    backlog_id = None
    if text := (backlog_text or "").strip().lstrip("#"):
        if not text.isdigit() or len(text) > 9:
            raise invalid("backlog", N_("Enter the number of an improvement, or leave it empty."))
        existing = (
            await BacklogItem.select(BacklogItem.id, BacklogItem.site, BacklogItem.status)
            .where(BacklogItem.id == int(text))
            .first()
        )
        site = None if feedback["kind"] == "system" else feedback["site"]
        if existing is None or existing["site"] != site or existing["status"] in (Stage.done, Stage.wont_do):
            raise invalid("backlog", N_("Choose an open improvement of the same project."))
        backlog_id = existing["id"]
    now = datetime.now(UTC)
    if backlog_id is None:
        backlog_id = (
            await insert_rows(
                BacklogItem,
                [
                    {
                        "site": None if feedback["kind"] == "system" else feedback["site"],
                        "title": " ".join(feedback["description"].split())[: MAX_TITLE - 1],
                        "description": feedback["description"],
                        "created_by": user.id,
                        "created_at": now,
                        "updated_at": now,
                        "severity_rank": feedback["severity_rank"],
                    }
                ],
            )
        )[0]
    await insert_rows(BacklogLink, [{"backlog": backlog_id, "feedback": feedback["id"]}])
    await recount(backlog_id)
    return backlog_id


async def set_stage(
    user: User,
    backlog_id: int,
    stage_text: str,
    reason: str,
    owner_text: str,
    target_text: str,
    *,
    device: str,
) -> dict:
    item = await backlog_for(user, backlog_id)
    if not await may_manage(user, item):
        raise Forbidden(N_("Only the project's supervisors and managers can change improvements."))
    errors: dict[str, tuple[str, dict]] = {}
    try:
        stage = Stage(stage_text)
    except ValueError:
        raise invalid("status", N_("Choose from the list.")) from None
    if stage is Stage.done:
        raise invalid("status", N_("Mark it done with a note and a photo of the result."))
    if item["status"] in (Stage.done, Stage.wont_do) and stage is not Stage.doing:
        raise invalid("status", N_("A finished improvement can only be taken up again (doing)."))
    reason = (reason or "").strip()[:500]
    if stage is Stage.wont_do and not reason:
        errors["reason"] = (N_("Say why it won't be done."), {})
    changes = {BacklogItem.status: stage.value, BacklogItem.updated_at: datetime.now(UTC)}
    if stage is Stage.wont_do:
        changes[BacklogItem.reason] = reason
    if owner_text.strip():
        if not owner_text.isdigit() or not await User.exists().where(
            (User.id == int(owner_text)) & (User.role != Role.worker.value) & (User.is_active == True)  # noqa: E712
        ):
            errors["owner"] = (N_("Choose who owns it."), {})
        else:
            changes[BacklogItem.owner] = int(owner_text)
    if target_text.strip():
        try:
            changes[BacklogItem.target_date] = date.fromisoformat(target_text.strip())
        except ValueError:
            errors["target_date"] = (N_("Enter a date like 2026-03-31."), {})
    if errors:
        raise ValidationFailed(errors)
    async with write_transaction():
        if item["status"] == Stage.done:
            await take_up_again(user, backlog_id, changes[BacklogItem.updated_at])
        await BacklogItem.update(changes).where(BacklogItem.id == backlog_id)
        await audit.record(
            f"backlog.{stage.value}",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=backlog_id,
            site_id=item["site"],
            detail={"reason": reason} if reason else None,
        )
        if owner := changes.get(BacklogItem.owner):
            await notify(
                [owner],
                N_("Improvement #%(number)s is yours now"),
                f"/backlog/{backlog_id}",
                number=backlog_id,
            )
    return await backlog_for(user, backlog_id)


async def mark_done(
    user: User, backlog_id: int, resolution: str, evidence: Sequence[bytes], *, key: str, device: str
) -> dict:
    """Done with a note and evidence photos: its reports close, their reporters are asked "fixed?"."""
    item = await backlog_for(user, backlog_id)
    if not await may_manage(user, item):
        raise Forbidden(N_("Only the project's supervisors and managers can change improvements."))
    if item["status"] == Stage.done:
        return item  # sent twice
    resolution = (resolution or "").strip()
    if not resolution:
        raise invalid("resolution", N_("Say what was done."))
    if not evidence:
        raise invalid("photo", N_("Add at least one photo of the result."))
    if item["site"] is None:
        raise invalid(
            "status", N_("Company-wide improvements are closed by an admin from the site they concern.")
        )
    site = {"id": item["site"], "timezone": (await site_for(user, item["site"]))["timezone"]}
    details = photos.Details(None, resolution[:500], (), None, "server", None, None, None)
    photo_ids = [
        await photos.store(user, site, content, details, key=f"{key[:56]}-d{index}", device=device)
        for index, content in enumerate(evidence)
    ]
    now = datetime.now(UTC)
    linked = await BacklogLink.select(
        BacklogLink.feedback,
        BacklogLink.feedback.reporter.as_alias("reporter"),
        BacklogLink.feedback.status.as_alias("status"),
    ).where(BacklogLink.backlog == backlog_id)
    async with write_transaction():
        await photos.attach(photo_ids, EVIDENCE, backlog_id, public=True)
        await BacklogItem.update(
            {
                BacklogItem.status: Stage.done.value,
                BacklogItem.resolution: resolution,
                BacklogItem.done_at: now,
                BacklogItem.updated_at: now,
            }
        ).where(BacklogItem.id == backlog_id)
        for link in linked:
            if link["status"] in (Status.closed, Status.rejected, Status.duplicate):
                continue
            await FeedbackItem.update(
                {
                    FeedbackItem.status: Status.closed.value,
                    FeedbackItem.is_open: False,
                    FeedbackItem.closed_at: now,
                    FeedbackItem.updated_at: now,
                }
            ).where(FeedbackItem.id == link["feedback"])
            await insert_rows(
                FeedbackEvent,
                [
                    {
                        "item": link["feedback"],
                        "action": "delivered",
                        "actor": user.id,
                        "note": f"#{backlog_id}",
                        "created_at": now,
                    }
                ],
            )
            if link["reporter"]:
                question = (
                    await insert_rows(
                        FixedQuestion,
                        [
                            {
                                "feedback": link["feedback"],
                                "backlog": backlog_id,
                                "reporter": link["reporter"],
                                "asked_at": now,
                            }
                        ],
                    )
                )[0]
                await notify(
                    [link["reporter"]],
                    N_("Your report #%(number)s was fixed. Is it fixed?"),
                    f"/feedback/{link['feedback']}",
                    question=question,
                    number=link["feedback"],
                )
        await webhooks.announce(item["site"], N_("Improvement delivered: %(title)s"), title=item["title"])
        await audit.record(
            "backlog.done",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=backlog_id,
            site_id=item["site"],
        )
    return await backlog_for(user, backlog_id)


async def take_up_again(user: User, backlog_id: int, now: datetime) -> None:
    """Back to doing after done: the reports its "done" closed are open (accepted) again, so
    the next "done" asks their reporters again. Call inside a write transaction."""
    done_at = (await BacklogItem.select(BacklogItem.done_at).where(BacklogItem.id == backlog_id).first())[
        "done_at"
    ]
    if done_at is not None:
        # closed_at equals the done time for the reports closed with it, not for those closed otherwise
        closed_with_it = (
            FeedbackItem.id.is_in(
                BacklogLink.select(BacklogLink.feedback).where(BacklogLink.backlog == backlog_id)
            )
            & (FeedbackItem.status == Status.closed.value)
            & (FeedbackItem.closed_at >= done_at)
        )
        reports = [row["id"] for row in await FeedbackItem.select(FeedbackItem.id).where(closed_with_it)]
        if reports:
            await FeedbackItem.update(
                {
                    FeedbackItem.status: Status.accepted.value,
                    FeedbackItem.is_open: True,
                    FeedbackItem.closed_at: None,
                    FeedbackItem.updated_at: now,
                }
            ).where(FeedbackItem.id.is_in(reports))
            await insert_rows(
                FeedbackEvent,
                [
                    {
                        "item": report,
                        "action": "not_fixed",
                        "actor": user.id,
                        "note": f"#{backlog_id}",
                        "created_at": now,
                    }
                    for report in reports
                ],
            )
    await BacklogItem.update(
        {BacklogItem.status: Stage.doing.value, BacklogItem.done_at: None, BacklogItem.updated_at: now}
    ).where(BacklogItem.id == backlog_id)
