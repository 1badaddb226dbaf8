"""Home (待办), the language switch, the offline page and the health check."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from app import i18n
from app.accounts import services as accounts
from app.todo import todo_for
from app.web.access import ANYONE_SIGNED_IN, PUBLIC, device_of, remember_language
from app.web.forms import form_fields, local_path, see_other
from app.web.rendering import render


class HomeController(Controller):
    guards = [ANYONE_SIGNED_IN]

    @get("/", name="home")
    async def home(self, request: Request) -> Template:
        return render(request, "home/page.html", {"todo": await todo_for(request.user)})


class ShellController(Controller):
    opt = PUBLIC

    @post("/language", name="switch_language")
    async def switch_language(self, request: Request) -> Redirect:
        """Remembered in a cookie, and as the person's setting when signed in.

        An unknown code changes nothing: the page comes back as it was.
        """
        form = await form_fields(request)
        language = i18n.supported(form.get("language"))
        response = see_other(local_path(form.get("next")))
        if language:
            if request.user is not None:
                await accounts.set_language(request.user, language, device_of(request))
            remember_language(response, language)
        return response

    @get("/offline", name="offline")
    async def offline(self, request: Request) -> Template:
        # Cached by the service worker and shown to anyone: nothing personal on it.
        return render(request, "home/offline.html", {"offline": True})

    @get("/csrf", name="csrf_token", include_in_schema=False)
    async def csrf_token(self, request: Request) -> Response[dict]:
        """A fresh token for a page's queued sends: the one in a cached page may be stale."""
        token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
        return Response({"token": token}, headers={"cache-control": "no-store"})

    @get("/healthz", name="health", include_in_schema=False)
    async def health(self) -> Response[dict]:
        return Response({"status": "ok"})
