"""Posters (make, replace, take down, print) and phones (approve, unlink) over HTTP."""

from __future__ import annotations

import re

import pytest

from app.accounts.tables import User
from app.audit.tables import AuditEntry
from app.checkin import devices, posters
from app.checkin.posters import token_of
from app.checkin.tables import AttendanceEvent, DeviceStatus, Poster, WorkerDevice
from app.sites import settings as site_settings
from app.sites.tables import Site
from tests import factories
from tests.checkin.helpers import poster_token, tap, text_of, worker_with_phone
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}


async def live_posters(site) -> list[dict]:
    return await Poster.select().where((Poster.site == site.id) & Poster.revoked_at.is_null())


async def test_a_manager_makes_replaces_and_takes_down_posters(client, db, sign_in_as):
    manager = await factories.user("manager")
    site = await factories.site(members=(manager,))
    await sign_in_as(manager)
    csrf = await fetch_csrf(client)
    made = await client.post(f"/sites/{site.id}/posters", data={"gate": "东门", "_csrf_token": csrf})
    assert made.status_code == 303
    [poster] = await live_posters(site)
    old_token = token_of(poster["code"])
    assert (await client.get(f"/c/{old_token}")).status_code == 200

    replaced = await client.post(
        f"/sites/{site.id}/posters/{poster['id']}/regenerate", data={"_csrf_token": csrf}
    )
    assert replaced.status_code == 303
    [new] = await live_posters(site)
    assert new["gate"] == "东门" and new["code"] != poster["code"]
    assert (await client.get(f"/c/{old_token}")).status_code == 410
    assert (await client.get(f"/c/{token_of(new['code'])}")).status_code == 200

    await client.post(f"/sites/{site.id}/posters/{new['id']}/retire", data={"_csrf_token": csrf})
    assert await live_posters(site) == []
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"poster.create", "poster.regenerate", "poster.revoke"} <= actions


async def test_the_print_sheet_carries_the_code_for_the_poster_url(client, db, sign_in_as):
    supervisor = await factories.user("supervisor")
    site = await factories.site("阳光城三期", members=(supervisor,))
    token = await poster_token(site)
    poster = await Poster.select().first()
    await sign_in_as(supervisor)
    sheet = await client.get(f"/sites/{site.id}/posters/{poster['id']}/print", headers=EN)
    assert sheet.status_code == 200
    assert "阳光城三期" in sheet.text and "扫码考勤" in sheet.text and "Scan to check in" in sheet.text
    assert "<svg" in sheet.text
    assert f"http://testserver.local/c/{token}" in sheet.text


async def test_posters_of_another_site_are_not_found_and_foremen_cannot_change_them(
    client, db, sign_in_as
):
    manager = await factories.user("manager")
    foreman = await factories.user("foreman")
    mine = await factories.site(members=(manager, foreman))
    theirs = await factories.site("别人的工地")
    await poster_token(theirs)
    other = await Poster.select().first()
    await sign_in_as(manager)
    csrf = await fetch_csrf(client)
    assert (await client.get(f"/sites/{theirs.id}/posters")).status_code == 404
    assert (await client.get(f"/sites/{theirs.id}/posters/{other['id']}/print")).status_code == 404
    answer = await client.post(
        f"/sites/{theirs.id}/posters/{other['id']}/regenerate", data={"_csrf_token": csrf}
    )
    assert answer.status_code == 404
    await sign_in_as(foreman)
    answer = await client.post(f"/sites/{mine.id}/posters", data={"gate": "", "_csrf_token": csrf})
    assert answer.status_code == 403
    assert len(await Poster.select()) == 1


async def test_a_gate_name_too_long_is_refused_beside_the_field(client, db, sign_in_as):
    manager = await factories.user("manager")
    site = await factories.site(members=(manager,))
    await sign_in_as(manager)
    csrf = await fetch_csrf(client)
    answer = await client.post(
        f"/sites/{site.id}/posters", data={"gate": "门" * 61, "_csrf_token": csrf}, headers=EN
    )
    assert answer.status_code == 422
    assert "Keep the gate name under 60 characters" in answer.text
    assert await live_posters(site) == []


