"""Poster check-in on a phone: identify once, one tap, offline, lost answers, page weight."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from conftest import check_screen, sign_in, wire_bytes
from PIL import Image
from playwright.sync_api import BrowserContext, Page, Route, expect

PIN = "1234"
SITE = {"latitude": 31.2304, "longitude": 121.5051, "accuracy": 15}
CHECKED_IN = {"zh-CN": "已上班打卡", "en": "Checked in"}
CHECKED_OUT = {"zh-CN": "已下班打卡", "en": "Checked out"}
CHECK_IN = {"zh-CN": "上班打卡", "en": "Check in"}
CHECK_OUT = {"zh-CN": "下班打卡", "en": "Check out"}
MY_ATTENDANCE = {"zh-CN": "我的考勤", "en": "My attendance"}


def poster_url(manager: Page, locale: str = "en") -> str:
    """The URL the first site's poster carries, read off its print sheet as a manager would."""
    sign_in(manager, "13800000003", "fieldpost")
    manager.goto("/sites")
    manager.get_by_role("link", name=re.compile("浦东滨江花园二期")).first.click()
    manager.get_by_role("link", name=re.compile("Check-in posters|考勤二维码海报")).click()
    check_screen(manager, "posters-en")
    manager.get_by_role("link", name=re.compile("^(Print|打印)$")).first.click()
    return manager.locator(".url").inner_text().strip()


def local_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def identify(page: Page, path: str, phone: str) -> None:
    page.goto(path)
    page.locator("#phone").first.fill(phone)
    page.locator("#pin").fill(PIN)
    page.locator("form.stack button[type=submit]").first.click()
    expect(page.locator(".tap-button")).to_be_visible()


def events_of(server_db: Path, phone: str) -> list[dict]:
    with sqlite3.connect(server_db) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT e.kind, e.flags, e.idempotency_key FROM attendance_event e"
            " JOIN worker w ON w.id = e.worker JOIN app_user u ON u.id = w.account"
            " WHERE u.phone = ? ORDER BY e.seq",
            (phone,),
        ).fetchall()
    return [dict(row) for row in rows]


def located(context: BrowserContext) -> None:
    context.grant_permissions(["geolocation"])
    context.set_geolocation(SITE)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_scan_identify_once_check_in_reload_check_out(
    phone_context, server_db: Path, locale: str
) -> None:
    manager = phone_context("en").new_page()
    url = poster_url(manager)
    phone = "13900000002" if locale == "zh-CN" else "13900000003"
    context = phone_context(locale)
    located(context)
    page = context.new_page()
    page.goto(local_path(url))
    check_screen(page, f"checkin-identify-{locale}")
    identify(page, local_path(url), phone)
    check_screen(page, f"checkin-ready-{locale}")

    page.locator(".tap-button").click()
    expect(page.locator(".confirm-title")).to_have_text(CHECKED_IN[locale])
    time_shown = page.locator(".confirm-time").inner_text()
    assert re.fullmatch(r"\d\d:\d\d", time_shown)
    check_screen(page, f"checkin-confirmed-{locale}")

    page.reload()
    expect(page.locator(".checkin-state")).to_contain_text(time_shown)
    expect(page.locator(".tap-button")).to_have_text(CHECK_OUT[locale])
    page.locator(".tap-button").click()
    expect(page.locator(".confirm-title")).to_have_text(CHECKED_OUT[locale])
    expect(page.locator(".tap-button")).to_have_text(CHECK_IN[locale])
    assert [e["kind"] for e in events_of(server_db, phone)] == ["in", "out"]
    assert [e["flags"] for e in events_of(server_db, phone)] == ["", ""]

    page.get_by_role("link", name=MY_ATTENDANCE[locale]).first.click()
    expect(page.locator(".calendar td.worked")).to_have_count(1)
    check_screen(page, f"attendance-month-{locale}")
    page.locator(".calendar td.worked a").click()
    expect(page.locator("#day-detail .events li")).to_have_count(2)
    check_screen(page, f"attendance-day-{locale}")


