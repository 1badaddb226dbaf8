"""Staff accounts, managed by admins: list, create, change role, disable, enable.

An admin cannot disable or demote themselves, so a deployment never locks out its
last administrator by accident.
"""

from __future__ import annotations

from app.accounts.services import check_name, create_user
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.db import write_transaction
from app.errors import Forbidden, NotFound, invalid
from app.i18n import N_

STAFF_ROLES = [role for role in Role if role is not Role.worker]
PAGE_SIZE = 50


async def list_staff(text: str = "", page: int = 1) -> tuple[list[dict], int]:
    where = User.role != Role.worker.value
    if text.strip():
        where &= User.name.like(f"%{text.strip()}%") | User.phone.like(f"%{text.strip()}%")
    total = await User.count().where(where)
    rows = await (
        User.select(User.id, User.name, User.phone, User.role, User.is_active, User.must_change_secret)
        .where(where)
        .order_by(User.is_active, ascending=False)
        .order_by(User.name)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return rows, total


def check_staff_role(role: str) -> Role:
    if role not in {r.value for r in STAFF_ROLES}:
        raise invalid("role", N_("Choose a role from the list."))
    return Role(role)


async def create_staff(by: User, *, name: str, phone: str, role: str, password: str) -> User:
    """The password is a first one: the person chooses their own at first sign-in."""
    return await create_user(
        name=name, phone=phone, role=check_staff_role(role), secret=password,
        created_by=by, must_change_secret=True,
    )


async def staff_member(user_id: int) -> User:
    user = await User.objects().where((User.id == user_id) & (User.role != Role.worker.value)).first()
    if user is None:
        raise NotFound()
    return user


async def update_staff(by: User, user_id: int, *, name: str, role: str, device: str) -> None:
    user = await staff_member(user_id)
    name, new_role = check_name(name), check_staff_role(role)
    if user.id == by.id and new_role is not Role.admin:
        raise invalid("role", N_("You cannot take away your own administrator role."))
    async with write_transaction():
        changes = {User.name: name, User.role: new_role.value}
        if new_role.value != user.role:
            # A new role means new rights: sign in again to get them.
            changes[User.session_epoch] = User.session_epoch + 1
        await User.update(changes).where(User.id == user_id)
        await audit.record("user.update", actor=by, device=device, record_type="user",
                           record_id=user_id, detail={"role": new_role.value})


async def set_staff_active(by: User, user_id: int, *, active: bool, device: str) -> None:
    user = await staff_member(user_id)
    if user.id == by.id:
        raise Forbidden(N_("You cannot disable yourself."))
    async with write_transaction():
        await User.update(
            {User.is_active: active, User.session_epoch: User.session_epoch + 1}
        ).where(User.id == user_id)
        await audit.record("user.enable" if active else "user.disable", actor=by, device=device,
                           record_type="user", record_id=user_id)
