"""The leadership view on a phone, in both languages: the executive opens the dashboard,
goes back a week, switches site and period, reads a definition, opens the ranking; the
public ranking for notice boards shows sites and scores to anyone.

The demo data holds eight weeks of history before today (app/demo_history.py).
"""

from __future__ import annotations

import re

import pytest
from conftest import LOCALES, check_screen, sign_in
from playwright.sync_api import Browser, BrowserContext, expect

EXECUTIVE = "13800000002"
PASSWORD = "fieldpost"
FIRST_SITE = "浦东滨江花园二期"
SECOND_SITE = "杭州未来科技城 B 地块"
TEXT = {
    "zh-CN": {
        "dashboard": "看板",
        "earlier": "上一期",
        "site": "项目",
        "period": "周期",
        "month": "月份",
        "show": "筛选",
        "definition": "这些工人中本期至少打卡一次的比例。",
        "ranking": "项目排名",
        "public": "公开页面",
    },
    "en": {
        "dashboard": "Dashboard",
        "earlier": "Earlier",
        "site": "Site",
        "period": "Period",
        "month": "Month",
        "show": "Show",
        "definition": "The share of those workers who checked in at least once in the period.",
        "ranking": "Site ranking",
        "public": "Public page",
    },
}
PERCENT = re.compile(r"^[1-9]\d*%")  # a share above zero
MONTH = re.compile(r"^(\d{4}年\d{1,2}月|[A-Z][a-z]+ \d{4})$")  # 2026年11月, November 2026


@pytest.mark.parametrize("locale", LOCALES)
def test_the_executive_reads_the_dashboard_and_the_ranking(context: BrowserContext, locale: str):
    text = TEXT[locale]
    page = context.new_page()
    sign_in(page, EXECUTIVE, PASSWORD)
    check_screen(page, f"executive-todo-{locale}")
    page.locator(".tabbar a", has_text=text["dashboard"]).click()
    expect(page.locator("h1")).to_have_text(text["dashboard"])

    # Last week: whole weeks of the demo's history, on every site.
    page.locator(".period-pager a", has_text=text["earlier"]).click()
    adoption = page.locator('[data-kpi="adoption"] dd')
    expect(adoption).to_have_text(PERCENT)
    expect(page.locator(".trend svg circle").first).to_be_attached()
    assert page.locator(".trend").count() == 5
    check_screen(page, f"dashboard-company-{locale}")

    # One site, then the month.
    page.get_by_label(text["site"], exact=True).select_option(label=SECOND_SITE)
    page.locator(".period-form button[type=submit]").click()
    expect(page.locator(".hint").first).to_have_text(SECOND_SITE)
    expect(adoption).to_have_text(PERCENT)
    page.get_by_label(text["period"], exact=True).select_option(label=text["month"])
    page.locator(".period-form button[type=submit]").click()
    expect(page.locator(".period-pager strong")).to_have_text(MONTH)
    expect(page.locator(".hint").first).to_have_text(SECOND_SITE)

    # What adoption means: one tap.
    page.locator('[data-kpi="adoption"] summary').click()
    expect(page.get_by_text(text["definition"])).to_be_visible()
    check_screen(page, f"dashboard-site-month-{locale}")

    page.locator(".title-row a", has_text=text["ranking"]).click()
    expect(page.locator("h1")).to_have_text(text["ranking"])
    # The demo's two sites, and any other browser tests made.
    rows = page.locator(".ranking-row")
    expect(rows.filter(has_text=SECOND_SITE)).to_have_count(1)
    expect(rows.filter(has_text=FIRST_SITE)).to_have_count(1)
    expect(rows.first.locator(".rank")).to_have_text("1")
    check_screen(page, f"ranking-{locale}")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_public_ranking_needs_no_sign_in(browser: Browser, server: str, locale: str):
    anonymous = browser.new_context(base_url=server, locale=locale, viewport={"width": 390, "height": 844})
    page = anonymous.new_page()
    page.goto("/ranking")
    expect(page.get_by_text(TEXT[locale]["public"])).to_be_visible()
    expect(page.locator(".ranking-row", has_text=FIRST_SITE)).to_have_count(1)
    expect(page.locator(".ranking-row", has_text=SECOND_SITE)).to_have_count(1)
    expect(page.locator(".tabbar")).to_have_count(0)
    check_screen(page, f"ranking-public-{locale}")
    anonymous.close()
