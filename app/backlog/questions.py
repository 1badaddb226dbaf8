"""The "fixed?" question to reporters when their improvement is done, and their answers.

A "not yet" within 14 days takes the improvement up again (doing): the reports it closed
are open again (accepted), so its next "done" asks their reporters again, and its owner
(or, with no owner, the site's supervisors and managers) is told.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.backlog.services import REOPEN_WITHIN, take_up_again
from app.backlog.tables import BacklogItem, FixedQuestion, Stage
from app.db import write_transaction
from app.errors import NotFound
from app.i18n import N_
from app.inbox.services import notify
from app.sites.tables import SiteMembership


async def open_questions(user: User) -> list[dict]:
    """ "Fixed?" questions waiting for this person (shown on check-in and in the inbox)."""
    return (
        await FixedQuestion.select(
            FixedQuestion.id,
            FixedQuestion.feedback,
            FixedQuestion.backlog,
            FixedQuestion.feedback.description.as_alias("description"),
            FixedQuestion.backlog.title.as_alias("title"),
        )
        .where((FixedQuestion.reporter == user.id) & (FixedQuestion.answer == ""))
        .order_by(FixedQuestion.id)
    )


async def answer(user: User, question_id: int, fixed: bool, *, device: str) -> None:
    question = await FixedQuestion.select().where(FixedQuestion.id == question_id).first()
    if question is None or question["reporter"] != user.id:
        raise NotFound()
    if question["answer"]:
        return  # answered already (a second tap)
    now = datetime.now(UTC)
    async with write_transaction():
        await FixedQuestion.update(
            {FixedQuestion.answer: "yes" if fixed else "not_yet", FixedQuestion.answered_at: now}
        ).where(FixedQuestion.id == question_id)
        if not fixed and now - question["asked_at"] <= REOPEN_WITHIN:
            await _take_up_again(user, question["backlog"], now)
        await audit.record(
            "backlog.answer",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=question["backlog"],
            detail={"fixed": fixed},
        )


async def _take_up_again(user: User, backlog_id: int, now: datetime) -> None:
    backlog = (
        await BacklogItem.select(BacklogItem.owner, BacklogItem.site, BacklogItem.status)
        .where(BacklogItem.id == backlog_id)
        .first()
    )
    if backlog["status"] != Stage.done:
        return  # taken up again already, by another reporter's "not yet" or a manager
    await take_up_again(user, backlog_id, now)
    told = [backlog["owner"]] if backlog["owner"] else await _site_leads(backlog["site"])
    await notify(
        told,
        N_("Improvement #%(number)s is not fixed yet, says a reporter"),
        f"/backlog/{backlog_id}",
        number=backlog_id,
    )


async def _site_leads(site_id: int | None) -> list[int]:
    """Who answers for an improvement without an owner: the site's supervisors and managers."""
    if site_id is None:
        rows = await User.select(User.id).where(
            (User.role == Role.admin.value) & (User.is_active == True)  # noqa: E712
        )
        return [row["id"] for row in rows]
    rows = await SiteMembership.select(SiteMembership.member).where(
        (SiteMembership.site == site_id)
        & SiteMembership.member.role.is_in([Role.supervisor.value, Role.manager.value])
        & (SiteMembership.member.is_active == True)  # noqa: E712
    )
    return [row["member"] for row in rows]
