"""Areas of a site: add, rename, reorder, deactivate; rows swap alone under htmx."""

from __future__ import annotations

import pytest

from app.audit.tables import AuditEntry
from app.sites.tables import Area
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}


def fragment(target: str) -> dict[str, str]:
    return {**EN, "HX-Request": "true", "HX-Target": target}


@pytest.fixture
async def setting(db):
    manager = await factories.user("manager")
    site = await factories.site("一号工地", members=(manager,), areas=("1# 楼", "2# 楼", "3# 楼"))
    other = await factories.site("别处", areas=("外地楼",))
    rows = await Area.select(Area.id, Area.name).order_by(Area.id)
    ids = {row["name"]: row["id"] for row in rows}
    return {"manager": manager, "site": site, "other": other, "ids": ids}


async def post(client, path, data=None, headers=EN):
    token = await fetch_csrf(client)
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, headers=headers)


async def order(site_id: int) -> list[str]:
    rows = await Area.select(Area.name).where((Area.site == site_id) & (Area.is_active == True)).order_by(  # noqa: E712
        Area.position).order_by(Area.id)
    return [row["name"] for row in rows]


async def test_the_page_lists_areas_in_order_with_plain_forms(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}/areas", headers=EN)
    assert page.status_code == 200
    assert page.text.index("1# 楼") < page.text.index("2# 楼") < page.text.index("3# 楼")
    first = setting["ids"]["1# 楼"]
    assert f'action="/sites/{site.id}/areas/{first}/name"' in page.text
    assert f'hx-target="#area-{first}"' in page.text


async def test_adding_an_area(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas", {"name": "地下室"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/sites/{site.id}/areas"
    assert await order(site.id) == ["1# 楼", "2# 楼", "3# 楼", "地下室"]
    answer = await post(client, f"/sites/{site.id}/areas", {"name": "塔吊区"}, fragment("areas"))
    assert answer.status_code == 200 and answer.text.lstrip().startswith('<section id="areas">')
    assert "塔吊区" in answer.text and "<html" not in answer.text
    assert await AuditEntry.count().where(AuditEntry.action == "area.create") == 2


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter the name."), ("2# 楼", "This project already has an area with this name."),
    ("x" * 101, "At most 100 characters."),
])
async def test_a_bad_new_area_is_refused(client, sign_in_as, setting, name, message):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas", {"name": name})
    assert answer.status_code == 422 and "<html" in answer.text
    assert f'id="name-error">{message}' in answer.text
    htmx = await post(client, f"/sites/{site.id}/areas", {"name": name}, fragment("areas"))
    assert htmx.status_code == 422 and "<html" not in htmx.text and message in htmx.text
    assert await order(site.id) == ["1# 楼", "2# 楼", "3# 楼"]


async def test_renaming_swaps_only_that_row(client, sign_in_as, setting):
    site, area = setting["site"], setting["ids"]["2# 楼"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas/{area}/name", {"name": "2# 楼 <b>东</b>"},
                        fragment(f"area-{area}"))
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<li id="area-{area}"')
    assert "1# 楼" not in answer.text and "<html" not in answer.text
    assert "2# 楼 &lt;b&gt;东&lt;/b&gt;" in answer.text
    plain = await post(client, f"/sites/{site.id}/areas/{area}/name", {"name": "二号楼"})
    assert plain.status_code == 303
    assert await order(site.id) == ["1# 楼", "二号楼", "3# 楼"]


@pytest.mark.parametrize(("name", "message"), [
    ("  ", "Enter the name."), ("3# 楼", "This project already has an area with this name."),
])
async def test_a_bad_rename_shows_the_message_in_the_row(client, sign_in_as, setting, name, message):
    site, area = setting["site"], setting["ids"]["2# 楼"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas/{area}/name", {"name": name},
                        fragment(f"area-{area}"))
    assert answer.status_code == 422
    assert answer.text.lstrip().startswith(f'<li id="area-{area}"')
    assert f'id="area-error-{area}">{message}' in answer.text
    page = await post(client, f"/sites/{site.id}/areas/{area}/name", {"name": name})
    assert page.status_code == 422 and "<html" in page.text
    assert page.text.count(message) == 1 and f'id="area-error-{area}"' in page.text
    assert await order(site.id) == ["1# 楼", "2# 楼", "3# 楼"]


