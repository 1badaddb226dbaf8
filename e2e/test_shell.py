"""The shell on a phone, in both languages: sign-in, each role's home, the language
switch, the account page, the forbidden page and the offline page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import LOCALES, check_screen, sign_in
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

STAFF_PASSWORD = "fieldpost"
WORKER_PIN = "1234"

# role: (phone, secret, name, {locale: role label})
ROLES = {
    "admin": ("13800000001", STAFF_PASSWORD, "系统管理员",
              {"zh-CN": "系统管理员", "en": "Administrator"}),
    "executive": ("13800000002", STAFF_PASSWORD, "王总",
                  {"zh-CN": "公司领导", "en": "Company leader"}),
    "manager": ("13800000003", STAFF_PASSWORD, "李经理",
                {"zh-CN": "项目经理", "en": "Project manager"}),
    "supervisor": ("13800000004", STAFF_PASSWORD, "赵安全员",
                   {"zh-CN": "现场管理员", "en": "Site supervisor"}),
    "foreman": ("13800000005", STAFF_PASSWORD, "张班长",
                {"zh-CN": "班组长", "en": "Foreman"}),
    "worker": ("13900000001", WORKER_PIN, "陈大明", {"zh-CN": "工人", "en": "Worker"}),
}
# Demo workers nobody else uses here: tests that change a person's settings or add
# sign-in failures use these, so no test depends on another's leftovers.
SPARE_WORKERS = {
    "switch": {"zh-CN": "13900000002", "en": "13900000003"},
    "wrong-pin": {"zh-CN": "13900000004", "en": "13900000005"},
}

TEXT = {
    "zh-CN": {
        "lang": "zh-CN", "other": "en", "switch_to": "English",
        "sign_in": "登录", "home": "待办", "me": "我的", "projects": "项目",
        "workers": "工人", "staff": "人员", "attendance": "考勤", "photos": "照片",
        "report": "报告", "dashboard": "看板",
        "wrong": "手机号或密码错误。",
        "forbidden": "无权操作", "forbidden_hint": "您的角色无权进行此操作，请联系项目经理。",
        "offline": "没有网络", "change_password": "修改登录密码", "change_pin": "修改密码",
        "language": "语言", "sign_out": "退出", "not_current": "当前密码不正确。",
    },
    "en": {
        "lang": "en", "other": "zh-CN", "switch_to": "中文",
        "sign_in": "Sign in", "home": "To-do", "me": "Me", "projects": "Projects",
        "workers": "Workers", "staff": "Staff", "attendance": "Attendance", "photos": "Photos",
        "report": "Report", "dashboard": "Dashboard",
        "wrong": "The phone number or the password/PIN is wrong.",
        "forbidden": "Not allowed",
        "forbidden_hint": "Your role does not allow this. Ask your project manager.",
        "offline": "No connection", "change_password": "Change password",
        "change_pin": "Change PIN", "language": "Language", "sign_out": "Sign out",
        "not_current": "This is not your current password/PIN.",
    },
}

by_locale = pytest.mark.parametrize("locale", LOCALES)


def expect_home(page: Page, locale: str, role: str) -> None:
    _, _, name, labels = ROLES[role]
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text(TEXT[locale]["home"])
    expect(page.locator("main .hint").first).to_have_text(f"{name} · {labels[locale]}")


def wait_for_service_worker(page: Page) -> None:
    """Until the service worker is active and controls this page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    try:
        page.wait_for_function("!!navigator.serviceWorker.controller", timeout=3_000)
    except PlaywrightTimeout:  # not claimed yet: after a reload it controls the page
        page.reload()
        page.wait_for_function("!!navigator.serviceWorker.controller", timeout=5_000)


# --- signing in ---------------------------------------------------------------------


@by_locale
def test_sign_in_page(page: Page, locale: str) -> None:
    text = TEXT[locale]
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    expect(page.locator(".tabbar")).to_have_count(0)
    check_screen(page, f"sign-in-{locale}")


@by_locale
@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_signs_in_to_their_home(page: Page, locale: str, role: str) -> None:
    phone, secret, _, _ = ROLES[role]
    sign_in(page, phone, secret)
    expect_home(page, locale, role)
    expect(page.locator("html")).to_have_attribute("lang", TEXT[locale]["lang"])
    tabs = page.locator(".tabbar a")
    text = TEXT[locale]
    expected_tabs = [text["home"]]
    if role != "worker":
        expected_tabs.append(text["projects"])
        if role in ("manager", "executive"):
            expected_tabs.append(text["dashboard"])
        expected_tabs.append(text["workers"])
    else:
        expected_tabs.append(text["attendance"])
    if role == "admin":
        expected_tabs.append(text["staff"])
    if role in ("worker", "foreman", "supervisor"):
        expected_tabs.append(text["photos"])
    if role == "worker":
        expected_tabs.append(text["report"])
    expect(tabs).to_have_text([*expected_tabs, text["me"]])
    expect(tabs.first).to_have_attribute("aria-current", "page")
    check_screen(page, f"home-{role}-{locale}")


