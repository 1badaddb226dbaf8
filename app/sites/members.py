"""Who belongs to a site: its staff (who may see it) and the workers of its crews.

Features where everyone on site takes part (photos, reports) let members in and
answer 404 to everyone else.
"""

from __future__ import annotations

from app.accounts.tables import Role, User
from app.errors import NotFound
from app.sites import services as sites
from app.sites.tables import Site
from app.workforce.tables import Worker


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
