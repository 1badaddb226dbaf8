"""Error answers: one page per status, in the user's language, never a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app import i18n
from app.errors import DomainError, Forbidden, NotFound
from app.i18n import N_
from app.web.access import choose_language

log = logging.getLogger("fieldpost")

MESSAGES = {
    400: (N_("Something in the request is not right"), N_("Go back and check what you entered.")),
    403: (N_("Not allowed"), N_("Your role does not allow this. Ask your project manager.")),
    404: (N_("Not found"), N_("This page does not exist, or it is not yours to see.")),
    405: (N_("Not allowed"), N_("This page cannot be used this way.")),
    413: (N_("Too large"), N_("What you sent is too large. Send something smaller.")),
    422: (N_("Something in the request is not right"), N_("Go back and check what you entered.")),
    429: (N_("Too many requests"), N_("Wait a moment and try again.")),
    500: (N_("Something went wrong"), N_("It is not your fault. Try again in a minute.")),
}


def _status_of(exc: Exception) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, UnicodeDecodeError):
        return 400  # a mangled form (a file part whose header was broken reads as text)
    return HTTP_500_INTERNAL_SERVER_ERROR


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='/')}" if request.method == "GET" else "/login"
    if request.headers.get("hx-request"):
        return Response(b"", status_code=204, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


def error_answer(request: Request, exc: Exception) -> Response:
    status = _status_of(exc)
    if status == 401:
        return _sign_in_redirect(request)
    if status >= 500 and "client disconnected" in str(exc):
        # The phone gave up (or lost signal) while sending: not a fault here; its outbox retries.
        log.info("client left during %s %s", request.method, request.url.path)
    elif status >= 500:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if "user" not in request.scope:
        # Unmatched routes skip the route middleware: pick the language here.
        request.scope["user"] = None
        i18n.set_language(choose_language(request, None))
    title, hint = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    params: dict = {}
    if isinstance(exc, DomainError) and exc.message:
        # The service said what went wrong in words the person can act on.
        hint, params = exc.message, exc.params
    headers = getattr(exc, "headers", None) or {}
    return Template(
        "errors/page.html",
        context={"status": status, "title": title, "hint": hint, "hint_params": params},
        status_code=status,
        headers=headers,
    )


EXCEPTION_HANDLERS = {HTTPException: error_answer, NotFound: error_answer, Forbidden: error_answer,
                      Exception: error_answer}
