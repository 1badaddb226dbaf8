"""Improvement boards, an improvement's page, votes, "fixed?" answers and the inbox."""

from __future__ import annotations

import uuid

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.backlog import board, questions, services, votes
from app.backlog.tables import Stage
from app.errors import NotFound, ValidationFailed
from app.i18n import gettext
from app.inbox import services as inbox
from app.sites import members
from app.sites.tables import Site
from app.web.access import PUBLIC, allow, device_of
from app.web.forms import form_fields, form_with_files, local_path, see_other
from app.web.rendering import field_errors, render

ANYONE = allow(*Role)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class BoardController(Controller):
    guards = [ANYONE]

    @get("/sites/{site_id:int}/backlog", name="site_backlog")
    async def site_board(
        self,
        request: Request,
        site_id: FromPath[int],
        status: FromQuery[str] = "doing",
        flagged: FromQuery[str] = "",
    ) -> Template:
        site = await members.site_of_member(request.user, site_id)
        return await _board(request, site, status, flagged == "1")

    @get(
        "/backlog",
        name="company_backlog",
        guards=[allow(Role.supervisor, Role.manager, Role.executive, Role.admin)],
    )
    async def company_board(
        self, request: Request, status: FromQuery[str] = "doing", flagged: FromQuery[str] = ""
    ) -> Template:
        return await _board(request, None, status, flagged == "1")

    @get("/backlog/new", name="backlog_new", guards=[allow(Role.manager, Role.admin)])
    async def new(self, request: Request, site: FromQuery[int | None] = None) -> Template:
        sites = await members.sites_of_member(request.user)
        return render(request, "backlog/new.html", {"sites": sites, "site": site, "form": {}, "errors": {}})

    @post("/backlog", name="backlog_create", guards=[allow(Role.manager, Role.admin)])
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        site_text = form.get("site", "")
        try:
            backlog_id = await services.create(
                request.user,
                int(site_text) if site_text.isdigit() else None,
                form.get("title", ""),
                form.get("description", ""),
                device=device_of(request),
            )
        except ValidationFailed as problem:
            sites = await members.sites_of_member(request.user)
            return render(
                request,
                "backlog/new.html",
                {
                    "sites": sites,
                    "site": int(site_text) if site_text.isdigit() else None,
                    "form": form,
                    "errors": field_errors(problem),
                },
                status_code=422,
            )
        return see_other(request.app.route_reverse("backlog_item", backlog_id=backlog_id))


async def _board(request: Request, site: dict | None, status: str, flagged: bool) -> Template:
    stage = status if status in {stage.value for stage in Stage} else Stage.doing.value
    items = await board.items(site["id"] if site else None, stage, flagged=flagged)
    return render(
        request,
        "backlog/board.html",
        {
            "site": site,
            "items": items,
            "stage": stage,
            "stages": list(Stage),
            "flagged": flagged,
            "counts": await board.counts(site["id"] if site else None),
            "may_add": request.user.role in (Role.manager.value, Role.admin.value),
        },
    )


class DeliveredController(Controller):
    """Public: for the site's notice board, without any personal data."""

    @get("/sites/{site_id:int}/delivered", name="site_delivered", opt=PUBLIC)
    async def delivered(self, request: Request, site_id: FromPath[int]) -> Template:
        site = (
            await Site.select(Site.id, Site.name, Site.timezone)
            .where(
                (Site.id == site_id) & (Site.is_active == True)  # noqa: E712
            )
            .first()
        )
        if site is None:
            raise NotFound()
        return render(
            request, "backlog/delivered.html", {"site": site, "items": await board.delivered(site_id)}
        )


