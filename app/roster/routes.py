"""Roster upload: preview every problem, then import when the file is clean."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts.tables import Role
from app.config import get_settings
from app.i18n import gettext
from app.roster import services
from app.roster.parsing import COLUMN_LABELS, RosterUnreadable, read_roster, template_workbook
from app.web.access import allow, device_of
from app.web.rendering import render

MAX_UPLOAD = 5 * 1024 * 1024
PROBLEMS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_dir() -> Path:
    path = get_settings().data_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored(token: str) -> tuple[bytes, str]:
    """An upload kept between preview and import; the token names only our own files."""
    if not (token.isalnum() and len(token) == 32):
        raise NotFoundException()
    matches = list(_upload_dir().glob(f"{token}.*"))
    if not matches:
        raise NotFoundException()
    return matches[0].read_bytes(), matches[0].name


class RosterController(Controller):
    path = "/roster"
    guards = [allow(Role.foreman, Role.supervisor, Role.manager, Role.admin)]

    @get(name="roster")
    async def page(self, request: Request) -> Template:
        return render(request, "roster/page.html", {"errors": {}})

    @get("/template.xlsx", name="roster_template")
    async def template(self, language: FromQuery[str] = "zh_CN") -> Response[bytes]:
        filename = "roster-template.xlsx" if language == "en" else "roster-template-zh.xlsx"
        return Response(
            template_workbook(language), media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @post("/preview", name="roster_preview", request_max_body_size=MAX_UPLOAD + 64 * 1024)
    async def preview(self, request: Request) -> Template:
        form = await request.form()
        upload = form.get("roster")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return render(request, "roster/page.html",
                          {"errors": {"roster": gettext("Choose a roster file.")}}, status_code=422)
        content = await upload.read()
        if len(content) > MAX_UPLOAD:
            return render(request, "roster/page.html", {"errors": {"roster": gettext(
                "The file is larger than 5 MB.")}}, status_code=413)
        try:
            rows = read_roster(content, upload.filename)
        except RosterUnreadable as unreadable:
            return render(request, "roster/page.html", {
                "errors": {"roster": gettext(unreadable.message, **unreadable.params)}
            }, status_code=422)
        token = secrets.token_hex(16)
        suffix = ".csv" if upload.filename.lower().endswith(".csv") else ".xlsx"
        (_upload_dir() / f"{token}{suffix}").write_bytes(content)
        return await self._preview(request, token, rows, page=1)

    @get("/preview/{token:str}", name="roster_problems")
    async def problems(self, request: Request, token: FromPath[str], page: FromQuery[int] = 1) -> Template:
        content, filename = _stored(token)
        return await self._preview(request, token, read_roster(content, filename), page=page)

    @post("/import/{token:str}", name="roster_import")
    async def run_import(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        content, filename = _stored(token)
        rows = read_roster(content, filename)
        try:
            plan = await services.import_roster(
                request.user, rows, today=date.today(), device=device_of(request)
            )
        except services.RosterNotClean:
            return await self._preview(request, token, rows, page=1, status_code=422)
        for stored in _upload_dir().glob(f"{token}.*"):
            stored.unlink()
        return render(request, "roster/done.html", {"plan": plan})

    @staticmethod
    async def _preview(
        request: Request, token: str, rows: list[dict], *, page: int, status_code: int = 200
    ) -> Template:
        plan = await services.plan_import(request.user, rows, today=date.today())
        pages = max(1, -(-len(plan.problems) // PROBLEMS_PER_PAGE))
        page = min(max(page, 1), pages)
        shown = plan.problems[(page - 1) * PROBLEMS_PER_PAGE:page * PROBLEMS_PER_PAGE]
        return render(request, "roster/preview.html", {
            "plan": plan, "rows": len(rows), "token": token, "problems": shown,
            "page": page, "pages": pages, "column_labels": COLUMN_LABELS,
        }, status_code=status_code)


