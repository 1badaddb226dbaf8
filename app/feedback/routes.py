"""Feedback pages: report a problem, my reports, findings on rounds, the triage queue, an item."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.errors import NotFound, ValidationFailed, invalid
from app.feedback import queue, services
from app.feedback.tables import Kind, Severity, Source
from app.i18n import N_
from app.outbox.services import ECHO
from app.sites import members
from app.sites.services import site_for
from app.web.access import allow, device_of
from app.web.forms import form_with_files, see_other
from app.web.rendering import field_errors, render, requested_block
from app.workforce.crews import crews_of
from app.workforce.tables import Subcontractor

ANYONE = allow(*Role)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _today(timezone: str):
    return datetime.now(ZoneInfo(timezone)).date()


def from_outbox(request: Request) -> bool:
    """Sent by the phone's outbox, which wants a fragment for its status line and its key back."""
    return bool(request.headers.get("hx-request"))


async def _reporting_site(request: Request, site_id: int) -> dict:
    """The project of a report; one its sender is not on is refused like a bad field, so a
    queued report from a phone whose crew moved gets a final answer instead of retrying."""
    try:
        return await members.site_of_member(request.user, site_id)
    except NotFound:
        raise invalid("site", N_("Choose the project.")) from None


class ReportController(Controller):
    path = "/report"
    guards = [ANYONE]

    async def _context(
        self, request: Request, site_id: int | None, form: dict | None = None, errors: dict | None = None
    ) -> dict:
        choices = await members.sites_of_member(request.user)
        if site_id is None:
            here = await services.where_they_are(request.user)
            site_id = (
                here if here in {site["id"] for site in choices} else (choices[0]["id"] if choices else None)
            )
        site = next((site for site in choices if site["id"] == site_id), None)
        from app.photos.timeline import areas_of

        return {
            "sites": choices,
            "site": site,
            "areas": await areas_of(site["id"]) if site else [],
            "kinds": list(Kind),
            "severities": list(Severity),
            "form": form or {},
            "errors": errors or {},
            "key": uuid.uuid4(),
            "finding": False,
        }

    @get(name="feedback_new")
    async def report_form(self, request: Request, site: FromQuery[int | None] = None) -> Template:
        return render(request, "feedback/report.html", await self._context(request, site))

    @post(name="feedback_report", request_max_body_size=MAX_UPLOAD_BYTES, status_code=200)
    async def report(self, request: Request) -> Template | Redirect:
        form, files = {}, []
        key = ""
        try:
            form, files = await form_with_files(request)
            key = form.get("idempotency_key", "")
            site_text = form.get("site", "")
            if not site_text.isdigit():
                raise invalid("site", N_("Choose the project."))
            site = await _reporting_site(request, int(site_text))
            data = services.parse_report(form)
            item_id = await services.raise_item(
                request.user, site, data, files, key=key, device=device_of(request)
            )
        except ValidationFailed as problem:
            errors = field_errors(problem)
            echo = {ECHO: key} if key else {}
            if from_outbox(request):
                return render(
                    request, "_shared/_refused.html", {"errors": errors}, status_code=422, headers=echo
                )
            site_id = int(form["site"]) if form.get("site", "").isdigit() else None
            context = await self._context(request, site_id, form, errors)
            return render(request, "feedback/report.html", context, status_code=422)
        if not from_outbox(request):
            return see_other(request.app.route_reverse("my_reports") + f"?received={item_id}")
        return render(request, "feedback/_received.html", {"item_id": item_id}, headers={ECHO: key})


class MyFeedbackController(Controller):
    path = "/me"
    guards = [ANYONE]

    @get("/reports", name="my_reports")
    async def my_reports(self, request: Request, received: FromQuery[int | None] = None) -> Template:
        return render(
            request,
            "feedback/mine.html",
            {
                "items": await queue.reported_by(request.user),
                "received": received,
            },
        )

    @get("/fixes", name="my_fixes")
    async def my_fixes(self, request: Request) -> Template:
        return render(request, "feedback/fixes.html", {"items": await queue.assigned_to(request.user)})


TRIAGERS = allow(Role.supervisor, Role.manager, Role.admin, Role.executive)


class QueueController(Controller):
    path = "/sites/{site_id:int}"
    guards = [TRIAGERS]

    @get("/queue", name="feedback_queue")
    async def site_queue(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await site_for(request.user, site_id)
        return await queue_page(request, site)

    @get("/findings/new", name="finding_new", guards=[allow(Role.supervisor, Role.manager, Role.admin)])
    async def finding_form(self, request: Request, site_id: FromPath[int]) -> Template:
        site = await site_for(request.user, site_id)
        return render(request, "feedback/report.html", await finding_context(site))

    @post(
        "/findings",
        name="finding_create",
        guards=[allow(Role.supervisor, Role.manager, Role.admin)],
        request_max_body_size=MAX_UPLOAD_BYTES,
        status_code=200,
    )
    async def finding_create(self, request: Request, site_id: FromPath[int]) -> Template | Redirect:
        site = await site_for(request.user, site_id)
        form: dict = {}
        try:
            form, files = await form_with_files(request)
            data = services.parse_report(form, finding=True, today=_today(site["timezone"]))
            item_id = await services.raise_item(
                request.user,
                site,
                data,
                files,
                key=form.get("idempotency_key", ""),
                device=device_of(request),
                source=Source.inspection,
            )
        except ValidationFailed as problem:
            context = await finding_context(site, form, field_errors(problem))
            return render(request, "feedback/report.html", context, status_code=422)
        return see_other(request.app.route_reverse("feedback_item", item_id=item_id))


async def finding_context(site: dict, form: dict | None = None, errors: dict | None = None) -> dict:
    from app.photos.timeline import areas_of

    return {
        "sites": [site],
        "site": site,
        "areas": await areas_of(site["id"]),
        "kinds": list(Kind),
        "severities": list(Severity),
        "form": form or {},
        "errors": errors or {},
        "key": uuid.uuid4(),
        "finding": True,
        "crews": await crews_of(site["id"]),
        "subcontractors": await Subcontractor.select(Subcontractor.id, Subcontractor.name).order_by(
            Subcontractor.name
        ),
    }


async def queue_page(request: Request, site: dict | None) -> Template:
    """A site's queue (or, without a site, the company's system suggestions).

    What each part needs, and no more: scrolling (block queue_more) gets the next rows only,
    the live refresh (block queue_list) the rows and the counts, the page the filters too.
    Row forms come with a row's actions (`actions_of`), not with the page."""
    site_id = site["id"] if site else None
    errors: dict = {}
    try:
        filters = queue.parse_filters(request.query_params)
    except ValidationFailed as problem:
        errors, filters = field_errors(problem), queue.QueueFilters()
    rows, following = await queue.page(site_id, filters, request.user)
    block = requested_block(request)
    context = {
        "site": site,
        "rows": rows,
        "following": following,
        "filters": filters,
        "errors": errors,
        "may_triage": request.user.role != Role.executive.value,
        "in_queue": True,
    }
    if block != "queue_more":
        context["counts"] = await queue.counts(site_id)
    if block not in ("queue_list", "queue_more"):
        from app.photos.timeline import areas_of

        context |= {
            "kinds": list(Kind),
            "severities": list(Severity),
            "areas": await areas_of(site_id) if site_id else [],
            "crews": await queue.crews_to_filter(site_id) if site_id else [],
            "stream": request.app.route_reverse("feedback_stream", site_id=site_id)
            if site_id
            else request.app.route_reverse("system_stream"),
        }
    return render(request, "feedback/queue.html", context, status_code=422 if errors else 200)
