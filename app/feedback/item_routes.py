"""One item: its page, the triage actions (each swaps only its queue row), the fix and
the re-inspection; and the live streams the queues listen to."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from app.accounts.tables import Role
from app.backlog import board as backlog_board
from app.errors import Forbidden, NotFound, ValidationFailed
from app.feedback import live, queue, triage
from app.feedback.routes import ANYONE, MAX_UPLOAD_BYTES, TRIAGERS, from_outbox, queue_page
from app.feedback.tables import Kind
from app.i18n import N_, gettext
from app.outbox.services import ECHO
from app.sites.services import site_for
from app.web.access import allow, device_of
from app.web.forms import form_fields, form_with_files, see_other
from app.web.rendering import field_errors, render, requested_block

# A comment line every so often keeps proxies from closing an idle stream.
KEEPALIVE_S = 25
NOT_YOURS = N_("This page does not exist, or it is not yours to see.")


async def _item_context(request: Request, item: dict, errors: dict | None = None) -> dict:
    may_triage = await triage.may_triage(request.user, item)
    return {
        "item": item,
        "events": await triage.timeline_of(item["id"]),
        "photos": await triage.photos_of(item["id"]),
        "may_triage": may_triage,
        "owners": await triage.owners_for(item) if may_triage else [],
        "is_owner": item["owner"] == request.user.id,
        "errors": errors or {},
        "today": datetime.now(ZoneInfo(item["timezone"])).date(),
        "key": uuid.uuid4(),
        **await backlog_board.around_feedback(request.user, item["id"]),
    }


async def _row_again(request: Request, item: dict, errors: dict, *, in_queue: bool) -> Template:
    """The row after an action: open with its forms and the messages when refused; in the
    queue, with the queue's counts out of band, since the action may have moved them."""
    context = {
        "row": item,
        "may_triage": True,
        "errors": errors,
        "open": bool(errors),
        "forms": bool(errors),
        "in_queue": in_queue,
    }
    if errors:
        context |= await _forms_context(item)
    elif in_queue:
        context["queue_counts"] = await queue.counts(None if item["kind"] == Kind.system else item["site"])
    return render(request, "feedback/_row.html", context, status_code=422 if errors else 200)


async def _forms_context(item: dict) -> dict:
    return {
        "owners": await triage.owners_for(item),
        "today": datetime.now(ZoneInfo(item["timezone"])).date(),
    }


