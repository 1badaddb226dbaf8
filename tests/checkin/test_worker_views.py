"""The worker's own screens: today's state, the month calendar, a day's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests import factories
from tests.checkin.helpers import poster_token, tap, text_of, worker_with_phone
from tests.conftest import fetch_csrf

EN = {"accept-language": "en"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_the_month_shows_hours_per_day_and_the_total(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    client.cookies.delete("fp_session")  # the remembered phone is enough
    client.headers.update(EN)
    start = datetime.now(UTC) - timedelta(hours=9, minutes=30)
    await tap(client, token, "in", client_time=start.isoformat(), latitude="31.23", longitude="121.47")
    await tap(client, token, "out", client_time=(start + timedelta(hours=9)).isoformat(),
              latitude="31.23", longitude="121.47")
    work_date = start.astimezone(SHANGHAI).date()
    month = await client.get(f"/me/attendance?month={work_date:%Y-%m}")
    assert month.status_code == 200
    text = text_of(month.text)
    assert "1 days · 9 h · 1 man-days" in text
    assert "9h" in text
    assert "Checked out at" in text

    day = await client.get(f"/me/attendance/{work_date.isoformat()}", headers={"HX-Request": "true",
                                                                               "HX-Target": "day-detail"})
    assert day.status_code == 200
    assert "<html" not in day.text
    detail = text_of(day.text)
    assert "Check in" in detail and "Check out" in detail and "Sent late" in detail


async def test_a_bad_month_is_explained_and_unknown_days_are_not_found(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    client.headers.update(EN)
    answer = await client.get("/me/attendance?month=2026-13")
    assert answer.status_code == 422
    assert "Choose a month like 2026-11" in answer.text
    assert (await client.get("/me/attendance/someday")).status_code == 404


async def test_an_account_without_a_register_entry_has_no_attendance(client, db, sign_in_as):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    await tap(client, token, "in")
    other = await factories.user("worker")
    client.cookies.clear()
    await sign_in_as(other)
    answer = await client.get("/me/attendance")
    # A worker account without a register entry has no attendance to show.
    assert answer.status_code == 404


async def test_staff_have_no_worker_attendance_screen(client, db, sign_in_as):
    await sign_in_as(await factories.user("supervisor"))
    assert (await client.get("/me/attendance")).status_code == 403


async def test_signing_out_on_a_remembered_phone_forgets_it(client, db):
    site = await factories.site()
    token = await poster_token(site)
    await worker_with_phone(client, site, token)
    csrf = await fetch_csrf(client)
    answer = await client.post("/me/sign-out", data={"_csrf_token": csrf})
    assert answer.status_code == 303
    page = await client.get(f"/c/{token}", headers=EN)
    assert "Who are you?" in page.text
    assert (await client.get("/me/attendance")).status_code in (302, 303)
