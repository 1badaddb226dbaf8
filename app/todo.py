"""The to-do list (待办) every role's home is made of.

Each feature registers a provider: an async function that, for one person, returns
what waits for them with counts. The home page shows what all providers return.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.accounts.tables import Role, User
from app.i18n import N_


@dataclass(frozen=True)
class TodoItem:
    label: str  # English msgid, translated where shown; may use %(count)s
    count: int
    route_name: str
    route_params: dict = field(default_factory=dict)
    urgent: bool = False
    detail: str = ""  # shown as it is, under the label (a project's name)
    query: dict = field(default_factory=dict)  # a filter on the page it opens


Provider = Callable[[User], Awaitable[list[TodoItem]]]
_providers: list[tuple[frozenset[str], Provider]] = []


def todo_provider(*roles: Role) -> Callable[[Provider], Provider]:
    def register(provider: Provider) -> Provider:
        _providers.append((frozenset(role.value for role in roles), provider))
        return provider

    return register


async def todo_for(user: User) -> list[TodoItem]:
    mine = [provider(user) for roles, provider in _providers if user.role in roles]
    found = await asyncio.gather(*mine)
    items = [item for items in found for item in items if item.count > 0]
    return sorted(items, key=lambda item: not item.urgent)


# What an empty list means for each role: what will show up here once it happens.
EMPTY_HINTS = {
    Role.worker.value: N_("Questions for you and your attendance problems will show up here."),
    Role.foreman.value: N_("Phones to approve and your crew's attendance problems will show up here."),
    Role.supervisor.value: N_(
        "Reports to triage, attendance anomalies and sheets to approve will show up here."
    ),
    Role.manager.value: N_("Overdue items and what waits for your approval will show up here."),
    Role.executive.value: N_("Sites that fell in the ranking and overdue critical items will show up here."),
    Role.admin.value: N_("Accounts and settings that need you will show up here."),
}