def test_offline_taps_wait_on_the_phone_and_arrive_once_flagged_late(
    phone_context, server_db: Path, cut, restore
) -> None:
    url = local_path(poster_url(phone_context("en").new_page()))
    phone = "13900000004"
    context = phone_context("en")
    located(context)
    page = context.new_page()
    # The phone's clock runs 15 minutes behind the server's: its taps reach the server
    # more than LATE_SYNC_MINUTES after the time the phone gives them.
    page.clock.install(time=datetime.now(UTC) - timedelta(minutes=15))
    identify(page, url, phone)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps this page
    expect(page.locator(".tap-button")).to_have_text("Check in")

    cut(context)
    page.reload()  # answered from the phone's copy
    expect(page.locator(".tap-button")).to_have_text("Check in")
    page.locator(".tap-button").click()
    pending = page.locator("[data-outbox-pending]")
    expect(pending).to_have_text("1 waiting to send")
    expect(page.locator(".tap-button")).to_have_text("Check out")
    check_screen(page, "checkin-offline-waiting-en")
    page.locator(".tap-button").click()
    expect(pending).to_have_text("2 waiting to send")
    page.clock.fast_forward("00:30")  # retries while still cut off
    assert events_of(server_db, phone) == []

    restore(context)
    page.clock.fast_forward("11:00")
    expect(pending).to_be_hidden(timeout=15_000)
    events = events_of(server_db, phone)
    assert [e["kind"] for e in events] == ["in", "out"]
    assert all("late_sync" in e["flags"] for e in events)
    assert len({e["idempotency_key"] for e in events}) == 2


def test_an_answer_lost_on_the_way_back_is_retried_into_one_event(
    phone_context, server_db: Path
) -> None:
    url = local_path(poster_url(phone_context("en").new_page()))
    phone = "13900000005"
    context = phone_context("en")
    located(context)
    page = context.new_page()
    identify(page, url, phone)
    dropped: list[str] = []

    def commit_then_drop(route: Route) -> None:
        if route.request.method == "POST" and not dropped:
            route.fetch()  # the server commits the check-in ...
            dropped.append(route.request.headers.get("x-idempotency-key", ""))
            route.abort("connectionreset")  # ... and the answer never reaches the phone
        else:
            route.continue_()

    page.route(re.compile(r".*/c/[^/]+$"), commit_then_drop)
    page.evaluate("window.Outbox.config.minDelayMs = 200; window.Outbox.config.maxDelayMs = 400")
    page.locator(".tap-button").click()
    expect(page.locator(".confirm-title")).to_have_text("Checked in", timeout=15_000)
    assert dropped and dropped[0]
    events = events_of(server_db, phone)
    assert [e["kind"] for e in events] == ["in"]
    assert events[0]["idempotency_key"] == dropped[0]


def test_the_check_in_page_is_light_on_the_wire(phone_context) -> None:
    url = local_path(poster_url(phone_context("en").new_page()))
    first = phone_context("en")
    page = first.new_page()
    identify(page, url, "13900000006")
    # A phone that has identified but never loaded anything else: cold caches.
    context = phone_context("en", storage_state=first.storage_state())
    page = context.new_page()
    before = wire_bytes(context)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    first_load = wire_bytes(context) - before
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    before = wire_bytes(context)
    page.reload()
    page.wait_for_load_state("networkidle")
    repeat = wire_bytes(context) - before
    print(f"check-in page on the wire: first load {first_load} B, repeat {repeat} B")
    assert first_load <= 50 * 1024
    assert repeat <= 10 * 1024


def test_the_printed_poster_decodes_to_its_url(phone_context) -> None:
    manager = phone_context("en").new_page()
    url = poster_url(manager)
    manager.emulate_media(media="print")
    manager.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    width_px = manager.locator(".qr svg").bounding_box()["width"]
    assert width_px >= 15 / 2.54 * 96  # at least 15 cm wide on paper
    shot = Path(__file__).parent / "screenshots" / "poster-print.png"
    shot.parent.mkdir(exist_ok=True)
    manager.screenshot(path=str(shot), full_page=True)
    decoded = zxingcpp.read_barcodes(Image.open(shot))
    assert [code.text for code in decoded] == [url]
