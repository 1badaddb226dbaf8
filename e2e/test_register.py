"""The real-name register on a phone: a foreman registers a worker, gives a PIN, the
worker signs in with it and chooses their own. Both languages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import check_screen, sign_in
from playwright.sync_api import BrowserContext, expect

FOREMAN = ("13800000005", "fieldpost")
TEXT = {
    "zh-CN": {"workers": "工人", "register": "登记工人", "bad_id": "身份证号最后一位校验不通过",
              "todo": "待办", "welcome": "欢迎！请先设置您自己的密码。", "no_pin": "未设置密码的工人"},
    "en": {"workers": "Workers", "register": "Register a worker", "bad_id": "last character is wrong",
           "todo": "To-do", "welcome": "Welcome. First choose your own password/PIN.",
           "no_pin": "Workers without a PIN"},
}
# One new worker per language, so the tests do not depend on each other.
NEW_WORKER = {
    "zh-CN": ("周春生", "13712345601", "31011519880214011"),
    "en": ("吴永红", "13712345602", "31011519880214012"),
}
CHECK = "10X98765432"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(first17: str) -> str:
    return first17 + CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_foreman_registers_a_worker_who_then_signs_in(
    phone_context: Callable[..., BrowserContext], locale: str
) -> None:
    text = TEXT[locale]
    name, phone, id17 = NEW_WORKER[locale]
    good_id = with_check_digit(id17)
    bad_id = good_id[:17] + ("0" if good_id[17] != "0" else "1")

    foreman = phone_context(locale).new_page()
    sign_in(foreman, *FOREMAN)
    foreman.locator(".tabbar a", has_text=text["workers"]).click()
    expect(foreman.locator("h1")).to_have_text(text["workers"])
    check_screen(foreman, f"workers-{locale}")
    foreman.get_by_role("link", name=text["register"]).click()
    expect(foreman.locator("h1")).to_have_text(text["register"])

    foreman.locator("#name").fill(name)
    foreman.locator("#phone").fill(phone)
    foreman.locator("#id_number").fill(bad_id)
    foreman.locator("#crew").select_option(label="浦东滨江花园二期 · 钢筋一班")
    foreman.locator("#day_rate").fill("380")
    foreman.locator("#worker-form button[type=submit]").click()
    expect(foreman.locator("#id_number-error")).to_contain_text(text["bad_id"])
    expect(foreman.locator("#name")).to_have_value(name)
    check_screen(foreman, f"worker-form-error-{locale}")

    foreman.locator("#id_number").fill(good_id)
    foreman.locator("#worker-form button[type=submit]").click()
    expect(foreman.locator("h1")).to_have_text(name)
    expect(foreman.locator("main")).to_contain_text(good_id[-4:])
    expect(foreman.locator("main")).not_to_contain_text(good_id)
    check_screen(foreman, f"worker-detail-{locale}")

    foreman.locator(".tabbar a").first.click()
    expect(foreman.locator(".todo-item", has_text=text["no_pin"])).to_be_visible()

    foreman.go_back()
    foreman.locator("form[action$='/pin'] button").click()
    pin = foreman.locator(".pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", pin)
    check_screen(foreman, f"worker-pin-{locale}")

    worker = phone_context(locale).new_page()
    sign_in(worker, phone, pin)
    expect(worker).to_have_url(re.compile(r"/me$"))
    expect(worker.locator(".flash")).to_have_text(text["welcome"])
    worker.locator("#current").fill(pin)
    worker.locator("#new").fill("2580")
    worker.locator("#confirm").fill("2580")
    worker.locator("#secret button[type=submit]").click()
    expect(worker.locator("h1")).to_have_text(text["todo"])

    again = phone_context(locale).new_page()
    sign_in(again, phone, "2580")
    expect(again.locator("h1")).to_have_text(text["todo"])
