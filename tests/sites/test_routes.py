"""Site pages: by role and by membership; other sites answer 404."""

from __future__ import annotations

from tests import factories

EN = {"accept-language": "en"}


async def test_a_worker_opening_a_staff_page_gets_403_in_their_language(client, sign_in_as):
    await sign_in_as(await factories.user("worker"))
    answer = await client.get("/sites", headers={"accept-language": "zh-CN"})
    assert answer.status_code == 403
    assert "无权操作" in answer.text and "Traceback" not in answer.text


async def test_members_see_their_site_with_areas_and_crews(client, sign_in_as):
    supervisor = await factories.user("supervisor")
    site = await factories.site("浦东一期", members=(supervisor,), areas=("1# 楼", "2# 楼"))
    crew = await factories.crew(site, "木工一班", "木工")
    for _ in range(3):
        await factories.worker(crew)
    await sign_in_as(supervisor)
    listing = await client.get("/sites", headers=EN)
    assert "浦东一期" in listing.text
    page = await client.get(f"/sites/{site.id}", headers=EN)
    assert page.status_code == 200
    assert "1# 楼" in page.text and "木工一班" in page.text and "3 workers" in page.text


async def test_another_sites_record_answers_404(client, sign_in_as):
    supervisor = await factories.user("supervisor")
    await factories.site("mine", members=(supervisor,))
    other = await factories.site("not mine")
    await sign_in_as(supervisor)
    answer = await client.get(f"/sites/{other.id}", headers=EN)
    assert answer.status_code == 404
    assert "not mine" not in answer.text
    assert "not mine" not in (await client.get("/sites", headers=EN)).text
    assert (await client.get("/sites/999999")).status_code == 404


async def test_executives_see_every_site(client, sign_in_as):
    first, second = await factories.site("一号工地"), await factories.site("二号工地")
    await sign_in_as(await factories.user("executive"))
    listing = await client.get("/sites")
    assert "一号工地" in listing.text and "二号工地" in listing.text
    assert (await client.get(f"/sites/{second.id}")).status_code == 200
    assert first.id != second.id
