"""The one render path: a whole page, or the fragment an htmx request targets.

A normal, boosted or history-restore request gets the page. Any other htmx request
gets the block named by its target: `hx-target="#item-123"` renders block `item`,
`#sign-in-form` renders block `sign_in_form`, from the same template. Responses
always carry `Vary: HX-Request`, so caches keep the two apart.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from app.errors import ValidationFailed
from app.i18n import gettext

VARY = {"Vary": "HX-Request, Accept-Language"}
_NUMBERED = re.compile(r"-\d+$")


def block_for_target(target: str | None) -> str | None:
    if not target:
        return None
    return _NUMBERED.sub("", target.lstrip("#")).replace("-", "_")


def requested_block(request: Request) -> str | None:
    """The block an htmx request targets; None for a plain, boosted or history-restore one.

    Read from the headers as htmx sends them (what the plugin's HTMXDetails reads, in a
    quarter of the time: every check-in asks this).
    """
    headers = request.headers
    if headers.get("hx-request") != "true" or "true" in (
        headers.get("hx-boosted"), headers.get("hx-history-restore-request")
    ):
        return None
    target = headers.get("hx-target")
    if target and headers.get("hx-target-uri-autoencoded") == "true":
        target = unquote(target)
    return block_for_target(target)


def _has_block(request: Request, template_name: str, block: str) -> bool:
    engine = request.app.template_engine
    return block in engine.engine.get_template(template_name).blocks  # type: ignore[union-attr]


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    context = context or {}
    headers = {**VARY, **(headers or {})}
    # Every template here is HTML: named, the type is not guessed from the file name.
    common = {
        "context": context, "status_code": status_code, "headers": headers, "media_type": MediaType.HTML
    }
    block = requested_block(request)
    if block and _has_block(request, template_name, block):
        return HTMXBlockTemplate(template_name=template_name, block_name=block, **common)
    return Template(template_name, **common)


def field_errors(problem: ValidationFailed) -> dict[str, str]:
    """Messages for the form, in the user's language, keyed by field name."""
    return {field: gettext(msg, **params) for field, (msg, params) in problem.errors.items()}


def form_error(
    request: Request, template_name: str, problem: ValidationFailed, context: dict[str, Any]
) -> Template:
    """The same form again with the values kept and the messages beside the fields."""
    return render(
        request, template_name, {**context, "errors": field_errors(problem)}, status_code=422
    )


def updated(request: Request, template_name: str, context: dict[str, Any], path: str) -> Template | Redirect:
    """A done write: the refreshed fragment to htmx, post/redirect/get to a plain form."""
    if requested_block(request) is None:
        return Redirect(path, status_code=303)
    return render(request, template_name, context)
