"""Remembered phones: foremen approve new ones in person, supervisors unlink lost ones."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.checkin import devices
from app.checkin.tables import DeviceStatus
from app.web.access import STAFF, allow, device_of
from app.web.forms import form_fields, local_path, see_other
from app.web.rendering import render


class PhoneController(Controller):
    path = "/phones"
    guards = [allow(*STAFF)]

    @get(name="phone_approvals")
    async def approvals(self, request: Request) -> Template:
        return render(request, "checkin/approvals.html", {"phones": await devices.waiting_for(request.user)})

    @post("/{phone_id:int}/approve", name="phone_approve")
    async def approve(self, request: Request, phone_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, phone_id, DeviceStatus.active)

    @post("/{phone_id:int}/revoke", name="phone_revoke")
    async def revoke(self, request: Request, phone_id: FromPath[int]) -> Template | Redirect:
        return await self._decide(request, phone_id, DeviceStatus.revoked)

    async def _decide(self, request: Request, phone_id: int, status: DeviceStatus) -> Template | Redirect:
        form = await form_fields(request)
        phone = await devices.decide(request.user, phone_id, status, fingerprint=device_of(request))
        if request.headers.get("hx-request"):
            return render(request, "checkin/_phone.html", {"phone": phone})
        return see_other(local_path(form.get("next"), request.app.route_reverse("phone_approvals")))
