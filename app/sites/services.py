"""Which sites a person may see, and what a site holds.

Admins and executives see every site; managers, supervisors and foremen the sites
they are members of. Anything else answers "not found", never "forbidden", so a
site's existence is not revealed. Managers of a site and admins may change it;
executives see every site and change none ("forbidden").
"""

from __future__ import annotations

from app.accounts.tables import Role, User
from app.errors import Forbidden, NotFound
from app.sites.tables import Area, Site, SiteMembership

SEES_ALL_SITES = {Role.admin.value, Role.executive.value}


def member_site_ids(user: User):
    """A subquery of the ids of the sites `user` is a member of; other features filter by it."""
    return SiteMembership.select(SiteMembership.site).where(SiteMembership.member == user.id)


def _visible(user: User):
    if user.role in SEES_ALL_SITES:
        return Site.id.is_not_null()
    return Site.id.is_in(member_site_ids(user))


async def sites_for(user: User) -> list[dict]:
    return await Site.select().where(_visible(user) & (Site.is_active == True)).order_by(Site.name)  # noqa: E712


async def site_for(user: User, site_id: int) -> dict:
    site = await Site.select().where(_visible(user) & (Site.id == site_id)).first()
    if site is None:
        raise NotFound()
    return site


async def site_overview(site_id: int) -> dict:
    areas = await (
        Area.select(Area.id, Area.name)
        .where((Area.site == site_id) & (Area.is_active == True))  # noqa: E712
        .order_by(Area.position)
    )
    # Imported here: the crews module builds on this one (site access rules).
    from app.workforce.crews import crews_of

    crews = await crews_of(site_id)
    return {"areas": areas, "crews": crews, "workers": sum(crew["workers"] for crew in crews)}


MANAGES_SITES = {Role.manager.value, Role.admin.value}


def may_manage(user: User) -> bool:
    """Managers (of sites they are members of) and admins change sites; executives only look."""
    return user.role in MANAGES_SITES


async def site_to_manage(user: User, site_id: int) -> dict:
    """The site if `user` may change it: 404 when it is not theirs to see, 403 when only to see."""
    site = await site_for(user, site_id)
    if not may_manage(user):
        raise Forbidden()
    return site


async def inactive_sites_for(user: User) -> list[dict]:
    return await Site.select().where(_visible(user) & (Site.is_active == False)).order_by(Site.name)  # noqa: E712
