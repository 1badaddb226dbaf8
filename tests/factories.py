"""Factories for test data: the shortest way to a valid record."""

from __future__ import annotations

import itertools
from datetime import date

from app.accounts.services import create_user
from app.accounts.tables import Role, User
from app.sites.tables import Area, Site, SiteMembership
from app.workforce.tables import Crew, Worker

_phones = itertools.count(13000000001)
STAFF_PASSWORD = "correct horse"
WORKER_PIN = "2468"


def next_phone() -> str:
    return str(next(_phones))


async def user(role: str = "worker", *, name: str | None = None, phone: str | None = None,
               secret: str | None = None, must_change_secret: bool = False) -> User:
    role_ = Role(role)
    return await create_user(
        name=name or f"{role} {next(_phones) % 1000}",
        phone=phone or next_phone(),
        role=role_,
        secret=secret or (WORKER_PIN if role_ is Role.worker else STAFF_PASSWORD),
        must_change_secret=must_change_secret,
    )


async def site(name: str = "测试工地", *, members: tuple[User, ...] = (), areas: tuple[str, ...] = ()):
    created = Site(name=name, address="上海市", latitude=31.23, longitude=121.47, radius_m=300)
    await created.save()
    for member in members:
        await SiteMembership.insert(SiteMembership(site=created.id, member=member.id))
    for position, area in enumerate(areas):
        await Area.insert(Area(site=created.id, name=area, position=position))
    return created


async def crew(on_site: Site, name: str = "钢筋一班", trade: str = "钢筋工", foreman: User | None = None):
    created = Crew(site=on_site.id, name=name, trade=trade, foreman=foreman.id if foreman else None)
    await created.save()
    return created


async def worker(in_crew: Crew | None = None, **kwargs) -> Worker:
    account = await user("worker", **kwargs)
    created = Worker(account=account.id, crew=in_crew.id if in_crew else None,
                     registered_on=date(2026, 1, 5))
    await created.save()
    return created
