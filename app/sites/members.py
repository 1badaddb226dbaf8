"""Who belongs to a site: its supervisors, managers and foremen, and the workers of its crews.

Rules:
- Managers of the site and admins add and remove members.
- Only active staff who lead or run work on site can be members: foremen,
  supervisors and managers (admins and executives see every site anyway).
- A manager cannot remove themselves (they would lose the site), and a foreman
  still leading a crew of the site stays until the crew has another foreman.
- Where everyone on site takes part (photos, reports), the site's members are the staff
  who may see it and the workers of its crews; anyone else gets 404.
"""

from __future__ import annotations

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.db import write_transaction
from app.errors import NotFound, invalid
from app.i18n import N_
from app.sites import services as sites
from app.sites.services import site_to_manage
from app.sites.tables import Site, SiteMembership
from app.workforce.tables import Crew, Worker

MEMBER_ROLES = (Role.foreman.value, Role.supervisor.value, Role.manager.value)


async def members_of(site_id: int) -> list[dict]:
    return await (
        SiteMembership.select(
            SiteMembership.member.id.as_alias("id"), SiteMembership.member.name.as_alias("name"),
            SiteMembership.member.role.as_alias("role"), SiteMembership.member.phone.as_alias("phone"),
            SiteMembership.member.is_active.as_alias("is_active"),
        )
        .where(SiteMembership.site == site_id)
        .order_by(SiteMembership.member.role)
        .order_by(SiteMembership.member.name)
    )


def _candidates(site_id: int):
    members = SiteMembership.select(SiteMembership.member).where(SiteMembership.site == site_id)
    return (
        User.role.is_in(list(MEMBER_ROLES)) & (User.is_active == True)  # noqa: E712
        & User.id.not_in(members)
    )


async def candidates_for(site_id: int) -> list[dict]:
    """Staff who could join: the right role, active, not yet members."""
    return await (
        User.select(User.id, User.name, User.role, User.phone)
        .where(_candidates(site_id))
        .order_by(User.role)
        .order_by(User.name)
    )


async def add_member(by: User, site_id: int, member: str, *, device: str) -> None:
    await site_to_manage(by, site_id)
    try:
        user_id = int(member)
    except ValueError:
        raise invalid("member", N_("Choose a person from the list.")) from None
    async with write_transaction():
        if not await User.exists().where(_candidates(site_id) & (User.id == user_id)):
            raise invalid("member", N_("Choose a person from the list."))
        await SiteMembership.insert(SiteMembership(site=site_id, member=user_id))
        await audit.record("site.member_add", actor=by, device=device, record_type="user",
                           record_id=user_id, site_id=site_id)


async def remove_member(by: User, site_id: int, user_id: int, *, device: str) -> None:
    await site_to_manage(by, site_id)
    membership = (SiteMembership.site == site_id) & (SiteMembership.member == user_id)
    async with write_transaction():
        if not await SiteMembership.exists().where(membership):
            raise NotFound()
        if user_id == by.id:
            raise invalid("remove", N_("You cannot remove yourself from the project."))
        crew = await Crew.select(Crew.name).where(
            (Crew.site == site_id) & (Crew.foreman == user_id)
        ).first()
        if crew:
            raise invalid("remove", N_(
                "This person leads the crew %(crew)s here. Give the crew another foreman first."
            ), crew=crew["name"])
        await SiteMembership.delete().where(membership)
        await audit.record("site.member_remove", actor=by, device=device, record_type="user",
                           record_id=user_id, site_id=site_id)


# --- everyone on site ---------------------------------------------------------------


async def worker_site(user: User) -> int | None:
    """The site of the worker's crew (None without one)."""
    row = await Worker.select(Worker.crew.site.as_alias("site")).where(
        (Worker.account == user.id) & (Worker.is_active == True)  # noqa: E712
    ).first()
    return row["site"] if row else None


async def site_of_member(user: User, site_id: int) -> dict:
    """The site, when `user` is one of its members; 404 otherwise."""
    if user.role != Role.worker.value:
        return await sites.site_for(user, site_id)
    if await worker_site(user) != site_id:
        raise NotFound()
    site = await Site.select().where(Site.id == site_id).first()
    if site is None:
        raise NotFound()
    return site


async def sites_of_member(user: User) -> list[dict]:
    """The active sites `user` belongs to."""
    if user.role != Role.worker.value:
        return await sites.sites_for(user)
    site_id = await worker_site(user)
    if site_id is None:
        return []
    return await Site.select().where((Site.id == site_id) & (Site.is_active == True))  # noqa: E712


async def is_member(user: User, site_id: int) -> bool:
    try:
        await site_of_member(user, site_id)
    except NotFound:
        return False
    return True
