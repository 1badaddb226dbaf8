"""What feedback puts on people's to-do lists: reports to triage, fixes to re-inspect,
overdue items (first), and the fixes assigned to each owner."""

from __future__ import annotations

from datetime import UTC, datetime

from app.accounts.tables import Role, User
from app.db import placeholders
from app.feedback.tables import FeedbackItem, Kind, Status
from app.i18n import N_
from app.sites.services import sites_for
from app.todo import TodoItem, todo_provider

_PER_SITE = (
    "SELECT site, SUM(CASE WHEN status = 'new' THEN 1 ELSE 0 END) AS waiting,"
    " SUM(CASE WHEN status = 'fixed' THEN 1 ELSE 0 END) AS to_reinspect,"
    " SUM(CASE WHEN deadline < {} THEN 1 ELSE 0 END) AS overdue"
    " FROM feedback_item WHERE is_open = {} AND kind != 'system' AND site IN (%s) GROUP BY site"
)


@todo_provider(Role.supervisor, Role.manager, Role.admin)
async def items_to_triage(user: User) -> list[TodoItem]:
    sites = {site["id"]: site["name"] for site in await sites_for(user)}
    if not sites:
        return []
    rows = await FeedbackItem.raw(_PER_SITE % placeholders(len(sites)), datetime.now(UTC), True, *sites)
    items = []
    for row in rows:
        params, name = {"site_id": row["site"]}, sites[row["site"]]
        items += [
            TodoItem(
                N_("Overdue reports and fixes"),
                row["overdue"] or 0,
                "feedback_queue",
                params,
                urgent=True,
                detail=name,
                query={"overdue": "1"},
            ),
            TodoItem(N_("Reports to triage"), row["waiting"] or 0, "feedback_queue", params, detail=name),
            TodoItem(
                N_("Fixes to re-inspect"),
                row["to_reinspect"] or 0,
                "feedback_queue",
                params,
                detail=name,
                query={"status": Status.fixed.value},
            ),
        ]
    return items


@todo_provider(Role.admin)
async def system_suggestions(user: User) -> list[TodoItem]:
    count = await FeedbackItem.count().where(
        (FeedbackItem.kind == Kind.system.value) & (FeedbackItem.status == Status.new.value)
    )
    return [TodoItem(N_("System suggestions to answer"), count, "system_queue")]


@todo_provider(Role.foreman, Role.supervisor, Role.manager)
async def fixes_assigned(user: User) -> list[TodoItem]:
    mine = (FeedbackItem.owner == user.id) & (FeedbackItem.status == Status.assigned.value)
    overdue = await FeedbackItem.count().where(mine & (FeedbackItem.deadline < datetime.now(UTC)))
    count = await FeedbackItem.count().where(mine)
    return [
        TodoItem(N_("Your fixes that are overdue"), overdue, "my_fixes", urgent=True),
        TodoItem(N_("Fixes assigned to you"), count - overdue, "my_fixes"),
    ]
