"""Setting up a site on a phone: a manager creates it with "use my location", adds an
area and a crew, imports a roster after fixing what the check found, and gives a
worker a PIN; the worker then signs in. Both languages."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from conftest import check_screen, sign_in
from openpyxl import Workbook
from playwright.sync_api import BrowserContext, Page, expect

MANAGER = ("13800000003", "fieldpost")
HERE = {"latitude": 31.2397, "longitude": 121.4998, "accuracy": 12}
CHECK = "10X98765432"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RUN = {  # one of everything per language, so the runs do not meet
    "zh-CN": {"site": "静安新城三期", "crew": "抹灰一班", "phone": "1365550", "serial": "1"},
    "en": {"site": "Jing'an Phase 3", "crew": "抹灰二班", "phone": "1365551", "serial": "2"},
}
TEXT = {
    "zh-CN": {"clean": "所有行均无误", "added": "新增 2 人", "bad_phone": "手机号为 1 开头的 11 位数字",
              "welcome": "欢迎！请先设置您自己的密码。"},
    "en": {"clean": "Every row is right", "added": "2 added",
           "bad_phone": "A phone number has 11 digits",
           "welcome": "Welcome. First choose your own password/PIN."},
}


def id_number(serial: str, n: int) -> str:
    first17 = f"32050219920{serial}1{n}0{n}2"
    return first17 + CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def roster(run: dict, *, first_phone: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "身份证号", "班组", "日工资"])
    sheet.append(["蒋立新", first_phone, id_number(run["serial"], 1), run["crew"], 320])
    sheet.append(["沈学军", f"{run['phone']}0002", id_number(run["serial"], 2), run["crew"], 330])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload_roster(page: Page, content: bytes) -> None:
    page.goto("/roster")
    page.locator("#roster").set_input_files(
        files=[{"name": "花名册.xlsx", "mimeType": "application/octet-stream", "buffer": content}]
    )
    page.locator("form[action$='/preview'] button[type=submit]").click()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_manager_sets_up_a_site_and_a_worker_signs_in(
    phone_context: Callable[..., BrowserContext], locale: str
) -> None:
    run, text = RUN[locale], TEXT[locale]
    context = phone_context(locale, geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    sign_in(page, *MANAGER)

    page.goto("/sites/new")
    page.locator("#name").fill(run["site"])
    page.locator("[data-geofence-locate]").click()
    expect(page.locator("#latitude")).to_have_value("31.239700")
    expect(page.locator("#longitude")).to_have_value("121.499800")
    check_screen(page, f"site-new-{locale}")
    page.locator("#site-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(run["site"])
    check_screen(page, f"site-detail-{locale}")
    site_url = page.url

    page.locator("a[href$='/areas']").click()
    page.locator("form[action$='/areas'] #name").fill("A 栋")
    page.locator("form[action$='/areas'] button[type=submit]").click()
    expect(page.locator("#area-list input[name=name]").first).to_have_value("A 栋")
    check_screen(page, f"site-areas-{locale}")

    page.goto(site_url)
    page.locator("a[href$='/crews']").click()
    page.locator("#crew-form #name").fill(run["crew"])
    page.locator("#crew-form #trade").fill("抹灰工")
    page.locator("#crew-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(run["crew"])
    check_screen(page, f"crews-{locale}")

    upload_roster(page, roster(run, first_phone="1365"))
    expect(page.locator("main")).to_contain_text(text["bad_phone"])
    check_screen(page, f"roster-problems-{locale}")
    upload_roster(page, roster(run, first_phone=f"{run['phone']}0001"))
    expect(page.locator("main")).to_contain_text(text["clean"])
    page.locator("form[action$='/roster/import'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(text["added"])

    page.goto(f"/workers?q={run['phone']}0001")
    page.locator("#worker-results a.row-link").first.click()
    expect(page.locator("h1")).to_have_text("蒋立新")
    page.locator("form[action$='/pin'] button").click()
    pin = page.locator(".pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin)

    worker = phone_context(locale).new_page()
    sign_in(worker, f"{run['phone']}0001", pin)
    expect(worker.locator(".flash")).to_have_text(text["welcome"])
