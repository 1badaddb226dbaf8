"""Site QR posters: supervisors print them, managers make and replace them."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.checkin import posters
from app.errors import NotFound, ValidationFailed
from app.sites import services as sites
from app.web.access import MANAGERS, SUPERVISORS, allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render


def poster_url(request: Request, poster: dict) -> str:
    path = request.app.route_reverse("checkin", token=posters.token_of(poster["code"]))
    return str(request.base_url).rstrip("/") + path


class PosterController(Controller):
    path = "/sites/{site_id:int}/posters"
    guards = [allow(*SUPERVISORS)]

    async def _context(self, request: Request, site: dict) -> dict:
        return {
            "site": site, "posters": await posters.posters_of(site["id"]),
            "can_edit": sites.may_manage(request.user), "errors": {}, "form": {},
        }

    @get(name="poster_list")
    async def poster_list(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await sites.site_for(request.user, site_id)
        return render(request, "checkin/posters.html", await self._context(request, site))

    @post(name="poster_create", guards=[allow(*MANAGERS)])
    async def poster_create(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await sites.site_to_manage(request.user, site_id)
        form = await form_fields(request)
        try:
            await posters.issue(site_id, form.get("gate", ""), by=request.user, device=device_of(request))
        except ValidationFailed as problem:
            context = {**await self._context(request, site), "form": form}
            return form_error(request, "checkin/posters.html", problem, context)
        return see_other(request.app.route_reverse("poster_list", site_id=site_id))

    @post("/{poster_id:int}/regenerate", name="poster_regenerate", guards=[allow(*MANAGERS)])
    async def poster_regenerate(
        self, request: Request, site_id: FromPath[int], poster_id: FromPath[int]
    ) -> Redirect:
        await sites.site_to_manage(request.user, site_id)
        poster = await posters.poster_of_site(site_id, poster_id)
        if poster is None:
            raise NotFound()
        await posters.issue(site_id, poster["gate"], by=request.user, device=device_of(request))
        return see_other(request.app.route_reverse("poster_list", site_id=site_id))

    @post("/{poster_id:int}/retire", name="poster_retire", guards=[allow(*MANAGERS)])
    async def poster_retire(
        self, request: Request, site_id: FromPath[int], poster_id: FromPath[int]
    ) -> Redirect:
        await sites.site_to_manage(request.user, site_id)
        if await posters.poster_of_site(site_id, poster_id) is None:
            raise NotFound()
        await posters.retire(site_id, poster_id, by=request.user, device=device_of(request))
        return see_other(request.app.route_reverse("poster_list", site_id=site_id))

    @get("/{poster_id:int}/print", name="poster_print")
    async def poster_print(
        self, request: Request, site_id: FromPath[int], poster_id: FromPath[int]
    ) -> Template:
        site = await sites.site_for(request.user, site_id)
        poster = await posters.poster_of_site(site_id, poster_id)
        if poster is None:
            raise NotFound()
        url = poster_url(request, poster)
        return render(request, "checkin/poster_sheet.html", {
            "site": site, "poster": poster, "url": url, "qr": posters.qr_svg(url),
        })
