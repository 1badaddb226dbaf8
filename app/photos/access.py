"""Who may see and add photos.

A photo is visible to the members of its site (staff who may see the site, and the
workers of its crews), to whoever uploaded it, to anyone who may see a record it is
attached to (each feature registers its own check), and to everyone once it is
attached to a public page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.accounts.tables import Role, User
from app.errors import NotFound
from app.photos.tables import PhotoLink
from app.sites import services as sites
from app.sites.tables import Site
from app.workforce.tables import Worker

RecordCheck = Callable[[User, int], Awaitable[bool]]
_RECORD_CHECKS: dict[str, RecordCheck] = {}
# Uploaders and these roles (of the photo's site) may delete a photo.
DELETES_ANY = {Role.supervisor.value, Role.manager.value, Role.admin.value}


def register_record_check(record_type: str, check: RecordCheck) -> None:
    """A feature that attaches photos says who may see its records."""
    _RECORD_CHECKS[record_type] = check


async def _worker_site(user: User) -> int | None:
    row = await Worker.select(Worker.crew.site.as_alias("site")).where(
        (Worker.account == user.id) & (Worker.is_active == True)  # noqa: E712
    ).first()
    return row["site"] if row else None


async def site_of_member(user: User, site_id: int) -> dict:
    """The site, when `user` is one of its members (404 otherwise): who may add and browse photos."""
    if user.role != Role.worker.value:
        return await sites.site_for(user, site_id)
    if await _worker_site(user) != site_id:
        raise NotFound()
    site = await Site.select().where(Site.id == site_id).first()
    if site is None:
        raise NotFound()
    return site


async def photo_sites(user: User) -> list[dict]:
    """The sites whose photos `user` takes and browses."""
    if user.role != Role.worker.value:
        return await sites.sites_for(user)
    site_id = await _worker_site(user)
    return [] if site_id is None else await Site.select(Site.id, Site.name).where(Site.id == site_id)


async def may_see_site(user: User, site_id: int) -> bool:
    try:
        await site_of_member(user, site_id)
    except NotFound:
        return False
    return True


async def may_view(user: User | None, photo: dict) -> bool:
    links = await PhotoLink.select(PhotoLink.record_type, PhotoLink.record_id, PhotoLink.public).where(
        PhotoLink.photo == photo["id"]
    )
    if any(link["public"] for link in links):
        return True
    if user is None:
        return False
    if photo["uploaded_by"] == user.id or await may_see_site(user, photo["site"]):
        return True
    for link in links:
        check = _RECORD_CHECKS.get(link["record_type"])
        if check and await check(user, link["record_id"]):
            return True
    return False


async def may_delete(user: User, photo: dict) -> bool:
    if photo["uploaded_by"] == user.id:
        return True
    return user.role in DELETES_ANY and await may_see_site(user, photo["site"])
