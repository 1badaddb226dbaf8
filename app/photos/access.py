"""Who may see and add photos.

A photo is visible to the members of its site (staff who may see the site, and the
workers of its crews), to whoever uploaded it, to anyone who may see a record it is
attached to (each feature registers its own check), and to everyone once it is
attached to a public page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.accounts.tables import Role, User
from app.photos.tables import PhotoLink
from app.sites.members import is_member

RecordCheck = Callable[[User, int], Awaitable[bool]]
_RECORD_CHECKS: dict[str, RecordCheck] = {}
# Uploaders and these roles (of the photo's site) may delete a photo.
DELETES_ANY = {Role.supervisor.value, Role.manager.value, Role.admin.value}


def register_record_check(record_type: str, check: RecordCheck) -> None:
    """A feature that attaches photos says who may see its records."""
    _RECORD_CHECKS[record_type] = check


async def may_view(user: User | None, photo: dict) -> bool:
    links = await PhotoLink.select(PhotoLink.record_type, PhotoLink.record_id, PhotoLink.public).where(
        PhotoLink.photo == photo["id"]
    )
    if any(link["public"] for link in links):
        return True
    if user is None:
        return False
    if photo["uploaded_by"] == user.id or await is_member(user, photo["site"]):
        return True
    for link in links:
        check = _RECORD_CHECKS.get(link["record_type"])
        if check and await check(user, link["record_id"]):
            return True
    return False


async def may_delete(user: User, photo: dict) -> bool:
    if photo["uploaded_by"] == user.id:
        return True
    return user.role in DELETES_ANY and await is_member(user, photo["site"])