class FeedbackItemController(Controller):
    path = "/feedback/{item_id:int}"
    guards = [ANYONE]

    @get(name="feedback_item")
    async def item_page(self, request: Request, item_id: FromPath[int]) -> Template:
        item = await triage.item_for(request.user, item_id)
        return render(request, "feedback/item.html", await _item_context(request, item))

    @get("/actions", name="feedback_actions")
    async def actions_of(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        """A queue row's forms, fetched when its actions are first opened; the item's page
        (which has them too) for anything but that."""
        if requested_block(request) != "actions":
            return see_other(request.app.route_reverse("feedback_item", item_id=item_id))
        item = await triage.item_for(request.user, item_id)
        if not await triage.may_triage(request.user, item):
            raise Forbidden(N_("Only the project's supervisors can do this."))
        context = {"row": item, "forms": True, "may_triage": True}
        return render(request, "feedback/_row.html", context | await _forms_context(item))

    async def _act(
        self, request: Request, item_id: int, action: Callable[[dict], Awaitable[dict]]
    ) -> Template | Redirect:
        """Run a triage action: the row again for the queue (htmx), or back to the item."""
        form = await form_fields(request)
        try:
            item = await action(form)
            errors: dict = {}
        except ValidationFailed as problem:
            item, errors = await triage.item_for(request.user, item_id), field_errors(problem)
        if requested_block(request) == "item":
            return await _row_again(request, item, errors, in_queue=form.get("in_queue") == "1")
        if errors:
            context = await _item_context(request, item, errors)
            return render(request, "feedback/item.html", context, status_code=422)
        return see_other(request.app.route_reverse("feedback_item", item_id=item_id))

    @post("/accept", name="feedback_accept")
    async def accept(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._act(
            request,
            item_id,
            lambda form: triage.accept(
                request.user, item_id, form.get("backlog", ""), device=device_of(request)
            ),
        )

    @post("/assign", name="feedback_assign")
    async def assign(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        async def run(form: dict) -> dict:
            item = await triage.item_for(request.user, item_id)
            today = datetime.now(ZoneInfo(item["timezone"])).date()
            return await triage.assign(
                request.user,
                item_id,
                form.get("owner", ""),
                form.get("due_on", ""),
                device=device_of(request),
                today=today,
            )

        return await self._act(request, item_id, run)

    @post("/duplicate", name="feedback_duplicate")
    async def duplicate(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._act(
            request,
            item_id,
            lambda form: triage.mark_duplicate(
                request.user, item_id, form.get("duplicate_of", ""), device=device_of(request)
            ),
        )

    @post("/reject", name="feedback_reject")
    async def reject(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._act(
            request,
            item_id,
            lambda form: triage.reject(
                request.user, item_id, form.get("reason", ""), device=device_of(request)
            ),
        )

    @post("/comment", name="feedback_comment")
    async def comment(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._act(
            request,
            item_id,
            lambda form: triage.comment(
                request.user, item_id, form.get("comment", ""), device=device_of(request)
            ),
        )

    @post("/reinspect", name="feedback_reinspect")
    async def reinspect(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._act(
            request,
            item_id,
            lambda form: triage.reinspect(
                request.user,
                item_id,
                form.get("result") == "pass",
                form.get("reason", ""),
                device=device_of(request),
            ),
        )

    @post("/fix", name="feedback_fix", request_max_body_size=MAX_UPLOAD_BYTES, status_code=200)
    async def fix(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        """Marked fixed from the form, or from the phone's outbox, which needs a final answer
        echoing its key even when refused: a fix that can no longer be done (it went to
        someone else meanwhile) is told so rather than retried for ever."""
        key, queued = "", from_outbox(request)
        try:
            form, files = await form_with_files(request)
            key = form.get("idempotency_key", "")
            await triage.mark_fixed(
                request.user, item_id, form.get("note", ""), files, key=key, device=device_of(request)
            )
        except ValidationFailed as problem:
            errors = field_errors(problem)
            if queued:
                return _refused(request, errors, key)
            item = await triage.item_for(request.user, item_id)
            context = await _item_context(request, item, errors)
            return render(
                request, "feedback/item.html", context, status_code=422, headers={ECHO: key} if key else None
            )
        except (Forbidden, NotFound) as problem:
            if not queued:
                raise
            return _refused(request, {"fix": gettext(problem.message or NOT_YOURS)}, key)
        if queued:
            return render(request, "feedback/_fixed.html", {"item_id": item_id}, headers={ECHO: key})
        return see_other(request.app.route_reverse("feedback_item", item_id=item_id))


def _refused(request: Request, errors: dict, key: str) -> Template:
    """The outbox's final "not accepted", with the key it waits to hear back."""
    return render(request, "_shared/_refused.html", {"errors": errors}, status_code=422, headers={ECHO: key})


async def _stream(site_id: int | None) -> AsyncIterator[ServerSentEventMessage]:
    """Tell the page each time an item arrives; a comment now and then keeps the line open."""
    async with live.listen(site_id) as arrivals:
        yield ServerSentEventMessage(comment="listening")
        waiting = asyncio.ensure_future(anext(arrivals))
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=KEEPALIVE_S)
                if not done:
                    yield ServerSentEventMessage(comment="still here")
                    continue
                yield ServerSentEventMessage(event="item", data=waiting.result().decode())
                waiting = asyncio.ensure_future(anext(arrivals))
        finally:
            waiting.cancel()


class LiveController(Controller):
    guards = [TRIAGERS]

    @get("/sites/{site_id:int}/queue/stream", name="feedback_stream")
    async def site_stream(self, request: Request, site_id: FromPath[int]) -> ServerSentEvent:
        await site_for(request.user, site_id)
        return ServerSentEvent(
            _stream(site_id), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )

    @get("/queue/system", name="system_queue", guards=[allow(Role.admin)])
    async def system_queue(self, request: Request) -> Template:
        return await queue_page(request, None)

    @get("/queue/system/stream", name="system_stream", guards=[allow(Role.admin)])
    async def system_stream(self, request: Request) -> ServerSentEvent:
        return ServerSentEvent(
            _stream(None), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
