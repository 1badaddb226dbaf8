"""What leads an executive's to-do list: sites that fell in last week's ranking, and
critical reports past their deadline."""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.query.functions.aggregate import Count

from app.accounts.tables import Role, User
from app.dashboard.periods import week_of
from app.dashboard.ranking import ranking
from app.dashboard.services import today_at
from app.feedback.tables import FeedbackItem, Kind, Severity
from app.i18n import N_
from app.sites.services import sites_for
from app.todo import TodoItem, todo_provider


@todo_provider(Role.executive)
async def sites_that_fell(user: User) -> list[TodoItem]:
    sites = await sites_for(user)
    if not sites:
        return []
    # The last whole week against the one before: on a Monday this week has hardly begun.
    last_week = week_of(today_at(sites)).previous()
    places = await ranking(sites, last_week)
    return [
        TodoItem(
            N_("Fell in last week's site ranking (places)"),
            -place.moved,
            "site_ranking",
            urgent=True,
            detail=place.site["name"],
            query=last_week.query(),
        )
        for place in sorted(places, key=lambda place: place.moved)
        if place.moved < 0
    ]


@todo_provider(Role.executive)
async def overdue_critical(user: User) -> list[TodoItem]:
    sites = {site["id"]: site["name"] for site in await sites_for(user)}
    if not sites:
        return []
    rows = await (
        FeedbackItem.select(FeedbackItem.site, Count(FeedbackItem.id, alias="overdue"))
        .where(
            FeedbackItem.site.is_in(list(sites))
            & (FeedbackItem.is_open == True)  # noqa: E712
            & (FeedbackItem.kind != Kind.system.value)
            & (FeedbackItem.severity == Severity.critical.value)
            & (FeedbackItem.deadline < datetime.now(UTC))
        )
        .group_by(FeedbackItem.site)
    )
    return [
        TodoItem(
            N_("Overdue critical reports"),
            row["overdue"],
            "feedback_queue",
            {"site_id": row["site"]},
            urgent=True,
            detail=sites[row["site"]],
            query={"overdue": "1", "severity": Severity.critical.value},
        )
        for row in rows
    ]
