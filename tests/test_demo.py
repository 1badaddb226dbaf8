"""Demo data: what a fresh installation gets, that its sign-ins work, and loading it once."""

from __future__ import annotations

from collections import Counter

from app.accounts import services as accounts
from app.accounts.tables import Role, User
from app.audit.tables import AuditEntry
from app.db import all_tables
from app.demo import DEMO_LOGINS, SITES, load_demo_data
from app.sites.tables import Area, Site
from app.workforce.tables import Crew, Worker

STAFF_ROLES = ("admin", "executive", "manager", "supervisor", "foreman")


async def counts() -> dict[str, int]:
    return {table._meta.tablename: await table.count() for table in all_tables()}


async def test_two_sites_with_areas_and_a_location(db):
    assert await load_demo_data() is True
    sites = await Site.select().order_by(Site.id)
    assert [site["name"] for site in sites] == [spec["name"] for spec in SITES]
    for site, spec in zip(sites, SITES, strict=True):
        assert (site["latitude"], site["longitude"]) == (spec["latitude"], spec["longitude"])
        assert -90 <= site["latitude"] <= 90 and -180 <= site["longitude"] <= 180
        areas = await Area.select(Area.name).where(Area.site == site["id"]).order_by(Area.position)
        assert [area["name"] for area in areas] == spec["areas"] and areas


async def test_six_crews_of_distinct_trades_and_sixty_workers_with_accounts(db):
    await load_demo_data()
    crews = await Crew.select(Crew.id, Crew.trade, Crew.site)
    assert len(crews) == 6
    assert len({crew["trade"] for crew in crews}) == 6
    site_ids = [row["id"] for row in await Site.select(Site.id)]
    assert Counter(crew["site"] for crew in crews) == Counter(dict.fromkeys(site_ids, 3))
    workers = await Worker.select(
        Worker.account, Worker.account.role.as_alias("role"), Worker.crew
    )
    assert len(workers) == 60
    assert {worker["role"] for worker in workers} == {Role.worker.value}
    assert len({worker["account"] for worker in workers}) == 60
    assert await User.count().where(User.role == Role.worker.value) == 60
    # Ten in each crew.
    assert Counter(worker["crew"] for worker in workers) == Counter(
        {crew["id"]: 10 for crew in crews}
    )


async def test_exactly_one_person_per_staff_role(db):
    await load_demo_data()
    roles = Counter(row["role"] for row in await User.select(User.role))
    assert {role: roles[role] for role in STAFF_ROLES} == dict.fromkeys(STAFF_ROLES, 1)
    assert set(roles) == {*STAFF_ROLES, "worker"}


async def test_every_demo_login_signs_in(db):
    await load_demo_data()
    assert {role for role, _, _ in DEMO_LOGINS} == {*STAFF_ROLES, "worker"}
    for role, phone, secret in DEMO_LOGINS:
        user = await accounts.sign_in(phone, secret, "demo-device-0001")
        assert (user.role, user.phone) == (role, phone)
    assert await AuditEntry.count().where(AuditEntry.action == "sign_in") == len(DEMO_LOGINS)


async def test_loading_again_changes_nothing(db):
    assert await load_demo_data() is True
    loaded = await counts()
    assert loaded["app_user"] == 65 and loaded["worker"] == 60
    assert await AuditEntry.count().where(AuditEntry.action == "demo_data.load") == 1
    assert await load_demo_data() is False
    assert await counts() == loaded


async def test_demo_data_loads_beside_existing_workers(db):
    from tests import factories

    await factories.worker()
    assert await load_demo_data()
    assert await Worker.count() == 61
