"""Crews of a site, and the subcontractors they belong to."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.errors import ValidationFailed
from app.sites import services as sites
from app.web.access import MANAGERS, STAFF, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render, updated
from app.workforce import crews

# A foreman leads a crew but does not set it up: only these change crews.
EDITORS = allow(Role.manager, Role.admin)


class CrewController(Controller):
    path = "/sites/{site_id:int}/crews"
    guards = [allow(*STAFF)]

    @get(name="crew_list")
    async def crew_list(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await sites.site_for(request.user, site_id)
        return render(request, "crews/list.html", await self._context(request, site, {}))

    @post(name="crew_create", guards=[EDITORS])
    async def crew_create(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await sites.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await crews.create_crew(request.user, site_id, form, device=device_of(request))
        except ValidationFailed as problem:
            context = await self._context(request, site, form)
            return form_error(request, "crews/list.html", problem, context)
        return see_other(request.app.route_reverse("crew_list", site_id=site_id))

    @get("/{crew_id:int}", name="crew_edit", guards=[allow(*MANAGERS)])
    async def crew_edit(self, request: Request, site_id: FromPath[int], crew_id: FromPath[int]) -> Template:
        site = await sites.site_for(request.user, site_id)
        crew = await crews.crew_of(site_id, crew_id)
        return render(request, "crews/form.html",
                      await self._context(request, site, crews.crew_form(crew), crew))

    @post("/{crew_id:int}", name="crew_update", guards=[EDITORS])
    async def crew_update(
        self, request: Request, site_id: FromPath[int], crew_id: FromPath[int]
    ) -> Template | Redirect:
        site = await sites.site_to_manage(request.user, site_id)
        crew = await crews.crew_of(site_id, crew_id)
        form = await form_fields(request)
        try:
            await crews.update_crew(request.user, site_id, crew_id, form, device=device_of(request))
        except ValidationFailed as problem:
            context = await self._context(request, site, form, crew)
            return form_error(request, "crews/form.html", problem, context)
        return see_other(request.app.route_reverse("crew_list", site_id=site_id))

    @staticmethod
    async def _context(request: Request, site: dict, form: dict, crew: dict | None = None) -> dict:
        can_edit = sites.may_manage(request.user)
        return {
            "site": site, "crew": crew, "form": form, "errors": {}, "can_edit": can_edit,
            "crews": await crews.crews_of(site["id"]) if crew is None else [],
            "foremen": await crews.foremen_of(site["id"]) if can_edit or crew else [],
            "subcontractors": await crews.subcontractors() if can_edit or crew else [],
        }


class SubcontractorController(Controller):
    path = "/subcontractors"
    guards = [allow(*MANAGERS)]

    @get(name="subcontractor_list")
    async def subcontractor_list(self, request: Request) -> Template:
        return render(request, "crews/subcontractors.html", await self._context(request))

    @post(name="subcontractor_create", guards=[EDITORS])
    async def subcontractor_create(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            await crews.add_subcontractor(request.user, form.get("name", ""), device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, problem, None, form.get("name", ""))
        return updated(request, "crews/subcontractors.html", await self._context(request),
                       request.app.route_reverse("subcontractor_list"))

    @post("/{subcontractor_id:int}", name="subcontractor_rename", guards=[EDITORS])
    async def subcontractor_rename(
        self, request: Request, subcontractor_id: FromPath[int]
    ) -> Template | Redirect:
        await crews.subcontractor_of(subcontractor_id)
        form = await form_fields(request)
        try:
            await crews.rename_subcontractor(request.user, subcontractor_id, form.get("name", ""),
                                             device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, problem, subcontractor_id, form.get("name", ""))
        return updated(request, "crews/subcontractors.html", await self._context(request, subcontractor_id),
                       request.app.route_reverse("subcontractor_list"))

    @staticmethod
    async def _context(request: Request, subcontractor_id: int | None = None) -> dict:
        rows = await crews.subcontractors()
        context = {"subcontractors": rows, "can_edit": sites.may_manage(request.user),
                   "errors": {}, "failed": None, "kept": {}}
        if subcontractor_id is not None:
            # The row an htmx rename swaps (block `subcontractor`).
            context["subcontractor"] = next(row for row in rows if row["id"] == subcontractor_id)
        return context

    async def _error(self, request: Request, problem: ValidationFailed, subcontractor_id: int | None,
                     name: str) -> Template:
        context = await self._context(request, subcontractor_id)
        context.update(failed=subcontractor_id, kept={"name": name})
        return form_error(request, "crews/subcontractors.html", problem, context)
