"""The leadership view (一把手视图): KPIs with trends, the site ranking, its public board."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from app.accounts.tables import Role
from app.dashboard import services
from app.dashboard.definitions import GROUPS
from app.dashboard.ranking import WEIGHTS
from app.web.access import PUBLIC, allow
from app.web.rendering import render

LEADERS = allow(Role.manager, Role.executive, Role.admin)


def _period_query(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in ("period", "date", "from", "to")}


class DashboardController(Controller):
    guards = [LEADERS]

    @get("/dashboard", name="dashboard")
    async def dashboard(self, request: Request, site: FromQuery[int | None] = None) -> Template:
        view = await services.overview(request.user, site, _period_query(request))
        return render(request, "dashboard/page.html", {**view, "groups": GROUPS})

    @get("/dashboard/ranking", name="site_ranking")
    async def ranking(self, request: Request) -> Template:
        view = await services.site_ranking(request.user, _period_query(request))
        return render(request, "dashboard/ranking.html", {**view, "weights": WEIGHTS, "public": False})


class PublicRankingController(Controller):
    """Public: for the sites' notice boards; site names and scores, nobody's name."""

    @get("/ranking", name="public_ranking", opt=PUBLIC)
    async def ranking(self, request: Request) -> Template:
        view = await services.site_ranking(None, _period_query(request))
        return render(request, "dashboard/ranking.html", {**view, "weights": WEIGHTS, "public": True})
