"""Sites, their members and their areas: seen by staff, run by managers and admins.

Executives see every site's back office read-only; a site that is not the person's
answers 404 (the services decide), a role that may not change it 403 (the guards).
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.errors import ValidationFailed
from app.sites import areas, members, services, settings
from app.web.access import MANAGERS, STAFF, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render, updated

# Executives look at every site's back office; only these change it.
EDITORS = allow(Role.manager, Role.admin)


def _site_form_context(request: Request, site: dict | None, form: dict) -> dict:
    return {
        "site": site, "form": form, "errors": {}, "timezones": settings.timezones(),
        "datums": settings.DATUM_LABELS, "can_edit": services.may_manage(request.user),
        "max_radius": settings.MAX_RADIUS_M,
    }


class SiteController(Controller):
    path = "/sites"
    guards = [allow(*STAFF)]

    @get(name="site_list")
    async def site_list(self, request: Request) -> Template:
        inactive = []
        if services.may_manage(request.user) or request.user.role == Role.executive.value:
            inactive = await services.inactive_sites_for(request.user)
        return render(request, "sites/list.html", {
            "sites": await services.sites_for(request.user), "inactive": inactive,
        })

    @get("/{site_id:int}", name="site_detail")
    async def site_detail(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await services.site_for(request.user, site_id)
        overview = await services.site_overview(site_id)
        return render(request, "sites/detail.html", {
            "site": site, "can_edit": services.may_manage(request.user), **overview,
        })

    @get("/new", name="site_new", guards=[EDITORS])
    async def site_new(self, request: Request) -> Template:
        return render(request, "sites/form.html", _site_form_context(request, None, settings.site_form(None)))

    @post(name="site_create", guards=[EDITORS])
    async def site_create(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            site_id = await settings.create_site(
                request.user, settings.parse_site(form), device=device_of(request)
            )
        except ValidationFailed as problem:
            return _site_form_error(request, None, form, problem)
        return see_other(request.app.route_reverse("site_detail", site_id=site_id))

    @get("/{site_id:int}/edit", name="site_edit", guards=[allow(*MANAGERS)])
    async def site_edit(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await services.site_for(request.user, site_id)
        return render(request, "sites/form.html", _site_form_context(request, site, settings.site_form(site)))

    @post("/{site_id:int}/edit", name="site_update", guards=[EDITORS])
    async def site_update(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await settings.update_site(
                request.user, site_id, settings.parse_site(form), device=device_of(request)
            )
        except ValidationFailed as problem:
            return _site_form_error(request, site, form, problem)
        return see_other(request.app.route_reverse("site_detail", site_id=site_id))

    @post("/{site_id:int}/active", name="site_active", guards=[EDITORS])
    async def site_active(self, request: Request, site_id: FromPath[int]) -> Redirect:
        form = await form_fields(request)
        await settings.set_site_active(
            request.user, site_id, active=form.get("active") == "1", device=device_of(request)
        )
        return see_other(request.app.route_reverse("site_edit", site_id=site_id))


def _site_form_error(request: Request, site: dict | None, form: dict, problem: ValidationFailed) -> Template:
    context = _site_form_context(request, site, form)
    return form_error(request, "sites/form.html", problem, context)


class SiteMemberController(Controller):
    path = "/sites/{site_id:int}/members"
    guards = [allow(*MANAGERS)]

    @get(name="site_members")
    async def member_list(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await services.site_for(request.user, site_id)
        return render(request, "sites/members.html", await self._context(request, site))

    @post(name="site_member_add", guards=[EDITORS])
    async def member_add(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await members.add_member(request.user, site_id, form.get("member", ""), device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem)
        return updated(request, "sites/members.html", await self._context(request, site),
                       request.app.route_reverse("site_members", site_id=site_id))

    @post("/{user_id:int}/remove", name="site_member_remove", guards=[EDITORS])
    async def member_remove(
        self, request: Request, site_id: FromPath[int], user_id: FromPath[int]
    ) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        try:
            await members.remove_member(request.user, site_id, user_id, device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem)
        return updated(request, "sites/members.html", await self._context(request, site),
                       request.app.route_reverse("site_members", site_id=site_id))

    @staticmethod
    async def _context(request: Request, site: dict) -> dict:
        return {
            "site": site, "members": await members.members_of(site["id"]),
            "candidates": await members.candidates_for(site["id"]),
            "can_edit": services.may_manage(request.user), "errors": {},
        }

    async def _error(self, request: Request, site: dict, problem: ValidationFailed) -> Template:
        context = await self._context(request, site)
        return form_error(request, "sites/members.html", problem, context)


class AreaController(Controller):
    path = "/sites/{site_id:int}/areas"
    guards = [allow(*MANAGERS)]

    @get(name="site_areas")
    async def area_list(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await services.site_for(request.user, site_id)
        return render(request, "sites/areas.html", await self._context(request, site))

    @post(name="area_create", guards=[EDITORS])
    async def area_create(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await areas.add_area(request.user, site_id, form.get("name", ""), device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem, name=form.get("name", ""))
        return self._done(request, site, await self._context(request, site))

    @post("/{area_id:int}/name", name="area_rename", guards=[EDITORS])
    async def area_rename(
        self, request: Request, site_id: FromPath[int], area_id: FromPath[int]
    ) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await areas.rename_area(request.user, site_id, area_id, form.get("name", ""),
                                    device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem, area_id=area_id, name=form.get("name", ""))
        return self._done(request, site, await self._context(request, site, area_id))

    @post("/{area_id:int}/move", name="area_move", guards=[EDITORS])
    async def area_move(
        self, request: Request, site_id: FromPath[int], area_id: FromPath[int]
    ) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await areas.move_area(request.user, site_id, area_id, form.get("direction", ""),
                                  device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem, area_id=area_id)
        return self._done(request, site, await self._context(request, site, area_id))

    @post("/{area_id:int}/active", name="area_active", guards=[EDITORS])
    async def area_active(
        self, request: Request, site_id: FromPath[int], area_id: FromPath[int]
    ) -> Template | Redirect:
        site = await services.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await areas.set_area_active(request.user, site_id, area_id, active=form.get("active") == "1",
                                        device=device_of(request))
        except ValidationFailed as problem:
            return await self._error(request, site, problem, area_id=area_id)
        return self._done(request, site, await self._context(request, site, area_id))

    @staticmethod
    async def _context(request: Request, site: dict, area_id: int | None = None) -> dict:
        rows = await areas.areas_of(site["id"])
        context = {"site": site, "areas": rows, "can_edit": services.may_manage(request.user),
                   "errors": {}, "failed": None, "kept": {}}
        if area_id is not None:
            # The row an htmx row action swaps (block `area`).
            context["area"] = next((row for row in rows if row["id"] == area_id), None)
        return context

    @staticmethod
    def _done(request: Request, site: dict, context: dict) -> Template | Redirect:
        return updated(request, "sites/areas.html", context,
                       request.app.route_reverse("site_areas", site_id=site["id"]))

    async def _error(self, request: Request, site: dict, problem: ValidationFailed, *,
                     area_id: int | None = None, **kept: str) -> Template:
        """The list again with the message beside the form that failed, its entry kept."""
        context = await self._context(request, site, area_id)
        context.update(failed=area_id, kept=kept)
        return form_error(request, "sites/areas.html", problem, context)
