"""The real-name register: find, register and edit workers; reset a PIN."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.checkin import devices
from app.errors import ValidationFailed
from app.sites.services import sites_for
from app.web.access import STAFF, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render
from app.workforce import services

EDITOR_ROLES = (Role.foreman, Role.supervisor, Role.manager, Role.admin)
EDITORS = allow(*EDITOR_ROLES)


class WorkerController(Controller):
    path = "/workers"
    guards = [allow(*STAFF)]

    @get(name="worker_list")
    async def worker_list(
        self, request: Request, q: FromQuery[str] = "", crew: FromQuery[int | None] = None,
        site: FromQuery[int | None] = None, page: FromQuery[int] = 1,
    ) -> Template:
        rows, total = await services.search_workers(
            request.user, text=q, crew_id=crew, site_id=site, page=page
        )
        pages = max(1, -(-total // services.PAGE_SIZE))
        return render(request, "workers/list.html", {
            "workers": rows, "total": total, "page": min(max(page, 1), pages), "pages": pages,
            "q": q, "crew": crew, "crews": await services.crews_for(request.user),
            "site": site, "sites": await sites_for(request.user),
        })

    @get("/new", name="worker_new", guards=[EDITORS])
    async def worker_new(self, request: Request) -> Template:
        return await self._form(request, None, {"registered_on": date.today().isoformat()})

    @post(name="worker_create", guards=[EDITORS])
    async def worker_create(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            data = services.parse_worker(form, today=date.today(), new=True)
            worker_id = await services.register_worker(request.user, data, device=device_of(request))
        except ValidationFailed as problem:
            return await self._form(request, None, form, problem)
        return see_other(request.app.route_reverse("worker_detail", worker_id=worker_id))

    @get("/{worker_id:int}", name="worker_detail")
    async def worker_detail(self, request: Request, worker_id: FromPath[int]) -> Template:
        worker = await services.worker_for(request.user, worker_id)
        worker["phones"] = await devices.phones_of(worker_id)
        return await self._form(request, worker, _as_form(worker))

    @post("/{worker_id:int}", name="worker_update", guards=[EDITORS])
    async def worker_update(self, request: Request, worker_id: FromPath[int]) -> Template | Redirect:
        worker = await services.worker_for(request.user, worker_id, to_change=True)
        form = await form_fields(request)
        try:
            data = services.parse_worker(form, today=date.today(), new=False)
            await services.update_worker(request.user, worker_id, data, device=device_of(request))
        except ValidationFailed as problem:
            return await self._form(request, worker, form, problem)
        return see_other(request.app.route_reverse("worker_detail", worker_id=worker_id))

    @post("/{worker_id:int}/pin", name="worker_reset_pin", guards=[EDITORS])
    async def worker_reset_pin(self, request: Request, worker_id: FromPath[int]) -> Template:
        pin = await services.reset_pin(request.user, worker_id, device=device_of(request))
        worker = await services.worker_for(request.user, worker_id)
        # Shown once, in this answer only: never stored in clear, never redirected with.
        return render(request, "workers/pin.html", {"worker": worker, "pin": pin},
                      headers={"Cache-Control": "no-store"})

    @staticmethod
    async def _form(
        request: Request, worker: dict | None, form: dict, problem: ValidationFailed | None = None
    ) -> Template:
        context = {
            "worker": worker, "form": form, "crews": await services.crews_for(request.user),
            "phones": (worker or {}).get("phones", []),
            "can_edit": request.user.role in EDITOR_ROLES,
        }
        if problem:
            return form_error(request, "workers/form.html", problem, context)
        return render(request, "workers/form.html", {**context, "errors": {}})


def _as_form(worker: dict) -> dict:
    rate = worker["day_rates"][0] if worker["day_rates"] else None
    return {
        "name": worker["name"], "phone": worker["phone"], "crew": str(worker["crew"] or ""),
        "trade": worker["trade"], "day_rate": str(rate["amount"]) if rate else "",
        "rate_from": rate["effective_from"].isoformat() if rate else "",
        "registered_on": worker["registered_on"].isoformat(),
        "left_on": worker["left_on"].isoformat() if worker["left_on"] else "",
    }
