"""Votes, "me too" (我也遇到): one per person on a report or an improvement of their site."""

from __future__ import annotations

from app.accounts.tables import User
from app.backlog.services import recount
from app.backlog.tables import BacklogItem, BacklogLink, Vote
from app.db import insert_rows, write_transaction
from app.errors import NotFound
from app.feedback.tables import FeedbackItem
from app.sites import members


async def vote(
    user: User, *, feedback_id: int | None = None, backlog_id: int | None = None, device: str
) -> bool:
    """ "Me too" from a member of the site; False when this person had already voted."""
    if feedback_id is not None:
        row = await FeedbackItem.select(FeedbackItem.site).where(FeedbackItem.id == feedback_id).first()
        site_id = row["site"] if row else None
        target = Vote.feedback == feedback_id
    else:
        row = await BacklogItem.select(BacklogItem.site).where(BacklogItem.id == backlog_id).first()
        site_id = row["site"] if row else None
        target = Vote.backlog == backlog_id
    if row is None or (site_id is not None and not await members.is_member(user, site_id)):
        raise NotFound()
    async with write_transaction():
        if await Vote.exists().where(target & (Vote.voter == user.id)):
            return False
        await insert_rows(Vote, [{"voter": user.id, "feedback": feedback_id, "backlog": backlog_id}])
        linked = backlog_id or (
            await BacklogLink.select(BacklogLink.backlog).where(BacklogLink.feedback == feedback_id).first()
            or {}
        ).get("backlog")
        if linked:
            await recount(linked)
    return True


async def move_votes(from_feedback: int, to_feedback: int, reporter: int | None) -> None:
    """A duplicate's votes and its reporter become "me too"s of the kept item (inside the triage)."""
    voters = {row["voter"] for row in await Vote.select(Vote.voter).where(Vote.feedback == from_feedback)}
    if reporter:
        voters.add(reporter)
    already = {row["voter"] for row in await Vote.select(Vote.voter).where(Vote.feedback == to_feedback)}
    await Vote.delete().where(Vote.feedback == from_feedback)
    await insert_rows(Vote, [{"voter": voter, "feedback": to_feedback} for voter in sorted(voters - already)])


async def votes_on(feedback_id: int) -> int:
    return await Vote.count().where(Vote.feedback == feedback_id)
