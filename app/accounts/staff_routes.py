"""Admins manage staff accounts and their roles."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts import staff
from app.accounts.tables import Role
from app.errors import ValidationFailed
from app.web.access import allow, device_of
from app.web.forms import form_fields, see_other
from app.web.rendering import form_error, render


class StaffController(Controller):
    path = "/users"
    guards = [allow(Role.admin)]

    @get(name="staff_list")
    async def staff_list(
        self, request: Request, q: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        rows, total = await staff.list_staff(q, page)
        return render(request, "accounts/staff_list.html", {
            "people": rows, "total": total, "q": q, "roles": staff.STAFF_ROLES,
            "form": {"role": "foreman"}, "errors": {},
        })

    @post(name="staff_create")
    async def staff_create(self, request: Request) -> Template | Redirect:
        form = await form_fields(request)
        try:
            user = await staff.create_staff(
                request.user, name=form.get("name", ""), phone=form.get("phone", ""),
                role=form.get("role", ""), password=form.get("password", ""),
            )
        except ValidationFailed as problem:
            rows, total = await staff.list_staff()
            return form_error(request, "accounts/staff_list.html", problem, {
                "people": rows, "total": total, "q": "", "roles": staff.STAFF_ROLES, "form": form,
            })
        return see_other(request.app.route_reverse("staff_detail", user_id=user.id))

    @get("/{user_id:int}", name="staff_detail")
    async def staff_detail(self, request: Request, user_id: FromPath[int]) -> Template:
        person = await staff.staff_member(user_id)
        return render(request, "accounts/staff_detail.html", {
            "person": person, "roles": staff.STAFF_ROLES,
            "form": {"name": person.name, "role": person.role}, "errors": {},
        })

    @post("/{user_id:int}", name="staff_update")
    async def staff_update(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        person = await staff.staff_member(user_id)
        form = await form_fields(request)
        try:
            await staff.update_staff(request.user, user_id, name=form.get("name", ""),
                                     role=form.get("role", ""), device=device_of(request))
        except ValidationFailed as problem:
            return form_error(request, "accounts/staff_detail.html", problem,
                              {"person": person, "roles": staff.STAFF_ROLES, "form": form})
        return see_other(request.app.route_reverse("staff_detail", user_id=user_id))

    @post("/{user_id:int}/active", name="staff_active")
    async def staff_active(self, request: Request, user_id: FromPath[int]) -> Redirect:
        form = await form_fields(request)
        await staff.set_staff_active(request.user, user_id, active=form.get("active") == "1",
                                     device=device_of(request))
        return see_other(request.app.route_reverse("staff_detail", user_id=user_id))
