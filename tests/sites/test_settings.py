"""Site settings: create (admins), edit, deactivate and reactivate; every bad input refused."""

from __future__ import annotations

import pytest

from app.audit.tables import AuditEntry
from app.sites import coordinates
from app.sites.tables import Site, SiteMembership
from tests import factories
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
FRAGMENT = {**EN, "HX-Request": "true", "HX-Target": "site-form"}


def site_form(**overrides) -> dict[str, str]:
    return {"name": "浦东二期", "address": "上海市浦东新区", "timezone": "Asia/Shanghai",
            "latitude": "31.2304", "longitude": "121.4737", "datum": "wgs84", "radius_m": "300",
            "location_required": "1", "standard_day_hours": "8", "longest_shift_hours": "16",
            "kiosk_code_seconds": "30", **overrides}


@pytest.fixture
async def setting(db):
    manager = await factories.user("manager")
    site = await factories.site("一号工地", members=(manager,))
    other = await factories.site("别人的工地")
    return {"manager": manager, "site": site, "other": other,
            "admin": await factories.user("admin"), "executive": await factories.user("executive")}


async def post(client, path, data, headers=EN):
    token = await fetch_csrf(client)
    return await client.post(path, data={**data, "_csrf_token": token}, headers=headers)


async def stored(site_id: int) -> dict:
    return await Site.select().where(Site.id == site_id).first()


async def test_an_admin_creates_a_site_with_the_defaults_offered(client, sign_in_as, setting):
    await sign_in_as(setting["admin"])
    page = await client.get("/sites/new", headers=EN)
    assert page.status_code == 200
    assert '<option value="Asia/Shanghai" selected>' in page.text
    assert "geofence.js" in page.text and "<script>" not in page.text
    answer = await post(client, "/sites", site_form())
    assert answer.status_code == 303
    site = await Site.select().where(Site.name == "浦东二期").first()
    assert answer.headers["location"] == f"/sites/{site['id']}"
    assert site["latitude"] == pytest.approx(31.2304) and site["radius_m"] == 300
    assert site["location_required"] is True and site["timezone"] == "Asia/Shanghai"
    assert await AuditEntry.exists().where(
        (AuditEntry.action == "site.create") & (AuditEntry.site == site["id"])
    )


async def test_managers_create_sites_and_become_members(client, sign_in_as, setting):
    await sign_in_as(setting["manager"])
    assert (await client.get("/sites/new")).status_code == 200
    answer = await post(client, "/sites", site_form())
    assert answer.status_code == 303
    site = await Site.objects().get(Site.name == "浦东二期")
    assert await SiteMembership.exists().where(
        (SiteMembership.site == site.id) & (SiteMembership.member == setting["manager"].id)
    )


async def test_supervisors_and_executives_do_not_create_sites(client, sign_in_as, setting):
    for role in ("supervisor", "executive"):
        await sign_in_as(await factories.user(role))
        assert (await client.get("/sites/new")).status_code == 403
        assert (await post(client, "/sites", site_form())).status_code == 403
    assert not await Site.exists().where(Site.name == "浦东二期")


async def test_a_manager_edits_their_site(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}/edit", headers=EN)
    assert page.status_code == 200 and 'value="一号工地"' in page.text
    answer = await post(client, f"/sites/{site.id}/edit", site_form(
        name="一号工地（改）", timezone="Asia/Urumqi", location_required="", radius_m="150",
        standard_day_hours="8.5", longest_shift_hours="12", kiosk_code_seconds="60"))
    assert answer.status_code == 303 and answer.headers["location"] == f"/sites/{site.id}"
    row = await stored(site.id)
    assert (row["name"], row["timezone"], row["radius_m"], row["location_required"]) == (
        "一号工地（改）", "Asia/Urumqi", 150, False)
    assert float(row["standard_day_hours"]) == 8.5 and row["kiosk_code_seconds"] == 60