async def test_moving_up_and_down(client, sign_in_as, setting):
    site, ids = setting["site"], setting["ids"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas/{ids['3# 楼']}/move", {"direction": "up"})
    assert answer.status_code == 303
    assert await order(site.id) == ["1# 楼", "3# 楼", "2# 楼"]
    # Under htmx the list answers, since two rows change places.
    answer = await post(client, f"/sites/{site.id}/areas/{ids['1# 楼']}/move", {"direction": "down"},
                        fragment("area-list"))
    assert answer.status_code == 200 and answer.text.lstrip().startswith('<ul id="area-list"')
    assert answer.text.index("3# 楼") < answer.text.index("1# 楼")
    assert await order(site.id) == ["3# 楼", "1# 楼", "2# 楼"]
    # At the ends nothing moves.
    await post(client, f"/sites/{site.id}/areas/{ids['3# 楼']}/move", {"direction": "up"})
    await post(client, f"/sites/{site.id}/areas/{ids['2# 楼']}/move", {"direction": "down"})
    assert await order(site.id) == ["3# 楼", "1# 楼", "2# 楼"]
    bad = await post(client, f"/sites/{site.id}/areas/{ids['2# 楼']}/move", {"direction": "sideways"})
    assert bad.status_code == 422 and "Move an area up or down." in bad.text
    assert await order(site.id) == ["3# 楼", "1# 楼", "2# 楼"]


async def test_deactivating_and_reactivating_swaps_the_row(client, sign_in_as, setting):
    site, area = setting["site"], setting["ids"]["1# 楼"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/areas/{area}/active", {"active": "0"},
                        fragment(f"area-{area}"))
    assert answer.status_code == 200 and answer.text.lstrip().startswith(f'<li id="area-{area}"')
    assert "Reactivate" in answer.text
    assert await order(site.id) == ["2# 楼", "3# 楼"]
    detail = await client.get(f"/sites/{site.id}", headers=EN)
    assert "1# 楼" not in detail.text
    # A new area may take the name while the old one rests; then it cannot come back as is.
    await post(client, f"/sites/{site.id}/areas", {"name": "1# 楼"})
    clash = await post(client, f"/sites/{site.id}/areas/{area}/active", {"active": "1"},
                       fragment(f"area-{area}"))
    assert clash.status_code == 422 and "already has an area with this name" in clash.text
    await Area.delete().where((Area.name == "1# 楼") & (Area.id != area))
    answer = await post(client, f"/sites/{site.id}/areas/{area}/active", {"active": "1"})
    assert answer.status_code == 303
    assert await order(site.id) == ["2# 楼", "3# 楼", "1# 楼"]


async def test_access(client, sign_in_as, setting):
    site, other = setting["site"], setting["other"]
    foreign = setting["ids"]["外地楼"]
    await sign_in_as(setting["manager"])
    assert (await client.get(f"/sites/{other.id}/areas")).status_code == 404
    assert (await post(client, f"/sites/{other.id}/areas/{foreign}/name", {"name": "x"})).status_code == 404
    # Another site's area through my own site's address is not found either.
    assert (await post(client, f"/sites/{site.id}/areas/{foreign}/name", {"name": "x"})).status_code == 404
    answer = await post(client, f"/sites/{site.id}/areas/{foreign}/active", {"active": "0"})
    assert answer.status_code == 404
    assert await order(other.id) == ["外地楼"]
    supervisor = await factories.user("supervisor")
    await factories.site("二号工地", members=(supervisor,))
    await sign_in_as(supervisor)
    assert (await client.get(f"/sites/{site.id}/areas")).status_code == 403
    assert (await post(client, f"/sites/{site.id}/areas", {"name": "x"})).status_code == 403
    await sign_in_as(await factories.user("executive"))
    page = await client.get(f"/sites/{site.id}/areas", headers=EN)
    assert page.status_code == 200 and "Add an area" not in page.text and "Rename" not in page.text
    assert (await post(client, f"/sites/{site.id}/areas", {"name": "x"})).status_code == 403
    assert await order(site.id) == ["1# 楼", "2# 楼", "3# 楼"]
