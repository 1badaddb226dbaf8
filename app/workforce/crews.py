"""Crews of a site and the labour subcontractors they belong to.

Rules:
- A site's members see its crews; managers of the site and admins create and
  change them (a foreman may not, not even their own crew).
- A crew needs a name and a trade. Its foreman, when set, is an active foreman who
  is a member of the crew's site; its subcontractor, when set, one from the list.
- Managers and admins add and rename subcontractors; names are unique.
"""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from app.accounts.services import MAX_NAME
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.db import write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed, invalid
from app.i18n import N_
from app.sites.services import MANAGES_SITES, site_to_manage
from app.sites.tables import SiteMembership
from app.workforce.tables import Crew, Subcontractor, Worker

MAX_TRADE = 50


@dataclass(frozen=True)
class CrewInput:
    name: str
    trade: str
    foreman: int | None
    subcontractor: int | None


async def crews_of(site_id: int) -> list[dict]:
    crews = await (
        Crew.select(
            Crew.id, Crew.name, Crew.trade, Crew.foreman, Crew.subcontractor,
            Crew.foreman.name.as_alias("foreman_name"),
            Crew.subcontractor.name.as_alias("subcontractor_name"),
        )
        .where(Crew.site == site_id)
        .order_by(Crew.name)
    )
    counts = await (
        Worker.select(Worker.crew, Count(Worker.id).as_alias("workers"))
        .where((Worker.crew.site == site_id) & (Worker.is_active == True))  # noqa: E712
        .group_by(Worker.crew)
    )
    per_crew = {row["crew"]: row["workers"] for row in counts}
    for crew in crews:
        crew["workers"] = per_crew.get(crew["id"], 0)
    return crews


async def crew_of(site_id: int, crew_id: int) -> dict:
    crew = await Crew.select(Crew.id, Crew.name, Crew.trade, Crew.foreman, Crew.subcontractor).where(
        (Crew.site == site_id) & (Crew.id == crew_id)
    ).first()
    if crew is None:
        raise NotFound()
    return crew


def _site_foremen(site_id: int):
    members = SiteMembership.select(SiteMembership.member).where(SiteMembership.site == site_id)
    return (User.role == Role.foreman.value) & (User.is_active == True) & User.id.is_in(members)  # noqa: E712


async def foremen_of(site_id: int) -> list[dict]:
    return await User.select(User.id, User.name, User.phone).where(_site_foremen(site_id)).order_by(User.name)


