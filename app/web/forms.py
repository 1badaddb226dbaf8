"""Reading plain forms and answering a successful POST."""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from app.errors import invalid
from app.i18n import N_

MAX_FIELD = 2000


async def form_fields(request: Request) -> dict[str, str]:
    """The form's text fields, trimmed to a sane length; repeated fields keep the last."""
    if request.content_type[0] == "application/x-www-form-urlencoded":
        # Every tap sends one: parsed as it stands, without a multi-valued form built first.
        body = (await request.body()).decode(errors="replace")
        return {key: value[:MAX_FIELD] for key, value in parse_qsl(body, keep_blank_values=True)}
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


MAX_FILE_BYTES = 15 * 1024 * 1024


async def form_with_files(request: Request, name: str = "photo") -> tuple[dict[str, str], list[bytes]]:
    """A multipart form's text fields and the contents of its files called `name`.

    Each file may be at most 15 MB (the route's own limit caps the whole request).
    """
    form = await request.form()
    fields = {key: value[: MAX_FIELD * 6] for key, value in form.items() if isinstance(value, str)}
    files = []
    for upload in form.getall(name, []):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise invalid(
                    name, N_("This photo is larger than %(size)s MB."), size=MAX_FILE_BYTES // 2**20
                )
            if data:
                files.append(data)
    return fields, files