@by_locale
def test_wrong_pin_is_told_beside_the_field(page: Page, locale: str) -> None:
    phone = SPARE_WORKERS["wrong-pin"][locale]
    page.goto("/login")
    page.locator("#phone").fill(phone)
    page.locator("#secret").fill("9999")
    page.locator("#sign-in-form button[type=submit]").click()
    error = page.locator("#secret-error")
    expect(error).to_have_text(TEXT[locale]["wrong"])
    expect(page.locator("#secret")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#secret")).to_have_attribute("aria-describedby", "secret-error")
    expect(page.locator("#phone")).to_have_value(phone)
    expect(page).to_have_url(re.compile(r"/login$"))
    check_screen(page, f"sign-in-wrong-pin-{locale}")


# --- the language switch --------------------------------------------------------------


@by_locale
def test_language_switch_before_signing_in(page: Page, locale: str) -> None:
    text, other = TEXT[locale], TEXT[TEXT[locale]["other"]]
    page.goto("/login")
    switch = page.locator(".language-switch")
    expect(switch.locator("button[aria-current=true]")).to_have_text(
        "中文" if locale == "zh-CN" else "English"
    )
    switch.get_by_role("button", name=text["switch_to"]).click()
    expect(page.locator("h1")).to_have_text(other["sign_in"])
    expect(switch.locator("button[aria-current=true]")).to_have_text(text["switch_to"])
    page.reload()
    expect(page.locator("h1")).to_have_text(other["sign_in"])
    expect(page.locator("html")).to_have_attribute("lang", other["lang"])


@by_locale
def test_language_switch_is_kept_for_the_person(
    phone_context: Callable[..., BrowserContext], locale: str
) -> None:
    other_locale = TEXT[locale]["other"]
    text, other = TEXT[locale], TEXT[other_locale]
    phone = SPARE_WORKERS["switch"][locale]
    page = phone_context(locale).new_page()
    sign_in(page, phone, WORKER_PIN)
    expect(page.locator("h1")).to_have_text(text["home"])
    page.locator(".language-switch").get_by_role("button", name=text["switch_to"]).click()
    expect(page.locator("h1")).to_have_text(other["home"])
    expect(page.locator(".tabbar a").last).to_have_text(other["me"])
    page.reload()
    expect(page.locator("h1")).to_have_text(other["home"])
    expect(page.locator("html")).to_have_attribute("lang", other["lang"])
    # Another phone whose own language is the first one: the person's choice wins.
    second = phone_context(locale).new_page()
    sign_in(second, phone, WORKER_PIN)
    expect(second.locator("h1")).to_have_text(other["home"])


@by_locale
def test_language_switch_updates_the_page_language(page: Page, locale: str) -> None:
    other = TEXT[TEXT[locale]["other"]]
    page.goto("/login")
    page.locator(".language-switch").get_by_role("button", name=TEXT[locale]["switch_to"]).click()
    expect(page.locator("h1")).to_have_text(other["sign_in"])
    expect(page.locator("html")).to_have_attribute("lang", other["lang"], timeout=2_000)


# --- the account page and what a role may not open -------------------------------------


@by_locale
@pytest.mark.parametrize("role", ["supervisor", "worker"])
def test_account_page(page: Page, locale: str, role: str) -> None:
    text = TEXT[locale]
    phone, secret, name, labels = ROLES[role]
    sign_in(page, phone, secret)
    page.locator(".tabbar a").last.click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("main .hint").first).to_have_text(f"{labels[locale]} · {phone}")
    expect(page.locator(".tabbar a").last).to_have_attribute("aria-current", "page")
    expect(page.locator("#language-form h2")).to_have_text(text["language"])
    expect(page.locator("#language option")).to_have_count(3)
    heading = text["change_pin"] if role == "worker" else text["change_password"]
    expect(page.locator("#secret h2")).to_have_text(heading)
    check_screen(page, f"account-{role}-{locale}")

    # A wrong current secret: the message beside that field, in this language.
    page.locator("#current").fill("000000" if role == "worker" else "not-the-password")
    page.locator("#new").fill("5678" if role == "worker" else "a-new-password")
    page.locator("#confirm").fill("5678" if role == "worker" else "a-new-password")
    page.locator("#secret button[type=submit]").click()
    expect(page.locator("#current-error")).to_have_text(text["not_current"])
    expect(page.locator("#current")).to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name=text["sign_out"]).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("h1")).to_have_text(text["sign_in"])
    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/login\?next=/me$"))


@by_locale
def test_worker_opening_projects_gets_the_forbidden_page(page: Page, locale: str) -> None:
    text = TEXT[locale]
    phone, secret, _, _ = ROLES["worker"]
    sign_in(page, phone, secret)
    answer = page.goto("/sites")
    assert answer is not None and answer.status == 403
    expect(page.locator("h1")).to_have_text(text["forbidden"])
    expect(page.locator(".error-page p").nth(1)).to_have_text(text["forbidden_hint"])
    check_screen(page, f"forbidden-worker-{locale}")


# --- without a connection -------------------------------------------------------------


@by_locale
def test_offline_page_when_the_server_is_unreachable(
    context: BrowserContext,
    page: Page,
    locale: str,
    cut: Callable[[BrowserContext], None],
    restore: Callable[[BrowserContext], None],
) -> None:
    text = TEXT[locale]
    phone, secret, name, _ = ROLES["foreman"]
    sign_in(page, phone, secret)
    wait_for_service_worker(page)

    cut(context)
    page.goto("/me")
    expect(page.locator("h1")).to_have_text(text["offline"])
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    check_screen(page, f"offline-{locale}")

    restore(context)
    page.goto("/me")
    expect(page.locator("h1")).to_have_text(name)


@by_locale
def test_tapping_a_tab_without_a_connection_shows_the_offline_page(
    context: BrowserContext,
    page: Page,
    locale: str,
    cut: Callable[[BrowserContext], None],
) -> None:
    phone, secret, _, _ = ROLES["foreman"]
    sign_in(page, phone, secret)
    wait_for_service_worker(page)
    cut(context)
    page.locator(".tabbar a").last.click()
    expect(page.locator("h1")).to_have_text(TEXT[locale]["offline"], timeout=5_000)
