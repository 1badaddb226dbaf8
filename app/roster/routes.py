"""Roster upload: a preview of every problem, then the import once the file is clean."""

from __future__ import annotations

from datetime import date

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from app.accounts.tables import Role
from app.i18n import gettext
from app.roster import services
from app.roster.parsing import (
    COLUMN_LABELS,
    COLUMNS,
    REQUIRED,
    RosterUnreadable,
    read_roster,
    template_workbook,
)
from app.web.access import allow, device_of
from app.web.errors import error_answer
from app.web.forms import form_fields, see_other
from app.web.rendering import render

MAX_FILE_MB = 5
MAX_FILE = MAX_FILE_MB * 1024 * 1024
# The multipart envelope and the CSRF field around the file.
MAX_BODY = MAX_FILE + 64 * 1024
ROWS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORTERS = (Role.foreman, Role.supervisor, Role.manager, Role.admin)
# The page documents the columns from the code that reads them.
COLUMN_HELP = [
    {"zh": aliases[1], "en": aliases[0], "label": COLUMN_LABELS[column], "required": column in REQUIRED}
    for column, aliases in COLUMNS.items()
]


def _too_large(request: Request, exc: HTTPException) -> Response:
    # Raised while the CSRF check reads the form, before the guards ran.
    user = request.scope.get("user")
    if user is None or user.role not in {role.value for role in IMPORTERS}:
        return error_answer(request, exc)
    message = gettext("The file is larger than %(mb)s MB. Split it into smaller files.", mb=MAX_FILE_MB)
    return _upload_page(request, message, status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def _upload_page(request: Request, error: str = "", *, status_code: int = 200) -> Template:
    return render(request, "roster/page.html", {
        "columns": COLUMN_HELP, "errors": {"roster": error} if error else {},
    }, status_code=status_code)


class RosterController(Controller):
    path = "/roster"
    guards = [allow(*IMPORTERS)]

    @get(name="roster")
    async def page(self, request: Request) -> Template:
        return _upload_page(request)

    @get("/template.xlsx", name="roster_template")
    async def template(self, language: FromQuery[str] = "zh_CN") -> Response[bytes]:
        language = "en" if language == "en" else "zh_CN"
        return Response(
            template_workbook(language), media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="roster-{language}.xlsx"'},
        )

    @post("/preview", name="roster_preview", request_max_body_size=MAX_BODY,
          exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large})
    async def preview(self, request: Request) -> Template:
        upload = (await request.form()).get("roster")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _upload_page(request, gettext("Choose the roster file first."), status_code=422)
        content = await upload.read()
        if len(content) > MAX_FILE:
            raise HTTPException(status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            rows = read_roster(content, upload.filename)
        except RosterUnreadable as unreadable:
            return _upload_page(request, gettext(unreadable.message, **unreadable.params), status_code=422)
        plan = await services.plan_import(request.user, rows, today=date.today())
        token = services.keep_upload(request.user, content, upload.filename, rows)
        services.keep_preview(request.user, token, plan)
        return self._preview(request, token, page=1)

    @get("/preview/{token:str}", name="roster_problems")
    async def problems(self, request: Request, token: FromPath[str], page: FromQuery[int] = 1) -> Template:
        return self._preview(request, token, page=page)

    @post("/import", name="roster_import")
    async def run_import(self, request: Request) -> Template | Redirect:
        token = (await form_fields(request)).get("token", "")
        try:
            plan = await services.import_roster(
                request.user, services.stored_rows(request.user, token), today=date.today(),
                device=device_of(request), upload=token,
            )
        except services.RosterNotClean as changed:
            services.keep_preview(request.user, token, changed.plan)
            return self._preview(request, token, page=1, notice=gettext(changed.message), status_code=422)
        services.discard_upload(request.user, token)
        flash(request, gettext(
            "Roster imported: %(added)s added, %(updated)s updated, %(unchanged)s unchanged.",
            **{key: plan.summary()[key] for key in ("added", "updated", "unchanged")},
        ), "success")
        return see_other(request.app.route_reverse("worker_list"))

    @staticmethod
    def _preview(
        request: Request, token: str, *, page: int, notice: str = "", status_code: int = 200
    ) -> Template:
        preview = services.stored_preview(request.user, token)
        problems = preview["problems"]
        pages = max(1, -(-len(problems) // ROWS_PER_PAGE))
        page = min(max(page, 1), pages)
        return render(request, "roster/preview.html", {
            "summary": preview["summary"], "token": token, "notice": notice,
            "problems": problems[(page - 1) * ROWS_PER_PAGE:page * ROWS_PER_PAGE],
            "page": page, "pages": pages, "column_labels": COLUMN_LABELS,
        }, status_code=status_code, headers={"Cache-Control": "no-store"})
