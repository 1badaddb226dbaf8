"""Sites a staff member belongs to (the back office builds on this)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.sites import services
from app.web.access import STAFF, allow
from app.web.rendering import render


class SiteController(Controller):
    path = "/sites"
    guards = [allow(*STAFF)]

    @get(name="site_list")
    async def site_list(self, request: Request) -> Template:
        return render(request, "sites/list.html", {"sites": await services.sites_for(request.user)})

    @get("/{site_id:int}", name="site_detail")
    async def site_detail(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await services.site_for(request.user, site_id)
        overview = await services.site_overview(site_id)
        return render(request, "sites/detail.html", {"site": site, **overview})
