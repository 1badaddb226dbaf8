"""The bottom navigation: which tabs each role sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.accounts.tables import Role, User
from app.i18n import N_
from app.web.access import STAFF


@dataclass(frozen=True)
class Tab:
    route_name: str
    label: str  # msgid
    icon: str  # name of a symbol in static/icons/sprite.svg
    roles: frozenset[str]
    # Pages under other tabs' paths that belong to this one (a project's photos).
    also: str | None = None


EVERYONE = frozenset(role.value for role in Role)

TABS = (
    Tab("home", N_("To-do"), "todo", EVERYONE),
    Tab("site_list", N_("Projects"), "site", frozenset(role.value for role in STAFF)),
    Tab("worker_list", N_("Workers"), "people", frozenset(role.value for role in STAFF)),
    Tab("staff_list", N_("Staff"), "key", frozenset({Role.admin.value})),
    Tab("my_attendance", N_("Attendance"), "clock", frozenset({Role.worker.value})),
    Tab("my_photos", N_("Photos"), "camera",
        frozenset({Role.worker.value, Role.foreman.value, Role.supervisor.value}), also=r"/photos(/|$)"),
    Tab("my_reports", N_("Report"), "alert", frozenset({Role.worker.value, Role.foreman.value})),
    Tab("account", N_("Me"), "person", EVERYONE),
)


def tabs_for(user: User | None) -> list[Tab]:
    if user is None:
        return []
    return [tab for tab in TABS if user.role in tab.roles]


def is_current(tab: Tab, href: str, path: str, tabs: list[Tab]) -> bool:
    """The tab whose page this is: its own path, or a page it claims from another tab."""
    claimed = [other for other in tabs if other.also and re.search(other.also, path)]
    if claimed:
        return tab is claimed[0]
    return path == href or (href != "/" and path.startswith(href))
