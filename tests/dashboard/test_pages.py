"""The dashboard, the ranking and its public board over HTTP: who sees what, bad periods."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from app.dashboard.periods import week_of
from app.sites.tables import SiteMembership
from tests import factories
from tests.dashboard import data
from tests.feedback.helpers import EN, add_item

WEEK = {"period": "week", "date": data.MONDAY.isoformat()}


def _kpi(page: str, key: str) -> str:
    """The value shown for one KPI (the text of its <dd>, spaces squeezed)."""
    found = re.search(rf'data-kpi="{key}".*?<dd>(.*?)</dd>', page, re.S)
    assert found, key
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


async def test_the_executive_sees_the_company_and_each_site(client, sign_in_as):
    world = await data.build()
    await sign_in_as(await factories.user("executive"))
    page = await client.get("/dashboard", params=WEEK, headers=EN)
    assert page.status_code == 200
    assert _kpi(page.text, "adoption") == "57% 4 / 7"
    assert _kpi(page.text, "received") == "7"
    assert _kpi(page.text, "median_response_s") == "2 hr"
    assert "<svg" in page.text and "Trends, week by week" in page.text
    assert "script" not in page.text.split("Trends, week by week")[1]  # charts drawn on the server
    one = await client.get("/dashboard", params={**WEEK, "site": world.a.id})
    assert _kpi(one.text, "adoption") == "60% 3 / 5"
    assert "采用率" in one.text and "甲工地" in one.text


async def test_a_manager_sees_only_their_sites(client, sign_in_as):
    world = await data.build()
    manager = await factories.user("manager")
    await SiteMembership.insert(SiteMembership(site=world.a.id, member=manager.id))
    await sign_in_as(manager)
    mine = await client.get("/dashboard", params=WEEK, headers=EN)
    assert _kpi(mine.text, "adoption") == "60% 3 / 5"  # 甲 alone
    assert (await client.get("/dashboard", params={"site": world.b.id})).status_code == 404
    ranking = await client.get("/dashboard/ranking", params=WEEK)
    assert "甲工地" in ranking.text and "乙工地" not in ranking.text


async def test_workers_and_supervisors_are_refused(client, sign_in_as):
    await data.build()
    for role in ("worker", "supervisor"):
        await sign_in_as(await factories.user(role))
        assert (await client.get("/dashboard")).status_code == 403


async def test_bad_periods_get_a_message_and_the_current_week(client, sign_in_as):
    await data.build()
    await sign_in_as(await factories.user("executive"))
    this_week = week_of(date.today())
    future = await client.get("/dashboard", params={"period": "month", "date": "2099-01-01"}, headers=EN)
    assert future.status_code == 200 and "That period has not begun yet." in future.text
    assert f'value="{this_week.start}"' in future.text
    reversed_ = await client.get(
        "/dashboard", params={"period": "custom", "from": "2026-11-20", "to": "2026-11-10"}, headers=EN
    )
    assert "The last day comes before the first." in reversed_.text
    garbled = await client.get("/dashboard", params={"period": "week", "date": "2026-13-40"}, headers=EN)
    assert "Enter a date like 2026-03-31." in garbled.text
    huge = await client.get(
        "/dashboard", params={"period": "custom", "from": "2020-01-01", "to": "2026-11-22"}, headers=EN
    )
    assert "A period is at most a year: showing 2025-11-22 to 2026-11-22." in huge.text
    chinese = await client.get("/dashboard", params={"period": "custom", "from": "x", "to": "2026-11-22"})
    assert "请按 2026-03-31 的格式填写日期。" in chinese.text


async def test_the_public_ranking_shows_sites_and_scores_only(client, sign_in_as):
    await data.build()
    board = await client.get("/ranking", params=WEEK, headers=EN)
    assert board.status_code == 200
    assert re.findall(r'class="row-title">([^<]+)<', board.text) == ["乙工地", "甲工地"]
    assert "65.0" in board.text and "48.5" in board.text and "▲1" in board.text
    assert "worker " not in board.text  # no person's name (the factories name people "worker NNN")


async def test_the_executive_to_do_leads_with_sites_that_fell_and_overdue_critical_items(client, sign_in_as):
    a = await factories.site("甲工地")
    b = await factories.site("乙工地")
    crew_a, crew_b = await factories.crew(a), await factories.crew(b)
    worker_a, worker_b = await factories.worker(crew_a), await factories.worker(crew_b)
    last_week = week_of(date.today()).previous()
    # The week before last only 甲 checked in; last week only 乙: 甲 fell from first to second.
    await data._day(worker_a.id, a, last_week.start - timedelta(days=3))
    await data._day(worker_b.id, b, last_week.start + timedelta(days=1))
    late = datetime.now(UTC) - timedelta(hours=30)
    await add_item(a.id, severity="critical", status="assigned", created_at=late)
    await add_item(a.id, severity="high", status="assigned", created_at=late - timedelta(days=5))
    await sign_in_as(await factories.user("executive"))
    home = await client.get("/", headers=EN)
    items = re.findall(
        r'class="todo-item urgent" href="([^"]+)">\s*<span>([^<]+)<small class="todo-detail">([^<]+)<',
        home.text,
    )
    assert [(label.strip(), detail) for _, label, detail in items] == [
        ("Fell in last week's site ranking (places)", "甲工地"),
        ("Overdue critical reports", "甲工地"),
    ]
    assert items[1][0].endswith("overdue=1&amp;severity=critical")
