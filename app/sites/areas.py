"""The areas of a site (buildings, floors, zones), in the order people walk them.

Rules:
- Managers of the site and admins add, rename, reorder, deactivate and reactivate.
- Names are required and unique among the site's active areas.
- A deactivated area keeps its records (photos, reports) but is no longer offered.
"""

from __future__ import annotations

from piccolo.query.functions.aggregate import Max

from app.accounts.services import MAX_NAME
from app.accounts.tables import User
from app.audit import services as audit
from app.db import write_transaction
from app.errors import NotFound, invalid
from app.i18n import N_
from app.sites.services import site_to_manage
from app.sites.tables import Area

UP, DOWN = "up", "down"


async def areas_of(site_id: int) -> list[dict]:
    """Active areas in their order first, then the deactivated ones.

    `first` and `last` mark the ends of the active order (nothing moves past them).
    """
    rows = await (
        Area.select(Area.id, Area.name, Area.position, Area.is_active)
        .where(Area.site == site_id)
        .order_by(Area.is_active, ascending=False)
        .order_by(Area.position)
        .order_by(Area.id)
    )
    active = [row for row in rows if row["is_active"]]
    for row in rows:
        row["first"] = bool(active) and row is active[0]
        row["last"] = bool(active) and row is active[-1]
    return rows


async def area_of(site_id: int, area_id: int) -> dict:
    area = await Area.select(Area.id, Area.name, Area.position, Area.is_active).where(
        (Area.site == site_id) & (Area.id == area_id)
    ).first()
    if area is None:
        raise NotFound()
    return area


async def _check_name(site_id: int, name: str, except_area: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise invalid("name", N_("Enter the name."))
    if len(name) > MAX_NAME:
        raise invalid("name", N_("At most %(count)s characters."), count=MAX_NAME)
    same = (Area.site == site_id) & (Area.name == name) & (Area.is_active == True)  # noqa: E712
    if except_area is not None:
        same &= Area.id != except_area
    if await Area.exists().where(same):
        raise invalid("name", N_("This project already has an area with this name."))
    return name


async def _next_position(site_id: int) -> int:
    last = await Area.select(Max(Area.position).as_alias("last")).where(
        (Area.site == site_id) & (Area.is_active == True)  # noqa: E712
    ).first()
    return 0 if not last or last["last"] is None else last["last"] + 1


async def add_area(by: User, site_id: int, name: str, *, device: str) -> int:
    await site_to_manage(by, site_id)
    async with write_transaction():
        name = await _check_name(site_id, name)
        area = Area(site=site_id, name=name, position=await _next_position(site_id))
        await area.save()
        await audit.record("area.create", actor=by, device=device, record_type="area",
                           record_id=area.id, site_id=site_id)
    return area.id


async def rename_area(by: User, site_id: int, area_id: int, name: str, *, device: str) -> None:
    await site_to_manage(by, site_id)
    async with write_transaction():
        await area_of(site_id, area_id)
        name = await _check_name(site_id, name, except_area=area_id)
        await Area.update({Area.name: name}).where(Area.id == area_id)
        await audit.record("area.rename", actor=by, device=device, record_type="area",
                           record_id=area_id, site_id=site_id)


async def move_area(by: User, site_id: int, area_id: int, direction: str, *, device: str) -> None:
    """Swaps the area with its neighbour among the active areas; at either end, nothing moves."""
    await site_to_manage(by, site_id)
    if direction not in (UP, DOWN):
        raise invalid("direction", N_("Move an area up or down."))
    async with write_transaction():
        area = await area_of(site_id, area_id)
        if not area["is_active"]:
            raise NotFound()
        order = [row["id"] for row in await (
            Area.select(Area.id)
            .where((Area.site == site_id) & (Area.is_active == True))  # noqa: E712
            .order_by(Area.position)
            .order_by(Area.id)
        )]
        at = order.index(area_id)
        other = at - 1 if direction == UP else at + 1
        if not 0 <= other < len(order):
            return
        order[at], order[other] = order[other], order[at]
        # Positions are renumbered, so equal positions from old data sort out too.
        current = {row["id"]: row["position"] for row in await Area.select(Area.id, Area.position).where(
            Area.id.is_in(order))}
        for position, moved in enumerate(order):
            if current[moved] != position:
                await Area.update({Area.position: position}).where(Area.id == moved)
        await audit.record("area.move", actor=by, device=device, record_type="area",
                           record_id=area_id, site_id=site_id, detail={"direction": direction})


async def set_area_active(by: User, site_id: int, area_id: int, *, active: bool, device: str) -> None:
    await site_to_manage(by, site_id)
    async with write_transaction():
        area = await area_of(site_id, area_id)
        if active:
            await _check_name(site_id, area["name"], except_area=area_id)
        changes = {Area.is_active: active}
        if active:
            # Back at the end of the list, where a new area would go.
            changes[Area.position] = await _next_position(site_id)
        await Area.update(changes).where(Area.id == area_id)
        await audit.record("area.reactivate" if active else "area.deactivate", actor=by,
                           device=device, record_type="area", record_id=area_id, site_id=site_id)
