"""What the leadership view shows a person: their sites' figures, trends and ranking.

Executives and admins see every active site, managers the sites they are members of;
asking for another site answers "not found".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.accounts.tables import User
from app.dashboard import kpis
from app.dashboard.periods import choose
from app.dashboard.ranking import ranking
from app.dashboard.trends import trends
from app.sites.services import site_for, sites_for
from app.sites.tables import Site

HOME_ZONE = "Asia/Shanghai"  # "today" when there are no sites yet


def today_at(sites: Sequence[Mapping]) -> date:
    """The latest calendar day any of the sites has reached: periods up to it have begun."""
    zones = {site["timezone"] for site in sites} or {HOME_ZONE}
    now = datetime.now(UTC)
    return max(now.astimezone(ZoneInfo(zone)).date() for zone in zones)


async def overview(user: User, site_id: int | None, query: Mapping[str, str]) -> dict:
    """The dashboard: one site's figures and trends, or all of the person's sites'."""
    sites = await sites_for(user)
    site = await site_for(user, site_id) if site_id is not None else None
    scope_sites = [site] if site else sites
    today = today_at(sites or scope_sites)
    choice = choose(query, today)
    scope = site["id"] if site else kpis.COMPANY
    current = await kpis.figures(scope_sites, choice.period)
    charts = await trends(scope_sites, scope, choice.period, today, known=current)
    return {
        "sites": sites,
        "site": site,
        "choice": choice,
        "figures": current[scope],
        "charts": charts,
        "today": today,
    }


async def site_ranking(user: User | None, query: Mapping[str, str]) -> dict:
    """The ranking of the person's sites (or, for the public board, of every active site)."""
    if user is None:
        sites = await Site.select(Site.id, Site.name, Site.timezone).where(Site.is_active == True)  # noqa: E712
    else:
        sites = await sites_for(user)
    today = today_at(sites)
    choice = choose(query, today)
    return {"choice": choice, "places": await ranking(sites, choice.period), "today": today}
