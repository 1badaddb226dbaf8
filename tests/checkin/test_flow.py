"""Poster check-in over HTTP: identify once, one tap, the answer the outbox relies on."""

from __future__ import annotations

from app.checkin.tables import AttendanceDay, AttendanceEvent
from tests import factories
from tests.checkin.helpers import identify, poster_token, tap, text_of

EN = {"accept-language": "en"}


async def test_identify_once_then_check_in_and_out(client, db):
    site = await factories.site()
    crew = await factories.crew(site)
    worker = await factories.worker(crew)
    phone = (await worker.get_related(worker.__class__.account)).phone
    token = await poster_token(site)
    client.headers.update(EN)

    first = await client.get(f"/c/{token}")
    assert "Who are you?" in first.text
    identified = await identify(client, token, phone)
    assert identified.status_code == 303

    page = await client.get(f"/c/{token}")
    assert "Check in" in text_of(page.text) and "Not checked in" in text_of(page.text)

    checked_in = await tap(client, token, "in", latitude="31.23", longitude="121.47", accuracy="10")
    assert checked_in.status_code == 200, checked_in.text
    assert checked_in.headers["x-idempotency-key"]
    assert "Checked in" in text_of(checked_in.text)
    assert "Check out" in text_of(checked_in.text)

    reloaded = await client.get(f"/c/{token}")
    assert "Checked in at" in text_of(reloaded.text)

    out = await tap(client, token, "out", latitude="31.23", longitude="121.47", accuracy="10")
    assert out.status_code == 200
    events = await AttendanceEvent.select(AttendanceEvent.kind, AttendanceEvent.flags).order_by(
        AttendanceEvent.seq
    )
    assert [(e["kind"], e["flags"]) for e in events] == [("in", ""), ("out", "")]
    day = await AttendanceDay.select().first()
    assert day["shifts"] == 1 and day["open_shift"] is False