async def test_map_coordinates_are_stored_as_wgs84(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    # The Oriental Pearl Tower (WGS-84 31.239703, 121.499763) as Amap and Baidu show it.
    amap = coordinates.wgs84_to_gcj02(31.239703, 121.499763)
    baidu = coordinates.gcj02_to_bd09(*amap)
    for datum, (lat, lon) in (("gcj02", amap), ("bd09", baidu)):
        answer = await post(client, f"/sites/{site.id}/edit",
                            site_form(latitude=f"{lat:.6f}", longitude=f"{lon:.6f}", datum=datum))
        assert answer.status_code == 303
        row = await stored(site.id)
        assert coordinates.distance_m(row["latitude"], row["longitude"], 31.239703, 121.499763) < 1


async def test_the_geofence_centre_may_be_left_empty(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/edit", site_form(latitude="", longitude=""))
    assert answer.status_code == 303
    assert (await stored(site.id))["latitude"] is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", "Enter the name."),
        ("radius_m", "0", "The radius is a whole number of metres from 1 to 5000."),
        ("radius_m", "100000", "The radius is a whole number of metres from 1 to 5000."),
        ("radius_m", "100 km", "The radius is a whole number of metres from 1 to 5000."),
        ("latitude", "200", "A latitude is a number from -90 to 90"),
        ("latitude", "nan", "A latitude is a number from -90 to 90"),
        ("longitude", "-181", "A longitude is a number from -180 to 180"),
        ("longitude", "", "A longitude is a number from -180 to 180"),
        ("timezone", "Mars/Olympus", "Choose a time zone from the list."),
        ("datum", "utm", "Choose where the coordinates come from."),
        ("standard_day_hours", "25", "A working day is 1 to 24 hours."),
        ("longest_shift_hours", "6", "The longest shift cannot be shorter than a working day."),
        ("kiosk_code_seconds", "5", "A kiosk code is valid for 10 to 600 seconds."),
    ],
)
async def test_bad_input_is_named_beside_its_field_and_nothing_changes(
    client, sign_in_as, setting, field, value, message
):
    site = setting["site"]
    before = await stored(site.id)
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/edit", site_form(**{field: value}))
    assert answer.status_code == 422
    assert f'id="{field}-error">{message}' in answer.text
    assert "<html" in answer.text
    assert await stored(site.id) == before
    # The same as an htmx fragment: only the form, values kept.
    fragment = await post(client, f"/sites/{site.id}/edit", site_form(**{field: value}), FRAGMENT)
    assert fragment.status_code == 422
    assert fragment.text.lstrip().startswith('<form id="site-form"') and "<html" not in fragment.text
    assert message in fragment.text and 'value="上海市浦东新区"' in fragment.text
    assert await stored(site.id) == before


async def test_a_bad_new_site_is_not_created(client, sign_in_as, setting):
    await sign_in_as(setting["admin"])
    answer = await post(client, "/sites", site_form(name="", radius_m="0"))
    assert answer.status_code == 422
    assert "Enter the name." in answer.text and "from 1 to 5000" in answer.text
    assert await Site.count() == 2


async def test_html_in_names_is_shown_as_text(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    await post(client, f"/sites/{site.id}/edit", site_form(name="<script>alert(1)</script>"))
    page = await client.get(f"/sites/{site.id}", headers=EN)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    listing = await client.get("/sites", headers=EN)
    assert "&lt;script&gt;" in listing.text and "<script>alert" not in listing.text


async def test_deactivating_and_reactivating(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    answer = await post(client, f"/sites/{site.id}/active", {"active": "0"})
    assert answer.status_code == 303
    assert (await stored(site.id))["is_active"] is False
    listing = await client.get("/sites", headers=EN)
    assert "Deactivated projects" in listing.text
    page = await client.get(f"/sites/{site.id}/edit", headers=EN)
    assert "Reactivate project" in page.text
    await post(client, f"/sites/{site.id}/active", {"active": "1"})
    assert (await stored(site.id))["is_active"] is True
    actions = await AuditEntry.select(AuditEntry.action).where(AuditEntry.site == site.id)
    assert {row["action"] for row in actions} >= {"site.deactivate", "site.reactivate"}


async def test_executives_see_the_settings_but_change_nothing(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["executive"])
    page = await client.get(f"/sites/{site.id}/edit", headers=EN)
    assert page.status_code == 200 and "<fieldset disabled" in page.text
    assert "Deactivate project" not in page.text and "geofence.js" not in page.text
    assert (await post(client, f"/sites/{site.id}/edit", site_form())).status_code == 403
    assert (await post(client, f"/sites/{site.id}/active", {"active": "0"})).status_code == 403
    assert (await stored(site.id))["name"] == "一号工地"


async def test_other_sites_answer_404_and_other_roles_403(client, sign_in_as, setting):
    other = setting["other"]
    await sign_in_as(setting["manager"])
    assert (await client.get(f"/sites/{other.id}/edit")).status_code == 404
    assert (await post(client, f"/sites/{other.id}/edit", site_form())).status_code == 404
    assert (await post(client, f"/sites/{other.id}/active", {"active": "0"})).status_code == 404
    assert (await stored(other.id))["is_active"] is True
    supervisor = await factories.user("supervisor")
    await sign_in_as(supervisor)
    assert (await client.get(f"/sites/{setting['site'].id}/edit")).status_code == 403
    assert (await post(client, f"/sites/{setting['site'].id}/edit", site_form())).status_code == 403


async def test_the_detail_page_links_to_the_back_office(client, sign_in_as, setting):
    site = setting["site"]
    await sign_in_as(setting["manager"])
    page = await client.get(f"/sites/{site.id}", headers=EN)
    for path in ("edit", "members", "areas", "crews"):
        assert f'href="/sites/{site.id}/{path}"' in page.text
