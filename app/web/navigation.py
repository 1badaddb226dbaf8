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
    Tab(
        "dashboard",
        N_("Dashboard"),
        "chart",
        # Admins run the system; the leaders are the dashboard's readers (admins may open it).
        frozenset({Role.manager.value, Role.executive.value}),
    ),
    Tab("worker_list", N_("Workers"), "people", frozenset(role.value for role in STAFF)),
    Tab("staff_list", N_("Staff"), "key", frozenset({Role.admin.value})),
    Tab("my_attendance", N_("Attendance"), "clock", frozenset({Role.worker.value})),
    Tab(
        "my_photos",
        N_("Photos"),
        "camera",
        frozenset({Role.worker.value, Role.foreman.value, Role.supervisor.value}),
        also=r"/photos(/|$)",
    ),
    Tab(
        "my_reports",
        N_("Report"),
        "alert",
        frozenset({Role.worker.value}),
        also=r"^/(report|me/reports|feedback/)",
    ),
    Tab("account", N_("Me"), "person", EVERYONE),
)


def tabs_for(user: User | None) -> list[Tab]:
    if user is None:
        return []
    return [tab for tab in TABS if user.role in tab.roles]


def current_tab(path: str, tabs: list[Tab], hrefs: list[str]) -> int | None:
    """The index of the tab whose page this is: one that claims the page, else the one with
    the longest path the page is under (/me/attendance is Attendance's, not Me's)."""
    for index, tab in enumerate(tabs):
        if tab.also and re.search(tab.also, path):
            return index
    under = [
        (len(href), index)
        for index, href in enumerate(hrefs)
        if path == href or (href != "/" and path.startswith(href.rstrip("/") + "/"))
    ]
    return max(under)[1] if under else None
