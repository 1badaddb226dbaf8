"""The worker's own attendance: today's state with the button, the month, a day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from app.accounts.tables import Role
from app.checkin import attendance, services
from app.checkin.posters import token_of
from app.checkin.tables import Poster
from app.errors import NotFound, ValidationFailed
from app.i18n import DEFAULT_TIMEZONE
from app.web.access import allow, worker_device_of
from app.web.rendering import field_errors, render
from app.workforce.tables import Worker


async def _worker_id(request: Request) -> int:
    worker = await Worker.select(Worker.id).where(Worker.account == request.user.id).first()
    if worker is None:
        raise NotFound()
    return worker["id"]


async def _last_poster_token(request: Request) -> tuple[str, str] | None:
    """Where this phone last checked in, so checking out needs no scan."""
    phone = worker_device_of(request)
    if not phone or not phone["last_poster"]:
        return None
    poster = await Poster.select(Poster.code, Poster.site.name.as_alias("site_name")).where(
        (Poster.id == phone["last_poster"]) & Poster.revoked_at.is_null()
    ).first()
    return (token_of(poster["code"]), poster["site_name"]) if poster else None


class AttendanceController(Controller):
    path = "/me/attendance"
    guards = [allow(Role.worker)]

    @get(name="my_attendance")
    async def month(self, request: Request, month: FromQuery[str] = "") -> Template:
        worker_id = await _worker_id(request)
        # Building sites count days on the local clock, not UTC.
        today = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()
        errors = {}
        try:
            first = attendance.parse_month(month, today)
        except ValidationFailed as problem:
            errors, first = field_errors(problem), today.replace(day=1)
        context = {
            "errors": errors, "today": today, "poster": await _last_poster_token(request),
            "previous": attendance.shift_month(first, -1), "next": attendance.shift_month(first, 1),
            **await attendance.worker_month(worker_id, first),
            **await services.state_of(worker_id),
        }
        return render(request, "checkin/attendance.html", context, status_code=422 if errors else 200)

    @get("/{day:str}", name="my_attendance_day")
    async def day(self, request: Request, day: FromPath[str]) -> Template:
        worker_id = await _worker_id(request)
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            raise NotFound() from None
        return render(request, "checkin/day.html", await attendance.worker_day(worker_id, chosen))
