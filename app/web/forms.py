"""Reading plain forms and answering a successful POST."""

from __future__ import annotations

from litestar import Request
from litestar.response import Redirect

MAX_FIELD = 2000


async def form_fields(request: Request) -> dict[str, str]:
    """The form's text fields, trimmed to a sane length; repeated fields keep the last."""
    form = await request.form()
    return {key: value[:MAX_FIELD] for key, value in form.items() if isinstance(value, str)}


def local_path(target: str | None, default: str = "/") -> str:
    """Only our own paths: `//evil.example` and `https://…` would leave the site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def see_other(path: str) -> Redirect:
    """Post/redirect/get. Boosted htmx forms follow it and swap in the new page."""
    return Redirect(path, status_code=303)
