"""Who is asking, and may they: the signed-in person, guards and the public marker.

Every route is signed-in-only unless marked `opt=PUBLIC`; controllers add role
guards. Records of other sites or people are hidden by the services (404).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.response import Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.accounts import services as accounts
from app.accounts.tables import Role, User
from app.checkin import devices
from app.config import get_settings
from app.inbox.services import unread_count

PUBLIC = {"public": True}
DEVICE_COOKIE = "fp_device"
LANGUAGE_COOKIE = "fp_lang"
ONE_YEAR = 365 * 24 * 3600

STAFF = (Role.foreman, Role.supervisor, Role.manager, Role.executive, Role.admin)
SUPERVISORS = (Role.supervisor, Role.manager, Role.executive, Role.admin)
MANAGERS = (Role.manager, Role.executive, Role.admin)


def choose_language(connection: ASGIConnection, user: User | None) -> str:
    settings = get_settings()
    return (
        (user and i18n.supported(user.language))
        or i18n.supported(connection.cookies.get(LANGUAGE_COOKIE))
        or i18n.from_accept_language(connection.headers.get("accept-language", ""))
        or i18n.supported(settings.default_language)
        or "zh_CN"
    )


def remember_language(response: Response, language: str) -> Response:
    """The cookie serves pages without a session too (the cached offline page)."""
    response.cookies.append(
        Cookie(key=LANGUAGE_COOKIE, value=language, max_age=ONE_YEAR, samesite="lax")
    )
    return response


def device_of(connection: ASGIConnection) -> str:
    return connection.scope.get("state", {}).get("device", "")


def worker_device_of(connection: ASGIConnection) -> dict | None:
    """The remembered phone's record (any status), from its long-lived credential."""
    return connection.scope.get("state", {}).get("worker_device")


class PrincipalMiddleware(ASGIMiddleware):
    """Loads the signed-in user, ends sessions that must end, picks the language."""

    scopes = (ScopeType.HTTP,)
    # Static files and the health check need no person and no language.
    should_bypass_for_scope = staticmethod(
        lambda scope: scope["path"].startswith("/static/") or scope["path"] == "/healthz"
    )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection = ASGIConnection(scope)
        user = await self._user(connection)
        phone = await devices.device_by_secret(connection.cookies.get(devices.COOKIE))
        connection.state["worker_device"] = phone
        if user is None and devices.may_check_in(phone):
            # A remembered phone is its worker's, even after the session ended.
            user = devices.account_of(phone)
        scope["user"] = user
        device = connection.cookies.get(DEVICE_COOKIE, "")
        new_device = not (device.isalnum() and 16 <= len(device) <= 64)
        if new_device:
            device = secrets.token_hex(16)
        connection.state["device"] = device
        i18n.set_language(choose_language(connection, user))
        if user is not None and _shows_the_shell(scope):
            connection.state["unread"] = await unread_count(user)

        async def send_with_device(message: Message) -> None:
            if new_device and message["type"] == "http.response.start":
                cookie = Cookie(
                    key=DEVICE_COOKIE, value=device, max_age=ONE_YEAR, httponly=True,
                    samesite="lax", path="/",
                )
                MutableScopeHeaders.from_message(message).add(
                    "set-cookie", cookie.to_header(header="")
                )
            await send(message)

        await next_app(scope, receive, send_with_device)

    @staticmethod
    async def _user(connection: ASGIConnection) -> User | None:
        session = connection.scope.get("session")
        if not isinstance(session, dict) or "uid" not in session:
            return None
        settings = get_settings()
        too_old = time.time() - session.get("since", 0) > settings.session_max_hours * 3600
        user = None if too_old else await accounts.active_user(session["uid"])
        if user is None or user.session_epoch != session.get("epoch"):
            connection.clear_session()
            return None
        return user


def _shows_the_shell(scope: Scope) -> bool:
    """A whole page with the top bar (its inbox count): a GET, plain or boosted, not a check-in.

    Only a handler that answers with a template draws the bar: photos, the outbox's
    CSRF token, streams and downloads are asked for many times a page, and counting
    the inbox for each of them was one query apiece for nothing.
    """
    if scope.get("method") != "GET" or scope["path"].startswith("/c/"):
        return False
    handler = scope.get("route_handler")
    answer = handler.parsed_fn_signature.return_type if handler else None
    if answer is None or not (answer.is_subclass_of(Template) or answer.has_inner_subclass_of(Template)):
        return False
    headers = dict(scope.get("headers") or [])
    return b"hx-request" not in headers or b"hx-boosted" in headers


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a
# round trip on every request.
async def signed_in_unless_public(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """App-wide guard: nothing is public by accident."""
    if handler.opt.get("public"):
        return
    if connection.user is None:
        raise NotAuthorizedException()


def allow(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    allowed = {role.value for role in roles}

    async def role_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.user is None:
            raise NotAuthorizedException()
        if connection.user.role not in allowed:
            raise PermissionDeniedException()

    role_guard.roles = allowed  # type: ignore[attr-defined]
    return role_guard


ANYONE_SIGNED_IN = allow(*Role)
