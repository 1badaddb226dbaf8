"""Photo pages: add photos to a site, its timeline, an area over time, the viewer, the files."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.errors import NotFound, ValidationFailed, invalid
from app.i18n import N_
from app.outbox.services import ECHO
from app.photos import access, services, timeline
from app.sites import members
from app.sites.coordinates import distance_m
from app.web.access import PUBLIC, allow, device_of
from app.web.forms import form_with_files, see_other
from app.web.rendering import field_errors, render

# The no-JavaScript form sends photos as the camera made them: room for a few.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PHOTOS_AT_ONCE = 5
ANYONE = allow(*Role)


def _today(site: dict):
    return datetime.now(ZoneInfo(site["timezone"])).date()


class PhotoSiteController(Controller):
    path = "/sites/{site_id:int}/photos"
    guards = [ANYONE]

    async def _capture_context(
        self, site: dict, form: dict | None = None, errors: dict | None = None
    ) -> dict:
        return {
            "site": site,
            "areas": await timeline.areas_of(site["id"]),
            "tags": await timeline.tags_of(site["id"]),
            "form": form or {},
            "errors": errors or {},
            "key": uuid.uuid4(),
        }

    @get(name="photo_timeline")
    async def photo_timeline(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await members.site_of_member(request.user, site_id)
        errors: dict = {}
        try:
            filters = timeline.parse_filters(request.query_params, _today(site))
        except ValidationFailed as problem:
            errors, filters = field_errors(problem), timeline.Filters()
        rows, following = await timeline.page(site, filters)
        # A page that goes on with the day the previous one ended in does not repeat its heading.
        continued = filters.after[0].astimezone(ZoneInfo(site["timezone"])).date() if filters.after else None
        context = {
            "site": site,
            "filters": filters,
            "groups": timeline.by_day(rows),
            "following": following,
            "errors": errors,
            "continued": continued,
            "link_query": filters.query(after=None),
        }
        if filters.after is None:
            context |= {
                "areas": await timeline.areas_of(site_id),
                "tags": await timeline.tags_of(site_id),
                "uploaders": await timeline.uploaders_of(site_id),
            }
        return render(request, "photos/timeline.html", context, status_code=422 if errors else 200)

    @get("/new", name="photo_new")
    async def photo_new(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await members.site_of_member(request.user, site_id)
        return render(request, "photos/capture.html", await self._capture_context(site))

    @post(name="photo_upload", request_max_body_size=MAX_UPLOAD_BYTES, status_code=200)
    async def photo_upload(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        queued = bool(request.headers.get("hx-request"))
        try:
            site = await members.site_of_member(request.user, site_id)
        except NotFound:
            if not queued:
                raise
            # The phone's outbox needs a final answer naming its key, or it retries forever.
            echo = {ECHO: request.headers.get(ECHO, "")}
            problem = invalid("site", N_("Choose the project."))
            return render(
                request,
                "_shared/_refused.html",
                {"errors": field_errors(problem)},
                status_code=422,
                headers=echo,
            )
        form: dict = {}
        key = ""
        photo_ids = []
        try:
            form, files = await form_with_files(request)
            key = form.get("idempotency_key", "")
            if not files:
                raise invalid("photo", N_("Choose a photo."))
            if len(files) > MAX_PHOTOS_AT_ONCE:
                raise invalid("photo", N_("At most %(count)s photos at once."), count=MAX_PHOTOS_AT_ONCE)
            details = services.parse_details(form)
            for index, data in enumerate(files):
                # One form, one key: each of its photos gets its own from it.
                photo_key = key if len(files) == 1 else f"{key[:60]}-{index}"
                photo_ids.append(
                    await services.store(
                        request.user, site, data, details, key=photo_key, device=device_of(request)
                    )
                )
        except ValidationFailed as problem:
            errors = field_errors(problem)
            echo = {ECHO: key} if key else {}
            if queued:
                context = {"errors": errors}
                return render(request, "_shared/_refused.html", context, status_code=422, headers=echo)
            context = await self._capture_context(site, form, errors)
            return render(request, "photos/capture.html", context, status_code=422)
        if not queued:
            return see_other(request.app.route_reverse("photo_timeline", site_id=site_id))
        photo = await services.photo_row(photo_ids[0])
        return render(request, "photos/_uploaded.html", {"photo": photo, "site": site}, headers={ECHO: key})

    @get("/areas/{area_id:int}", name="photo_area")
    async def photo_area(self, request: Request, site_id: FromPath[int], area_id: FromPath[int]) -> Template:
        site = await members.site_of_member(request.user, site_id)
        areas = {area["id"]: area for area in await timeline.areas_of(site_id)}
        if area_id not in areas:
            raise NotFound()
        errors: dict = {}
        try:
            filters = timeline.parse_filters(request.query_params, _today(site))
        except ValidationFailed as problem:
            errors, filters = field_errors(problem), timeline.Filters()
        filters = timeline.Filters(area=area_id, after=filters.after)
        rows, following = await timeline.page(site, filters, newest_first=False)
        return render(
            request,
            "photos/area.html",
            {
                "site": site,
                "area": areas[area_id],
                "rows": rows,
                "following": following,
                "errors": errors,
            },
        )


class PhotoController(Controller):
    path = "/photos"

    @get("/{photo_id:int}", name="photo_view", guards=[ANYONE])
    async def photo_view(self, request: Request, photo_id: FromPath[int]) -> Template:
        photo = await services.photo_for(request.user, photo_id)
        site = {"id": photo["site"], "timezone": photo["timezone"]}
        try:
            filters = timeline.parse_filters(request.query_params, _today(site))
        except ValidationFailed:
            filters = timeline.Filters()
        filters = replace(filters, after=None)
        member = await members.is_member(request.user, photo["site"])
        newer, older = await timeline.neighbours(site, photo, filters) if member else (None, None)
        distance = None
        if None not in (photo["latitude"], photo["site_latitude"]):
            distance = distance_m(
                photo["latitude"], photo["longitude"], photo["site_latitude"], photo["site_longitude"]
            )
        return render(
            request,
            "photos/view.html",
            {
                "photo": photo,
                "newer": newer,
                "older": older,
                "query": filters.query(),
                "distance": distance,
                "member": member,
                "may_delete": await access.may_delete(request.user, photo),
            },
        )

    # Public: a photo on a public page is everyone's; the service checks each request.
    @get("/{photo_id:int}/{size:str}", name="photo_file", opt=PUBLIC)
    async def photo_file(self, request: Request, photo_id: FromPath[int], size: FromPath[str]) -> Response:
        data, content_hash = await services.image_of(request.user, photo_id, size.removesuffix(".jpg"))
        etag = f'"{content_hash[:32]}"'
        # A photo's file never changes; only who may see it can, so only the browser keeps it.
        headers = {"Cache-Control": "private, max-age=31536000, immutable", "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(data, media_type="image/jpeg", headers=headers)

    @post("/{photo_id:int}/delete", name="photo_delete", guards=[ANYONE])
    async def photo_delete(self, request: Request, photo_id: FromPath[int]) -> Redirect:
        photo = await services.delete(request.user, photo_id, device=device_of(request))
        return see_other(request.app.route_reverse("photo_timeline", site_id=photo["site"]))


class MyPhotosController(Controller):
    path = "/me/photos"
    guards = [ANYONE]

    @get(name="my_photos")
    async def my_photos(self, request: Request) -> Template | Redirect:
        """The photo tab: straight to the worker's site; staff choose among theirs."""
        choices = await members.sites_of_member(request.user)
        if len(choices) == 1:
            return see_other(request.app.route_reverse("photo_timeline", site_id=choices[0]["id"]))
        return render(request, "photos/sites.html", {"sites": choices})
