"""The audit browser: who did what to which record, by person, record, site and date."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from app.audit import services
from app.errors import ValidationFailed
from app.sites.services import sites_for
from app.web.access import MANAGERS, allow
from app.web.rendering import form_error, render

TEMPLATE = "audit/list.html"


class AuditController(Controller):
    path = "/audit"
    guards = [allow(*MANAGERS)]

    @get(name="audit_log")
    async def audit_log(
        self, request: Request, person: FromQuery[str] = "", record_type: FromQuery[str] = "",
        record_id: FromQuery[str] = "", site: FromQuery[str] = "", date_from: FromQuery[str] = "",
        date_to: FromQuery[str] = "", before: FromQuery[int | None] = None,
    ) -> Template:
        # Filters arrive as text so a bad one is answered beside its field, not with a 400.
        form = {"person": person, "record_type": record_type, "record_id": record_id,
                "site": site, "date_from": date_from, "date_to": date_to}
        context = {
            "form": form, "query": {key: value for key, value in form.items() if value},
            "sites": await sites_for(request.user), "entries": [], "next_before": None,
            "person_name": None, "action_labels": services.ACTION_LABELS,
            "record_labels": services.RECORD_LABELS,
        }
        try:
            filters = services.parse_filters(form)
        except ValidationFailed as problem:
            return form_error(request, TEMPLATE, problem, context)
        # One more than a page tells whether there is a next one.
        entries = await services.entries_for(
            request.user, filters, before=before, limit=services.PAGE_SIZE + 1
        )
        if len(entries) > services.PAGE_SIZE:
            entries = entries[: services.PAGE_SIZE]
            context["next_before"] = entries[-1]["id"]
        if filters.person is not None:
            context["person_name"] = await services.person_name(request.user, filters.person)
        return render(request, TEMPLATE, {**context, "entries": entries, "errors": {}})