class BacklogItemController(Controller):
    path = "/backlog/{backlog_id:int}"
    guards = [ANYONE]

    async def _page(self, request: Request, item: dict, errors: dict | None = None, status_code: int = 200):
        return render(
            request,
            "backlog/item.html",
            {
                "item": item,
                "reports": await board.reports_of(item["id"]),
                "photos": await board.evidence_of(item["id"]),
                "may_manage": await services.may_manage(request.user, item),
                "stages": list(Stage),
                "may_flag": request.user.role in services.FLAGS,
                "errors": errors or {},
                "key": uuid.uuid4(),
                "voted": await board.has_voted(request.user, backlog_id=item["id"]),
                "owners": await board.owners_for(item),
            },
            status_code=status_code,
        )

    @get(name="backlog_item")
    async def show(self, request: Request, backlog_id: FromPath[int]) -> Template:
        return await self._page(request, await services.backlog_for(request.user, backlog_id))

    @post("/stage", name="backlog_stage")
    async def stage(self, request: Request, backlog_id: FromPath[int]) -> Template | Redirect:
        form = await form_fields(request)
        try:
            await services.set_stage(
                request.user,
                backlog_id,
                form.get("status", ""),
                form.get("reason", ""),
                form.get("owner", ""),
                form.get("target_date", ""),
                device=device_of(request),
            )
        except ValidationFailed as problem:
            item = await services.backlog_for(request.user, backlog_id)
            return await self._page(request, item, field_errors(problem), 422)
        return see_other(request.app.route_reverse("backlog_item", backlog_id=backlog_id))

    @post("/done", name="backlog_done", request_max_body_size=MAX_UPLOAD_BYTES, status_code=200)
    async def done(self, request: Request, backlog_id: FromPath[int]) -> Template | Redirect:
        try:
            form, files = await form_with_files(request)
            await services.mark_done(
                request.user,
                backlog_id,
                form.get("resolution", ""),
                files,
                key=form.get("idempotency_key", ""),
                device=device_of(request),
            )
        except ValidationFailed as problem:
            item = await services.backlog_for(request.user, backlog_id)
            return await self._page(request, item, field_errors(problem), 422)
        return see_other(request.app.route_reverse("backlog_item", backlog_id=backlog_id))

    @post("/flag", name="backlog_flag", guards=[allow(Role.executive, Role.manager, Role.admin)])
    async def flag(self, request: Request, backlog_id: FromPath[int]) -> Redirect:
        form = await form_fields(request)
        await board.set_flag(request.user, backlog_id, form.get("flagged") == "1", device=device_of(request))
        return see_other(request.app.route_reverse("backlog_item", backlog_id=backlog_id))

    @post("/vote", name="backlog_vote")
    async def vote(self, request: Request, backlog_id: FromPath[int]) -> Redirect:
        await votes.vote(request.user, backlog_id=backlog_id, device=device_of(request))
        return see_other(request.app.route_reverse("backlog_item", backlog_id=backlog_id))


class VoteController(Controller):
    guards = [ANYONE]

    @post("/feedback/{item_id:int}/vote", name="feedback_vote")
    async def vote(self, request: Request, item_id: FromPath[int]) -> Redirect:
        await votes.vote(request.user, feedback_id=item_id, device=device_of(request))
        form = await form_fields(request)
        return see_other(
            local_path(form.get("next"), request.app.route_reverse("feedback_item", item_id=item_id))
        )

    @post("/questions/{question_id:int}", name="fixed_answer")
    async def answer(self, request: Request, question_id: FromPath[int]) -> Redirect:
        form = await form_fields(request)
        fixed = form.get("fixed") == "yes"
        await questions.answer(request.user, question_id, fixed, device=device_of(request))
        flash(
            request,
            gettext("Thank you: glad it is fixed.")
            if fixed
            else gettext("Thank you: it is being worked on again."),
            "success",
        )
        return see_other(local_path(form.get("next"), request.app.route_reverse("inbox")))


class InboxController(Controller):
    path = "/inbox"
    guards = [ANYONE]

    @get(name="inbox")
    async def show(self, request: Request) -> Template:
        notes = await inbox.inbox(request.user)
        waiting = await questions.open_questions(request.user)
        await inbox.mark_read(request.user)
        return render(request, "inbox/page.html", {"notes": notes, "questions": waiting})
