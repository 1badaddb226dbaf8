"""Bad input on the check-in routes: a clear message, and nothing recorded that shouldn't be."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.tables import User
from app.checkin import posters
from app.checkin.tables import AttendanceEvent, Poster, WorkerDevice
from app.outbox.tables import IdempotencyRecord
from app.workforce.tables import Worker
from tests import factories
from tests.checkin.helpers import poster_token, tap, text_of, worker_with_phone

EN = {"accept-language": "en"}
ZH = {"accept-language": "zh-CN"}


async def events() -> list[dict]:
    return await AttendanceEvent.select(
        AttendanceEvent.kind, AttendanceEvent.flags, AttendanceEvent.worker
    ).order_by(AttendanceEvent.seq)


@pytest.mark.parametrize(
    "token",
    ["nonsense", "A" * 16 + "." + "B" * 11, "abc<script>", "x" * 300],
    ids=["malformed", "forged", "markup", "long"],
)
async def test_forged_and_malformed_posters_are_not_valid(client, db, token):
    client.headers.update(EN)
    answer = await client.get(f"/c/{token}")
    assert answer.status_code == 404
    assert "not a valid site poster" in answer.text


async def test_a_replaced_poster_says_so_in_the_users_language(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await Poster.update({Poster.revoked_at: datetime.now(UTC)}).where(Poster.site == site.id)
    answer = await client.get(f"/c/{token}", headers=ZH)
    assert answer.status_code == 410
    assert "这张二维码已失效" in answer.text
    answer = await client.get(f"/c/{token}", headers=EN)
    assert "no longer valid. Ask your foreman" in answer.text


async def test_tapping_on_a_replaced_poster_records_nothing(client, db):
    manager = await factories.user("manager")
    site = await factories.site(members=(manager,))
    token = await poster_token(site)
    await worker_with_phone(client, site, token)  # the phone has just opened the poster's page
    [poster] = await Poster.select(Poster.id).where(Poster.site == site.id)
    await posters.retire(site.id, poster["id"], by=manager, device="test")
    answer = await tap(client, token, "in")
    assert answer.status_code == 410
    assert await events() == []


async def test_a_tap_without_a_remembered_phone_is_refused(client, db):
    site = await factories.site()
    token = await poster_token(site)
    answer = await tap(client, token, "in")
    assert answer.status_code == 403
    assert await events() == []


async def test_a_revoked_phone_must_identify_again(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    await WorkerDevice.update({WorkerDevice.status: "revoked"}).where(WorkerDevice.id > 0)
    client.cookies.delete("fp_session")
    page = await client.get(f"/c/{token}", headers=EN)
    assert "This phone was unlinked" in page.text
    answer = await tap(client, token, "in")
    assert answer.status_code == 403
    assert await events() == []


async def test_one_workers_phone_with_another_workers_session_is_refused(client, db, sign_in_as):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    other = await factories.worker(await factories.crew(site))
    await sign_in_as(await User.objects().where(User.id == other.account).first())
    client.headers.update(EN)
    assert (await client.get(f"/c/{token}")).status_code == 403
    answer = await tap(client, token, "in")
    assert answer.status_code == 403
    assert "remembered for another worker" in answer.text
    assert await events() == []


async def test_a_disabled_worker_is_refused_with_a_clear_message(client, db):
    site = await factories.site()
    token = await poster_token(site)
    worker, _ = await worker_with_phone(client, site, token)
    await Worker.update({Worker.is_active: False}).where(Worker.id == worker.id)
    client.cookies.delete("fp_session")
    answer = await tap(client, token, "in")
    assert answer.status_code == 403
    assert "disabled" in answer.text or "停用" in answer.text
    assert await events() == []


async def test_a_replayed_key_is_one_event_with_the_same_answer(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    key = str(uuid.uuid4())
    first = await tap(client, token, "in", key=key)
    again = await tap(client, token, "in", key=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["x-idempotency-key"] == key
    assert len(await events()) == 1
    assert await IdempotencyRecord.count() == 1


async def test_a_key_reused_with_another_payload_is_refused(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    key = str(uuid.uuid4())
    await tap(client, token, "in", key=key)
    answer = await tap(client, token, "out", key=key)
    assert answer.status_code == 422
    assert answer.headers["x-idempotency-key"] == key
    assert [e["kind"] for e in await events()] == ["in"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"client_time": "yesterday"}, "clock time could not be read"),
        ({"latitude": "north", "longitude": "121"}, "location sent by the phone could not be read"),
        ({"latitude": "95", "longitude": "121"}, "location sent by the phone could not be read"),
        ({"idempotency_key": "short"}, "out of date"),
    ],
)
async def test_unreadable_fields_are_refused_and_nothing_is_recorded(client, db, fields, message):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    client.headers.update(EN)
    fields = dict(fields)
    key = fields.pop("idempotency_key", None)
    answer = await tap(client, token, "in", key=key, **fields)
    assert answer.status_code == 422
    assert message in text_of(answer.text)
    assert await events() == []


async def test_a_double_tap_with_two_keys_is_one_event(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    await tap(client, token, "in")
    await tap(client, token, "in")
    assert len(await events()) == 1


async def test_phone_times_in_the_future_or_too_old_are_stored_and_flagged(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    now = datetime.now(UTC)
    await tap(client, token, "in", client_time=(now + timedelta(hours=3)).isoformat())
    await tap(client, token, "out", client_time=(now - timedelta(days=8)).isoformat())
    rows = await AttendanceEvent.select(
        AttendanceEvent.flags, AttendanceEvent.client_time, AttendanceEvent.occurred_at,
        AttendanceEvent.server_time,
    ).order_by(AttendanceEvent.seq)
    assert "clock_ahead" in rows[0]["flags"]
    assert "clock_stale" in rows[1]["flags"] and "late_sync" in rows[1]["flags"]
    for row in rows:
        assert row["client_time"] is not None
        assert row["occurred_at"] == row["server_time"]


async def test_a_check_out_with_no_open_shift_is_recorded_and_flagged(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    answer = await tap(client, token, "out")
    assert answer.status_code == 200
    assert [e["flags"] for e in await events()] == ["no_location,no_open_shift"]


async def test_a_late_sync_is_flagged_and_counts_at_the_phones_time(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    tapped = datetime.now(UTC) - timedelta(minutes=25)
    await tap(client, token, "in", client_time=tapped.isoformat(), latitude="31.23", longitude="121.47")
    row = await AttendanceEvent.select(AttendanceEvent.flags, AttendanceEvent.occurred_at).first()
    assert row["flags"] == "late_sync"
    assert abs((row["occurred_at"] - tapped).total_seconds()) < 0.001


async def test_outside_the_geofence_is_recorded_and_flagged_never_refused(client, db):
    site = await factories.site()  # centre 31.23, 121.47, radius 300 m
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    # About 1.1 km north: outside even allowing for 100 m of reported accuracy.
    answer = await tap(client, token, "in", latitude="31.24", longitude="121.47", accuracy="100")
    assert answer.status_code == 200
    assert [e["flags"] for e in await events()] == ["outside_geofence"]


async def test_checking_in_at_another_site_is_visiting(client, db):
    home = await factories.site("家")
    other = await factories.site("别处")
    home_token = await poster_token(home)
    await worker_with_phone(client, home, home_token)
    token = await poster_token(other)
    await tap(client, token, "in", latitude="31.23", longitude="121.47")
    assert [e["flags"] for e in await events()] == ["visiting"]


async def test_taps_beyond_what_the_server_can_take_are_told_to_come_back(client, db, monkeypatch):
    from app.checkin import routes  # noqa: PLC0415

    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    monkeypatch.setattr(routes, "_in_flight", routes.MAX_TAPS_IN_FLIGHT)
    answer = await tap(client, token, "in")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "x-idempotency-key" not in answer.headers
    assert await events() == []