async def test_a_foreman_approves_a_phone_in_person_then_it_checks_in(client, db, sign_in_as):
    foreman = await factories.user("foreman")
    site = await factories.site(members=(foreman,))
    crew = await factories.crew(site, foreman=foreman)
    worker = await factories.worker(crew)
    account = await worker.get_related(worker.__class__.account)
    token = await poster_token(site)
    client.headers.update(EN)
    csrf = await fetch_csrf(client)
    asked = await client.post(f"/c/{token}/approval", data={"phone": account.phone, "_csrf_token": csrf})
    assert asked.status_code == 303
    waiting = await client.get(f"/c/{token}")
    assert "Waiting for your foreman" in waiting.text
    assert (await tap(client, token, "in")).status_code == 403

    # The foreman, on their own phone (here: the same client with the foreman's session).
    await sign_in_as(foreman)
    home = await client.get("/")
    assert "Phones waiting for your approval" in text_of(home.text)
    listing = await client.get("/phones")
    assert account.name in listing.text
    phone_id = int(re.search(r'id="phone-(\d+)"', listing.text).group(1))
    approved = await client.post(f"/phones/{phone_id}/approve", data={"_csrf_token": csrf})
    assert approved.status_code == 303
    client.cookies.delete("fp_session")

    assert (await tap(client, token, "in")).status_code == 200
    assert await AttendanceEvent.count() == 1


async def test_a_supervisor_unlinks_a_phone_and_a_foreman_cannot(client, db, sign_in_as):
    supervisor = await factories.user("supervisor")
    foreman = await factories.user("foreman")
    site = await factories.site(members=(supervisor, foreman))
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    phone = await WorkerDevice.select().first()
    await sign_in_as(foreman)
    csrf = await fetch_csrf(client)
    refused = await client.post(f"/phones/{phone['id']}/revoke", data={"_csrf_token": csrf})
    assert refused.status_code in (403, 404)
    assert (await WorkerDevice.select().first())["status"] == "active"
    await sign_in_as(supervisor)
    done = await client.post(f"/phones/{phone['id']}/revoke", data={"_csrf_token": csrf})
    assert done.status_code == 303
    assert (await WorkerDevice.select().first())["status"] == "revoked"


async def test_phones_of_other_sites_are_not_found(client, db, sign_in_as):
    supervisor = await factories.user("supervisor")
    await factories.site(members=(supervisor,))
    elsewhere = await factories.site("别处")
    token = await poster_token(elsewhere)
    await worker_with_phone(client, elsewhere, token)
    phone = await WorkerDevice.select().first()
    client.cookies.clear()
    await sign_in_as(supervisor)
    csrf = await fetch_csrf(client)
    answer = await client.post(f"/phones/{phone['id']}/revoke", data={"_csrf_token": csrf})
    assert answer.status_code == 404
    assert (await WorkerDevice.select().first())["status"] == "active"


async def test_a_poster_read_moments_ago_follows_its_site_at_once(db):
    manager = await factories.user("manager")
    site = await factories.site(members=(manager,))
    token = await poster_token(site)
    assert (await posters.poster_for_token(token))["site_active"]
    await site_settings.set_site_active(manager, site.id, active=False, device="test")
    with pytest.raises(posters.PosterRevoked):
        await posters.poster_for_token(token)


async def test_a_change_made_elsewhere_shows_once_the_kept_copy_expires(db, monkeypatch):
    site = await factories.site()
    token = await poster_token(site)
    clock = [1000.0]
    monkeypatch.setattr(posters, "_clock", lambda: clock[0])
    assert (await posters.poster_for_token(token))["site_name"] == site.name
    # Another server process renames the site: this one keeps its copy for a few seconds.
    await Site.update({Site.name: "改名的工地"}).where(Site.id == site.id)
    assert (await posters.poster_for_token(token))["site_name"] == site.name
    clock[0] += posters.CACHE_SECONDS + 0.1
    assert (await posters.poster_for_token(token))["site_name"] == "改名的工地"


async def test_the_account_read_with_a_phone_is_the_stored_account(db):
    crew = await factories.crew(await factories.site())
    worker = await factories.worker(crew)
    device_id, secret = await devices._bind(worker.id, "phone", DeviceStatus.active, None)
    stored = await User.objects().where(User.id == worker.account).first()
    account = devices.account_of(await devices.device_by_secret(secret))
    assert isinstance(account, User) and account._exists_in_db
    assert account.to_dict() == stored.to_dict()
    assert account.role == "worker" and account.is_active is True
