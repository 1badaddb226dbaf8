"""The "fixed?" question to reporters when their improvement is done, and their answers.

A "not yet" within 14 days takes the improvement up again (doing) and tells its owner.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.tables import User
from app.audit import services as audit
from app.backlog.services import REOPEN_WITHIN
from app.backlog.tables import BacklogItem, FixedQuestion, Stage
from app.db import write_transaction
from app.errors import NotFound
from app.i18n import N_
from app.inbox.services import notify


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
            backlog = (
                await BacklogItem.select(BacklogItem.owner, BacklogItem.site)
                .where(BacklogItem.id == question["backlog"])
                .first()
            )
            await BacklogItem.update(
                {
                    BacklogItem.status: Stage.doing.value,
                    BacklogItem.done_at: None,
                    BacklogItem.updated_at: now,
                }
            ).where(BacklogItem.id == question["backlog"])
            await notify(
                [backlog["owner"]],
                N_("Improvement #%(number)s is not fixed yet, says a reporter"),
                f"/backlog/{question['backlog']}",
                number=question["backlog"],
            )
        await audit.record(
            "backlog.answer",
            actor=user,
            device=device,
            record_type="backlog",
            record_id=question["backlog"],
            detail={"fixed": fixed},
        )
