"""Signing in and out, and a person's own account page."""

from __future__ import annotations

import time

from litestar import Controller, Request, get, post
from litestar.params import FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from app.accounts import services
from app.checkin import devices
from app.errors import ValidationFailed
from app.i18n import LANGUAGES, gettext
from app.web.access import ANYONE_SIGNED_IN, PUBLIC, device_of, remember_language, worker_device_of
from app.web.forms import form_fields, local_path, see_other
from app.web.rendering import form_error, render
from app.web.sessions import rotate_session, session_data


class SignInController(Controller):
    path = "/login"
    opt = PUBLIC

    @get(name="sign_in")
    async def page(self, request: Request, next: FromQuery[str] = "/") -> Template | Redirect:
        if request.user is not None:
            return see_other(local_path(next))
        return render(request, "accounts/sign_in.html", {"form": {"next": next}, "errors": {}})

    @post(name="sign_in_submit")
    async def submit(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        context = {"form": {"phone": form.get("phone", ""), "next": form.get("next", "/")}}
        try:
            user = await services.sign_in(
                form.get("phone", ""), form.get("secret", ""), device_of(request)
            )
        except services.SignInLocked as locked:
            return render(
                request, "accounts/sign_in.html",
                {**context, "errors": {"secret": gettext(locked.message, **locked.params)}},
                status_code=429,
            )
        except ValidationFailed as problem:
            return form_error(request, "accounts/sign_in.html", problem, context)
        rotate_session(request)
        request.set_session(session_data(user.id, user.session_epoch, time.time()))
        if user.must_change_secret:
            flash(request, gettext("Welcome. First choose your own password/PIN."), "info")
            return see_other(request.app.route_reverse("account") + "#secret")
        response = see_other(local_path(form.get("next")))
        return remember_language(response, user.language) if user.language else response


class AccountController(Controller):
    path = "/me"
    guards = [ANYONE_SIGNED_IN]

    @get(name="account")
    async def page(self, request: Request) -> Template:
        return render(request, "accounts/account.html", {"errors": {}, "languages": LANGUAGES})

    @post("/language", name="account_language")
    async def language(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            await services.set_language(request.user, form.get("language", ""), device_of(request))
        except ValidationFailed as problem:
            return form_error(
                request, "accounts/account.html", problem, {"languages": LANGUAGES}
            )
        response = see_other(request.app.route_reverse("account"))
        language = form.get("language", "")
        return remember_language(response, language) if language else response

    @post("/secret", name="account_secret")
    async def secret(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            user = await services.change_own_secret(
                request.user, current=form.get("current", ""), new=form.get("new", ""),
                confirm=form.get("confirm", ""), device=device_of(request),
            )
        except ValidationFailed as problem:
            return form_error(
                request, "accounts/account.html", problem, {"languages": LANGUAGES}
            )
        # The new epoch ended every other session; keep this one.
        rotate_session(request)
        request.set_session(session_data(user.id, user.session_epoch, time.time()))
        flash(request, gettext("Saved. Use the new one from now on."), "success")
        return see_other(request.app.route_reverse("home"))

    @post("/sign-out", name="sign_out")
    async def sign_out(self, request: Request) -> Redirect:
        await services.sign_out(request.user, device_of(request))
        request.clear_session()
        response = see_other(request.app.route_reverse("sign_in"))
        phone = worker_device_of(request)
        if phone:
            # Signing out on a remembered phone forgets it, or the phone would sign straight back in.
            await devices.forget(phone["id"], request.user)
            response.delete_cookie(devices.COOKIE, path="/")
        return response
