"""Site members: managers of the site and admins add and remove them."""

from __future__ import annotations

import pytest

from app.audit.tables import AuditEntry
from app.sites.tables import SiteMembership
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
FRAGMENT = {**EN, "HX-Request": "true", "HX-Target": "members"}


@pytest.fixture
async def setting(db):
    manager = await factories.user("manager", name="马经理")
    foreman = await factories.user("foreman", name="李班长")
    site = await factories.site("一号工地", members=(manager, foreman))
    return {
        "manager": manager, "foreman": foreman, "site": site, "other": await factories.site("别处"),
        "supervisor": await factories.user("supervisor", name="钱安全"),
        "worker": await factories.user("worker", name="张工人"),
    }


async def post(client, path, data=None, headers=EN):
    token = await fetch_csrf(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, headers=headers)


async def member_ids(site_id: int) -> set[int]:
    rows = await SiteMembership.select(SiteMembership.member).where(SiteMembership.site == site_id)
    return {row["member"] for row in rows}


async def test_the_page_lists_members_and_offers_only_staff_not_yet_members(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}/members", headers=EN)
    assert page.status_code == 200
    assert "马经理" in page.text and "李班长" in page.text
    assert f'<option value="{setting["supervisor"].id}">' in page.text
    assert "张工人" not in page.text  # workers are not members
    assert f'<option value="{setting["foreman"].id}">' not in page.text


async def test_adding_a_member(client, sign_in_as, setting):
    site, supervisor = setting["site"], setting["supervisor"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/members", {"member": str(supervisor.id)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/sites/{site.id}/members"
    assert supervisor.id in await member_ids(site.id)
    assert await AuditEntry.exists().where(AuditEntry.action == "site.member_add")


async def test_adding_with_htmx_answers_the_members_fragment(client, sign_in_as, setting):
    site, supervisor = setting["site"], setting["supervisor"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/members", {"member": str(supervisor.id)}, FRAGMENT)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="members">') and "<html" not in answer.text
    assert "钱安全" in answer.text


@pytest.mark.parametrize("choice", ["", "abc", "worker", "member", "999999"])
async def test_a_bad_choice_is_refused_beside_the_select(client, sign_in_as, setting, choice):
    site = setting["site"]
    value = {"worker": str(setting["worker"].id), "member": str(setting["foreman"].id)}.get(choice, choice)
    before = await member_ids(site.id)
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/members", {"member": value})
    assert answer.status_code == 422 and "<html" in answer.text
    assert 'id="member-error">Choose a person from the list.' in answer.text
    fragment = await post(client, f"/sites/{site.id}/members", {"member": value}, FRAGMENT)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert "Choose a person from the list." in fragment.text
    assert await member_ids(site.id) == before


async def test_removing_a_member(client, sign_in_as, setting):
    site, foreman = setting["site"], setting["foreman"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/members/{foreman.id}/remove")
    assert answer.status_code == 303
    assert foreman.id not in await member_ids(site.id)
    fragment = await post(client, f"/sites/{site.id}/members/{foreman.id}/remove", headers=FRAGMENT)
    assert fragment.status_code == 404  # no longer a member


async def test_a_foreman_leading_a_crew_stays_until_the_crew_has_another(client, sign_in_as, setting):
    site, foreman = setting["site"], setting["foreman"]
    await factories.crew(site, "钢筋一班", foreman=foreman)
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/members/{foreman.id}/remove", headers=FRAGMENT)
    assert answer.status_code == 422
    assert "leads the crew 钢筋一班" in answer.text
    assert foreman.id in await member_ids(site.id)


async def test_a_manager_cannot_remove_themselves(client, sign_in_as, setting):
    site, manager = setting["site"], setting["manager"]
    await sign_in_as(manager)
    answer = await post(client, f"/sites/{site.id}/members/{manager.id}/remove")
    assert answer.status_code == 422 and "cannot remove yourself" in answer.text
    assert manager.id in await member_ids(site.id)


async def test_access(client, sign_in_as, setting):
    site, other = setting["site"], setting["other"]
    await sign_in_as(setting["manager"])
    assert (await client.get(f"/sites/{other.id}/members")).status_code == 404
    answer = await post(client, f"/sites/{other.id}/members", {"member": str(setting["supervisor"].id)})
    assert answer.status_code == 404 and not await member_ids(other.id)
    await sign_in_as(setting["foreman"])
    assert (await client.get(f"/sites/{site.id}/members")).status_code == 403
    answer = await post(client, f"/sites/{site.id}/members", {"member": str(setting["supervisor"].id)})
    assert answer.status_code == 403
    await sign_in_as(await factories.user("executive"))
    page = await client.get(f"/sites/{site.id}/members", headers=EN)
    assert page.status_code == 200 and "Add a member" not in page.text
    assert (await post(client, f"/sites/{site.id}/members/{setting['foreman'].id}/remove")).status_code == 403
    assert setting["supervisor"].id not in await member_ids(site.id)
    await sign_in_as(await factories.user("admin"))
    answer = await post(client, f"/sites/{other.id}/members", {"member": str(setting["supervisor"].id)})
    assert answer.status_code == 303 and setting["supervisor"].id in await member_ids(other.id)
