"""Poster check-in: scan, identify once, then one big button.

These routes are public: a phone proves who it is with its remembered-phone
credential, not a session, because an offline tap may be sent long after the
session ended.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.backlog.questions import open_questions
from app.checkin import devices, services
from app.checkin.posters import PosterInvalid, PosterRevoked, poster_for_token
from app.errors import DomainError, Forbidden, ValidationFailed
from app.outbox.services import ECHO
from app.web.access import PUBLIC, device_of, worker_device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import field_errors, form_error, render
from app.web.sessions import rotate_session, session_data

# Taps being worked on at once in this process. Beyond it a tap is told to come back
# (503, Retry-After): the phone's outbox keeps it, and the server keeps answering the
# taps it has instead of collapsing under ones whose phones have given up waiting.
MAX_TAPS_IN_FLIGHT = 48
_in_flight = 0


def phone_cookie(secret: str) -> Cookie:
    return Cookie(
        key=devices.COOKIE,
        value=secret,
        max_age=devices.COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        path="/",
    )


def _mismatch(request: Request, phone: dict | None) -> bool:
    """Someone else's session on a phone remembered for another worker."""
    user = request.user
    return bool(
        user
        and phone
        and devices.may_check_in(phone)
        and user.role == Role.worker.value
        and user.id != phone["account__id"]
    )


async def _questions(phone: dict) -> list[dict]:
    """The "fixed?" questions shown with the button, read only when the phone's read saw some."""
    return await open_questions(devices.account_of(phone)) if phone["questions_waiting"] else []


async def _poster(request: Request, token: str) -> dict | Template:
    try:
        return await poster_for_token(token)
    except (PosterInvalid, PosterRevoked) as problem:
        status = 410 if isinstance(problem, PosterRevoked) else 404
        return render(request, "checkin/invalid.html", {"problem": problem}, status_code=status)


class CheckInController(Controller):
    path = "/c/{token:str}"
    opt = PUBLIC

    @get(name="checkin")
    async def page(self, request: Request, token: FromPath[str]) -> Template:
        poster = await _poster(request, token)
        if isinstance(poster, Template):
            return poster
        phone = worker_device_of(request)
        context = {"poster": poster, "token": token}
        if _mismatch(request, phone):
            raise Forbidden(services.MISMATCH)
        if phone and phone["status"] == "pending":
            return render(request, "checkin/waiting.html", {**context, "phone": phone})
        if not devices.may_check_in(phone):
            return render(request, "checkin/identify.html", {**context, "form": {}, "revoked": bool(phone)})
        context |= await services.state_of(phone["worker"])
        context["questions"] = await _questions(phone)
        return render(request, "checkin/page.html", {**context, "phone": phone, "key": uuid.uuid4()})

    @post(name="checkin_tap")
    async def tap(self, request: Request, token: FromPath[str]) -> Response | Template | Redirect:
        global _in_flight  # noqa: PLW0603  (one counter per process, on one event loop)
        if _in_flight >= MAX_TAPS_IN_FLIGHT:
            return Response(b"busy", status_code=503, headers={"Retry-After": "5"})
        _in_flight += 1
        try:
            return await self._tap(request, token)
        finally:
            _in_flight -= 1

    async def _tap(self, request: Request, token: str) -> Response | Template | Redirect:
        poster = await _poster(request, token)
        if isinstance(poster, Template):
            return poster
        phone = worker_device_of(request)
        if _mismatch(request, phone):
            raise Forbidden(services.MISMATCH)
        form = await form_fields(request)
        key = form.get("idempotency_key", "")
        echo = {ECHO: key} if key else {}
        try:
            tap = services.parse_tap(form)
            recorded = await services.record_tap(phone, poster, tap)
        except ValidationFailed as problem:
            context = {"poster": poster, "token": token, "errors": field_errors(problem)}
            return render(request, "checkin/refused.html", context, status_code=422, headers=echo)
        if not request.headers.get("hx-request"):
            return see_other(request.app.route_reverse("checkin", token=token))
        context = {
            "poster": poster,
            "token": token,
            "event": recorded.event,
            **recorded.state,
            "questions": await _questions(phone),
        }
        return render(
            request, "checkin/page.html", {**context, "phone": phone, "key": uuid.uuid4()}, headers=echo
        )

    @post("/identify", name="checkin_identify")
    async def identify(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        async def by_pin(form: dict, fingerprint: str, label: str) -> str:
            user, secret = await devices.identify(
                form.get("phone", ""), form.get("pin", ""), fingerprint=fingerprint, label=label
            )
            rotate_session(request)
            request.set_session(session_data(user.id, user.session_epoch, time.time()))
            return secret

        return await _remember_phone(request, token, by_pin, asking=False)

    @post("/approval", name="checkin_ask_approval")
    async def ask_approval(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        async def by_foreman(form: dict, fingerprint: str, label: str) -> str:
            return await devices.request_approval(form.get("phone", ""), fingerprint=fingerprint, label=label)

        return await _remember_phone(request, token, by_foreman, asking=True)


async def _remember_phone(
    request: Request, token: str, bind: Callable[[dict, str, str], Awaitable[str]], *, asking: bool
) -> Template | Redirect:
    """Link this phone (at once with the PIN, or waiting for the foreman) and remember it."""
    poster = await _poster(request, token)
    if isinstance(poster, Template):
        return poster
    form = await form_fields(request)
    label = devices.label_from(request.headers.get("user-agent", ""))
    try:
        secret = await bind(form, device_of(request), label)
    except ValidationFailed as problem:
        context = {"poster": poster, "token": token, "form": form, "asking": asking}
        return form_error(request, "checkin/identify.html", problem, context)
    except DomainError as problem:
        return render(request, "checkin/invalid.html", {"problem": problem}, status_code=403)
    response = see_other(request.app.route_reverse("checkin", token=token))
    response.cookies.append(phone_cookie(secret))
    return response
