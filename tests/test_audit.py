"""Writing the audit log: what an entry keeps, and the entries that signing in and
changing the language leave behind."""

from __future__ import annotations

from app.audit import services as audit
from app.audit.services import ANONYMOUS, SYSTEM
from app.audit.tables import AuditEntry
from tests import factories
from tests.conftest import fetch_csrf

DEVICE = "a1b2c3d4" * 4


async def entries(action: str) -> list[dict]:
    return await (
        AuditEntry.select()
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.id)
        .output(load_json=True)
    )


async def sign_in_form(client, phone: str, secret: str):
    token = await fetch_csrf(client)
    return await client.post(
        "/login", data={"_csrf_token": token, "phone": phone, "secret": secret, "next": "/"}
    )


async def test_an_entry_keeps_who_from_which_device_did_what_to_which_record(db):
    foreman = await factories.user("foreman", name="王工长")
    site = await factories.site("浦东一期")
    await audit.record(
        "worker.update", actor=foreman, device=DEVICE, record_type="worker", record_id=17,
        site_id=site.id, detail={"trade": "木工", "crew": 3},
    )
    [entry] = await entries("worker.update")
    assert entry["actor"] == foreman.id
    assert entry["actor_label"] == "王工长"
    assert entry["device"] == DEVICE
    assert (entry["record_type"], entry["record_id"]) == ("worker", "17")
    assert entry["site"] == site.id
    assert entry["detail"] == {"trade": "木工", "crew": 3}
    assert entry["at"] is not None


async def test_an_entry_without_an_actor_is_the_systems(db):
    await audit.record("demo_data.load", actor=None, record_type="deployment", record_id="demo")
    [entry] = await entries("demo_data.load")
    assert entry["actor"] is None and entry["actor_label"] == SYSTEM
    assert entry["device"] == "" and entry["detail"] == {}


async def test_an_anonymous_entry_keeps_no_person_and_no_device(db):
    worker = await factories.user("worker", name="陈大明")
    await audit.record(
        "report.create", actor=worker, device=DEVICE, record_type="report", record_id=5,
        detail={"kind": "hazard"}, anonymous=True,
    )
    [entry] = await entries("report.create")
    assert entry["actor"] is None
    assert entry["device"] == ""
    assert entry["actor_label"] == ANONYMOUS == "anonymous"
    assert "陈大明" not in str(entry)
    assert (entry["record_type"], entry["record_id"]) == ("report", "5")
    assert entry["detail"] == {"kind": "hazard"}


async def test_signing_in_through_the_form_records_the_person_and_their_device(client):
    worker = await factories.user("worker", name="陈大明", secret="2468")
    answer = await sign_in_form(client, worker.phone, "2468")
    assert answer.status_code == 303
    device = client.cookies.get("fp_device")
    assert device and len(device) >= 16
    [entry] = await entries("sign_in")
    assert entry["actor"] == worker.id and entry["actor_label"] == "陈大明"
    assert entry["device"] == device
    assert (entry["record_type"], entry["record_id"]) == ("user", str(worker.id))
    assert await entries("sign_in.failed") == []


async def test_a_failed_sign_in_for_a_known_phone_is_recorded_against_that_account(client):
    worker = await factories.user("worker", name="陈大明", secret="2468")
    answer = await sign_in_form(client, worker.phone, "1111")
    assert answer.status_code == 422
    [entry] = await entries("sign_in.failed")
    assert entry["actor"] == worker.id
    assert entry["device"] == client.cookies.get("fp_device")
    assert (entry["record_type"], entry["record_id"]) == ("user", str(worker.id))
    assert await entries("sign_in") == []


async def test_a_failed_sign_in_for_an_unknown_phone_records_no_entry(client):
    answer = await sign_in_form(client, "13999999999", "1111")
    assert answer.status_code == 422
    assert await entries("sign_in.failed") == []


async def test_changing_the_language_is_recorded_with_the_choice(client, sign_in_as):
    worker = await factories.user("worker", name="陈大明")
    await sign_in_as(worker)
    token = await fetch_csrf(client)
    answer = await client.post("/me/language", data={"_csrf_token": token, "language": "en"})
    assert answer.status_code == 303
    [entry] = await entries("user.language")
    assert entry["actor"] == worker.id and entry["actor_label"] == "陈大明"
    assert entry["device"] == client.cookies.get("fp_device")
    assert (entry["record_type"], entry["record_id"]) == ("user", str(worker.id))
    assert entry["detail"] == {"language": "en"}


async def test_an_unoffered_language_is_refused_and_records_nothing(client, sign_in_as):
    await sign_in_as(await factories.user("worker"))
    token = await fetch_csrf(client)
    answer = await client.post("/me/language", data={"_csrf_token": token, "language": "xx"})
    assert answer.status_code == 422
    assert await entries("user.language") == []
