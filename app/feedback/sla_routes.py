"""A site's response and fix times per severity (the SLA), set by its managers."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.errors import ValidationFailed
from app.feedback import sla
from app.sites.services import site_to_manage
from app.web.access import MANAGERS, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render


class SlaController(Controller):
    path = "/sites/{site_id:int}/sla"
    guards = [allow(*MANAGERS)]

    @get(name="site_sla")
    async def show(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await site_to_manage(request.user, site_id)
        table = await sla.table_for(site_id)
        form = {
            f"{s.value}_{part}": hours[i]
            for s, hours in table.items()
            for i, part in enumerate(("respond", "fix"))
        }
        return render(
            request, "feedback/sla.html", {"site": site, "form": form, "errors": {}, "defaults": sla.DEFAULTS}
        )

    @post(name="site_sla_save")
    async def save(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await sla.save_table(site_id, sla.parse_table(form), by=request.user, device=device_of(request))
        except ValidationFailed as problem:
            return form_error(
                request, "feedback/sla.html", problem, {"site": site, "form": form, "defaults": sla.DEFAULTS}
            )
        return see_other(request.app.route_reverse("site_detail", site_id=site_id))