def _choice(form: dict, field: str, errors: dict, message: str) -> int | None:
    text = form.get(field, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[field] = (message, {})
        return None


async def parse_crew(site_id: int, form: dict[str, str], *, crew_id: int | None = None) -> CrewInput:
    """A crew's fields from its form, checked against the site; every problem at once."""
    errors: dict[str, tuple[str, dict]] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = (N_("Enter the name."), {})
    elif len(name) > MAX_NAME:
        errors["name"] = (N_("At most %(count)s characters."), {"count": MAX_NAME})
    else:
        same = (Crew.site == site_id) & (Crew.name == name)
        if crew_id is not None:
            same &= Crew.id != crew_id
        if await Crew.exists().where(same):
            errors["name"] = (N_("This project already has a crew with this name."), {})
    trade = form.get("trade", "").strip()
    if not trade:
        errors["trade"] = (N_("Enter the trade, like rebar or carpentry."), {})
    elif len(trade) > MAX_TRADE:
        errors["trade"] = (N_("At most %(count)s characters."), {"count": MAX_TRADE})
    pick_foreman = N_("Choose a foreman who is a member of this project.")
    foreman = _choice(form, "foreman", errors, pick_foreman)
    if foreman is not None and not await User.exists().where(_site_foremen(site_id) & (User.id == foreman)):
        errors["foreman"] = (pick_foreman, {})
    pick_subcontractor = N_("Choose a subcontractor from the list.")
    subcontractor = _choice(form, "subcontractor", errors, pick_subcontractor)
    known = Subcontractor.exists().where(Subcontractor.id == subcontractor)
    if subcontractor is not None and not await known:
        errors["subcontractor"] = (pick_subcontractor, {})
    if errors:
        raise ValidationFailed(errors)
    return CrewInput(name=name, trade=trade, foreman=foreman, subcontractor=subcontractor)


def crew_form(crew: dict | None) -> dict[str, str]:
    if crew is None:
        return {}
    return {"name": crew["name"], "trade": crew["trade"], "foreman": str(crew["foreman"] or ""),
            "subcontractor": str(crew["subcontractor"] or "")}


async def create_crew(by: User, site_id: int, form: dict[str, str], *, device: str) -> int:
    await site_to_manage(by, site_id)
    async with write_transaction():
        data = await parse_crew(site_id, form)
        crew = Crew(site=site_id, **data.__dict__)
        await crew.save()
        await audit.record("crew.create", actor=by, device=device, record_type="crew",
                           record_id=crew.id, site_id=site_id)
    return crew.id


async def update_crew(by: User, site_id: int, crew_id: int, form: dict[str, str], *, device: str) -> None:
    await site_to_manage(by, site_id)
    async with write_transaction():
        await crew_of(site_id, crew_id)
        data = await parse_crew(site_id, form, crew_id=crew_id)
        await Crew.update({
            Crew.name: data.name, Crew.trade: data.trade, Crew.foreman: data.foreman,
            Crew.subcontractor: data.subcontractor,
        }).where(Crew.id == crew_id)
        await audit.record("crew.update", actor=by, device=device, record_type="crew",
                           record_id=crew_id, site_id=site_id)


# --- Subcontractors -----------------------------------------------------------

async def subcontractors() -> list[dict]:
    """Every subcontractor with how many crews it has: the list is company-wide."""
    rows = await Subcontractor.select(Subcontractor.id, Subcontractor.name).order_by(Subcontractor.name)
    counts = await (
        Crew.select(Crew.subcontractor, Count(Crew.id).as_alias("crews"))
        .where(Crew.subcontractor.is_not_null())
        .group_by(Crew.subcontractor)
    )
    per = {row["subcontractor"]: row["crews"] for row in counts}
    for row in rows:
        row["crews"] = per.get(row["id"], 0)
    return rows


async def subcontractor_of(subcontractor_id: int) -> dict:
    row = await Subcontractor.select(Subcontractor.id, Subcontractor.name).where(
        Subcontractor.id == subcontractor_id
    ).first()
    if row is None:
        raise NotFound()
    return row


async def _check_subcontractor_name(name: str, except_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise invalid("name", N_("Enter the name."))
    if len(name) > MAX_NAME:
        raise invalid("name", N_("At most %(count)s characters."), count=MAX_NAME)
    same = Subcontractor.name == name
    if except_id is not None:
        same &= Subcontractor.id != except_id
    if await Subcontractor.exists().where(same):
        raise invalid("name", N_("A subcontractor with this name is already on the list."))
    return name


def _check_may_edit(by: User) -> None:
    if by.role not in MANAGES_SITES:
        raise Forbidden()


async def add_subcontractor(by: User, name: str, *, device: str) -> int:
    _check_may_edit(by)
    async with write_transaction():
        row = Subcontractor(name=await _check_subcontractor_name(name))
        await row.save()
        await audit.record("subcontractor.create", actor=by, device=device,
                           record_type="subcontractor", record_id=row.id)
    return row.id


async def rename_subcontractor(by: User, subcontractor_id: int, name: str, *, device: str) -> None:
    _check_may_edit(by)
    async with write_transaction():
        await subcontractor_of(subcontractor_id)
        name = await _check_subcontractor_name(name, except_id=subcontractor_id)
        await Subcontractor.update({Subcontractor.name: name}).where(Subcontractor.id == subcontractor_id)
        await audit.record("subcontractor.rename", actor=by, device=device,
                           record_type="subcontractor", record_id=subcontractor_id)
