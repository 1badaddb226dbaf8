"""A project's group-robot webhook, set by its managers, with how the last sends went."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.errors import ValidationFailed
from app.sites.services import site_to_manage
from app.web.access import MANAGERS, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render
from app.webhooks import services


class WebhookController(Controller):
    path = "/sites/{site_id:int}/webhook"
    guards = [allow(*MANAGERS)]

    @get(name="site_webhook")
    async def show(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await site_to_manage(request.user, site_id)
        hook = await services.webhook_of(site_id)
        return render(
            request,
            "webhooks/page.html",
            {
                "site": site,
                "hook": hook,
                "form": {"url": hook["url"] if hook else ""},
                "errors": {},
            },
        )

    @post(name="site_webhook_save")
    async def save(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await services.set_url(request.user, site_id, form.get("url", ""), device=device_of(request))
        except ValidationFailed as problem:
            hook = await services.webhook_of(site_id)
            return form_error(
                request, "webhooks/page.html", problem, {"site": site, "hook": hook, "form": form}
            )
        return see_other(request.app.route_reverse("site_webhook", site_id=site_id))
