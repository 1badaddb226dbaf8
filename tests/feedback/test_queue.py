"""The triage queue: its order, its pages and filters, its counts; SLAs, first answers, to-dos, live news."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.channels import ChannelsPlugin

from app.feedback import live, services, triage
from app.feedback.tables import FeedbackEvent, FeedbackItem, Kind, Severity, SiteSla
from app.sites.tables import Area, Site, SiteMembership
from app.workforce.tables import Crew
from tests import factories
from tests.conftest import fetch_csrf
from tests.feedback.helpers import (
    EN,
    EventStream,
    act,
    add_item,
    finding,
    listed_items,
    report,
    site_with_people,
    visible_text,
)

HOUR = timedelta(hours=1)


async def _queue(client, site_id: int, **params):
    answer = await client.get(f"/sites/{site_id}/queue", params=params, headers=EN)
    assert answer.status_code == 200, answer.text
    return answer


async def _item(item_id: int) -> dict:
    return await FeedbackItem.select().where(FeedbackItem.id == item_id).first()


def _times(item: dict) -> tuple[timedelta, timedelta]:
    """How long after the report the answer, and the fix, are due."""
    return item["respond_by"] - item["created_at"], item["fix_by"] - item["created_at"]


async def _raise(user, site, severity: Severity, kind: Kind = Kind.safety, key: str | None = None) -> int:
    """A report straight through the service (as the route would raise it)."""
    data = services.ReportInput(kind, severity, f"{kind} {severity}", None, False)
    place = {"id": site.id, "timezone": site.timezone}
    key = key or f"queue-test-{severity}-{kind}-{site.id}"
    return await services.raise_item(user, place, data, [], key=key, device="")


async def test_the_nearest_deadline_comes_first_then_the_worse_then_the_older(client, sign_in_as):
    people = await site_with_people()
    soon = datetime.now(UTC) + HOUR
    later = await add_item(people.site.id, severity="critical", deadline=soon + 2 * HOUR)
    low = await add_item(people.site.id, severity="low", deadline=soon)
    critical = await add_item(people.site.id, severity="critical", deadline=soon)
    critical_too = await add_item(people.site.id, severity="critical", deadline=soon)
    late = await add_item(people.site.id, severity="low", deadline=soon - 5 * HOUR)
    high = await add_item(people.site.id, severity="high", status="assigned", deadline=soon)
    await sign_in_as(people.supervisor)
    page = await _queue(client, people.site.id)
    assert listed_items(page.text) == [late, critical, critical_too, high, low, later]


@pytest.mark.parametrize(
    ("severity", "respond_hours", "fix_hours"),
    [("critical", 4, 24), ("high", 24, 72), ("medium", 72, 7 * 24), ("low", 7 * 24, 30 * 24)],
)
async def test_default_response_and_fix_times_per_severity(db, severity, respond_hours, fix_hours):
    people = await site_with_people()
    item = await _item(await _raise(people.worker, people.site, Severity(severity)))
    assert _times(item) == (timedelta(hours=respond_hours), timedelta(hours=fix_hours))
    assert item["deadline"] == item["respond_by"]


async def test_a_projects_own_times_apply_to_new_items_only(client, sign_in_as):
    people = await site_with_people()
    before = await _item(await _raise(people.worker, people.site, Severity.high, key="queue-test-before-1"))
    manager = await factories.user("manager")
    await SiteMembership.insert(SiteMembership(site=people.site.id, member=manager.id))
    await sign_in_as(manager)
    hours = {
        f"{s}_{part}": "500" for s in ("critical", "high", "medium", "low") for part in ("respond", "fix")
    }
    csrf = await fetch_csrf(client)
    saved = await client.post(
        f"/sites/{people.site.id}/sla",
        data={"_csrf_token": csrf, **hours, "high_respond": "2", "high_fix": "10"},
    )
    assert saved.status_code == 303
    page = await client.get(f"/sites/{people.site.id}/sla", headers=EN)
    assert 'name="high_respond" value="2"' in page.text and 'name="high_fix" value="10"' in page.text
    await sign_in_as(people.worker)
    assert (await report(client, people.site.id, severity="high")).status_code == 200
    after = await FeedbackItem.select().where(FeedbackItem.id != before["id"]).first()
    assert _times(after) == (2 * HOUR, 10 * HOUR)
    assert await _item(before["id"]) == before


async def test_a_table_with_some_severities_keeps_the_defaults_for_the_rest(db):
    people = await site_with_people()
    await SiteSla.insert(SiteSla(site=people.site.id, severity="critical", respond_hours=1, fix_hours=8))
    other = await factories.site("另一个工地")
    critical = await _item(await _raise(people.worker, people.site, Severity.critical))
    low = await _item(await _raise(people.worker, people.site, Severity.low))
    elsewhere = await _item(await _raise(people.worker, other, Severity.critical))
    assert _times(critical) == (HOUR, 8 * HOUR)
    assert _times(low) == (timedelta(days=7), timedelta(days=30))
    assert _times(elsewhere) == (4 * HOUR, 24 * HOUR)


def _more_link(text: str) -> str | None:
    found = re.search(r'<li id="queue-more"[^>]*hx-get="([^"]*)"', text)
    return html.unescape(found.group(1)) if found else None


async def test_following_more_walks_every_item_once(client, sign_in_as):
    people = await site_with_people()
    start = datetime.now(UTC).replace(microsecond=0) + HOUR
    for number in range(45):
        # Three deadlines (two on whole seconds), few critical: each page ends inside a run of equal keys.
        deadline = start + (number % 3) * HOUR + timedelta(microseconds=250_000 if number % 3 == 2 else 0)
        await add_item(people.site.id, severity="critical" if number % 5 == 0 else "low", deadline=deadline)
    rows = await FeedbackItem.select(FeedbackItem.id, FeedbackItem.deadline, FeedbackItem.severity_rank)
    expected = [
        row["id"] for row in sorted(rows, key=lambda r: (r["deadline"], -r["severity_rank"], r["id"]))
    ]
    await sign_in_as(people.supervisor)
    page = await _queue(client, people.site.id)
    seen, link, pages = listed_items(page.text), _more_link(page.text), 1
    assert len(seen) == 20 and "Open 45" in visible_text(page.text)
    while link:
        more = await client.get(
            f"/sites/{people.site.id}/queue{link}",
            headers={"HX-Request": "true", "HX-Target": "queue-more", **EN},
        )
        assert more.status_code == 200
        # Only the next rows and the next "More": no page, no counts, no filters around them.
        assert more.text.lstrip().startswith('<li id="item-') and "<html" not in more.text
        assert "queue-list" not in more.text and "Filter" not in more.text
        seen += listed_items(more.text)
        link, pages = _more_link(more.text), pages + 1
    assert pages == 3
    assert seen == expected


async def test_each_filter_shows_exactly_its_items_and_the_counts_are_right(client, sign_in_as):
    people = await site_with_people()
    site_id, now = people.site.id, datetime.now(UTC)
    area = (await Area.select(Area.id).where(Area.site == site_id).first())["id"]
    other_area = (await Area.insert(Area(site=site_id, name="2号楼", position=1)))[0]["id"]
    crew = (await Crew.select(Crew.id).where(Crew.site == site_id).first())["id"]
    other_crew = (await factories.crew(people.site, name="木工班")).id
    mine, foreman = people.supervisor.id, people.foreman.id
    specs = [
        {"kind": "safety", "severity": "high", "status": "new", "area": area, "crew": crew},
        {"kind": "quality", "severity": "low", "status": "assigned", "owner": foreman, "area": other_area},
        {"kind": "quality", "severity": "critical", "status": "new", "deadline": now - 2 * HOUR},
        {"kind": "materials", "severity": "medium", "status": "fixed", "owner": mine, "crew": other_crew},
        {"kind": "welfare", "severity": "medium", "status": "assigned", "owner": mine, "area": area},
        {"kind": "safety", "severity": "low", "status": "closed", "area": area, "deadline": now - 3 * HOUR},
        {"kind": "schedule", "severity": "high", "status": "rejected", "crew": crew},
        {"kind": "safety", "severity": "medium", "status": "duplicate"},
        {"kind": "quality", "severity": "high", "status": "accepted"},
        {"kind": "quality", "severity": "low", "status": "assigned", "owner": mine, "deadline": now - HOUR},
    ]
    ids = [await add_item(site_id, **spec) for spec in specs]
    # Never on this queue: a system suggestion, another project's report.
    await add_item(site_id, kind="system", deadline=now - HOUR)
    await add_item((await factories.site("另一个工地")).id, deadline=now - HOUR)

    def matching(test) -> list[int]:
        return sorted(i for i, spec in zip(ids, specs, strict=True) if test(spec))

    def is_open(spec) -> bool:
        return spec["status"] in ("new", "assigned", "fixed")

    def overdue(spec) -> bool:
        return is_open(spec) and spec.get("deadline", now + HOUR) < now

    cases = [
        ({}, is_open),
        ({"kind": "quality"}, lambda s: is_open(s) and s["kind"] == "quality"),
        ({"severity": "medium"}, lambda s: is_open(s) and s["severity"] == "medium"),
        ({"status": "closed"}, lambda s: s["status"] == "closed"),
        ({"status": "accepted"}, lambda s: s["status"] == "accepted"),
        ({"status": "assigned"}, lambda s: s["status"] == "assigned"),
        ({"area": area}, lambda s: is_open(s) and s.get("area") == area),
        ({"crew": other_crew}, lambda s: is_open(s) and s.get("crew") == other_crew),
        ({"overdue": "1"}, overdue),
        ({"mine": "1"}, lambda s: is_open(s) and s.get("owner") == mine),
        ({"kind": "quality", "overdue": "1"}, lambda s: overdue(s) and s["kind"] == "quality"),
        ({"status": "rejected", "crew": crew}, lambda s: s["status"] == "rejected" and s.get("crew") == crew),
        ({"kind": "system"}, lambda s: False),
    ]
    await sign_in_as(people.supervisor)
    for params, test in cases:
        page = await _queue(client, site_id, **params)
        assert sorted(listed_items(page.text)) == matching(test), params
        counts = re.search(r'<p class="counts"[^>]*>(.*?)</p>', page.text, re.S).group(1)
        assert visible_text(counts) == "Open 6 New 2 Being fixed 3 Fixed, to re-inspect 1 Overdue 2"


async def test_the_first_answer_is_the_first_step_by_someone_else(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    await report(client, people.site.id)
    item = await FeedbackItem.select().first()
    assert (await act(client, item["id"], "comment", row=False, comment="还没人来看")).status_code == 303
    assert (await _item(item["id"]))["first_response_at"] is None
    await sign_in_as(people.supervisor)
    assert (await act(client, item["id"], "comment", row=False, comment="明天上午处理")).status_code == 303
    answered = (await _item(item["id"]))["first_response_at"]
    events = await FeedbackEvent.select().where(FeedbackEvent.item == item["id"]).order_by(FeedbackEvent.id)
    assert [event["action"] for event in events] == ["created", "comment", "comment"]
    assert answered == events[-1]["created_at"]
    assert (await act(client, item["id"], "assign", owner=str(people.foreman.id))).status_code == 200
    assert (await _item(item["id"]))["first_response_at"] == answered

    second = await add_item(people.site.id, reporter=people.worker.id)
    assert (await act(client, second, "reject", reason="不在本项目范围")).status_code == 200
    rejected = await _item(second)
    assert rejected["first_response_at"] == rejected["updated_at"] and not rejected["is_open"]


async def test_an_answered_report_waits_for_its_fix_not_for_an_answer(client, sign_in_as):
    """Like a finding: once answered, the deadline the queue sorts on is the fix's."""
    people = await site_with_people()
    item_id = await add_item(people.site.id, reporter=people.worker.id)
    await sign_in_as(people.supervisor)
    assert (await act(client, item_id, "comment", comment="收到，明天安排")).status_code == 200
    item = await _item(item_id)
    assert item["status"] == "new" and item["first_response_at"] is not None
    assert item["deadline"] == item["fix_by"]
    assert await triage.mark_overdue(now=item["respond_by"] + HOUR) == 0


async def test_a_finding_starts_answered_and_waits_for_its_fix(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.supervisor)
    assert (await finding(client, people.site.id)).status_code == 303
    item = await FeedbackItem.select().first()
    assert item["source"] == "inspection" and item["status"] == "new"
    assert item["first_response_at"] == item["created_at"]
    assert item["deadline"] == item["fix_by"] == item["created_at"] + timedelta(days=7)


async def test_assigning_sets_the_owner_and_the_end_of_the_chosen_day_in_the_projects_zone(
    client, sign_in_as
):
    people = await site_with_people()
    await Site.update({Site.timezone: "Asia/Kolkata"}).where(Site.id == people.site.id)
    item_id = await add_item(people.site.id, description="配电箱门锁损坏")
    due = datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=3)
    await sign_in_as(people.supervisor)
    answer = await act(client, item_id, "assign", owner=str(people.foreman.id), due_on=due.isoformat())
    assert answer.status_code == 200
    item = await _item(item_id)
    end_of_day = datetime.combine(due, time(23, 59), ZoneInfo("Asia/Kolkata")).astimezone(UTC)
    assert (item["status"], item["owner"]) == ("assigned", people.foreman.id)
    assert item["fix_by"] == item["deadline"] == end_of_day
    await sign_in_as(people.foreman)
    fixes = visible_text((await client.get("/me/fixes", headers=EN)).text)
    assert f"#{item_id} 配电箱门锁损坏" in fixes and "Nothing to fix" not in fixes


def _todo(text: str) -> list[tuple[str, int, bool, str]]:
    """(label, count, urgent, link) of each line of the to-do list, in its order."""
    found = re.findall(
        r'<a class="todo-item( urgent)?" href="([^"]*)">\s*<span>([^<]*)(?:<small[^>]*>[^<]*</small>)?</span>'
        r'\s*<span class="count">([^<]*)</span>',
        text,
    )
    return [
        (html.unescape(label).strip(), int(count), bool(urgent), html.unescape(link))
        for urgent, link, label, count in found
    ]


async def test_the_to_do_lists_count_reports_fixes_and_overdue_items(client, sign_in_as):
    people = await site_with_people()
    site_id, now = people.site.id, datetime.now(UTC)
    await add_item(site_id)
    await add_item(site_id, deadline=now - HOUR)
    await add_item(site_id, severity="high")
    await add_item(site_id, status="fixed", owner=people.foreman.id)
    await add_item(site_id, status="fixed", owner=people.foreman.id, deadline=now - HOUR)
    await add_item(site_id, status="assigned", owner=people.foreman.id, deadline=now - HOUR)
    await add_item(site_id, status="assigned", owner=people.foreman.id)
    await add_item(site_id, status="closed", deadline=now - HOUR)
    await add_item(site_id, kind="system", deadline=now - HOUR)
    await add_item((await factories.site("另一个工地")).id, deadline=now - HOUR)
    await sign_in_as(people.supervisor)
    todo = _todo((await client.get("/", headers=EN)).text)
    queue = f"/sites/{site_id}/queue"
    assert todo[0] == ("Overdue reports and fixes", 3, True, f"{queue}?overdue=1")
    assert ("Reports to triage", 3, False, queue) in todo
    assert ("Fixes to re-inspect", 2, False, f"{queue}?status=fixed") in todo
    assert len(listed_items((await client.get(todo[0][3])).text)) == 3
    await sign_in_as(people.foreman)
    todo = _todo((await client.get("/", headers=EN)).text)
    assert todo[0] == ("Your fixes that are overdue", 1, True, "/me/fixes")
    assert ("Fixes assigned to you", 1, False, "/me/fixes") in todo


async def test_overdue_is_marked_once_per_deadline(db):
    people = await site_with_people()
    now = datetime.now(UTC)
    late = await add_item(people.site.id, deadline=now - HOUR)
    soon = await add_item(people.site.id, deadline=now + HOUR)
    await add_item(people.site.id, status="closed", deadline=now - HOUR)
    await add_item(people.site.id, status="rejected", deadline=now - HOUR)

    async def overdue_marks() -> list[int]:
        rows = await FeedbackEvent.select(FeedbackEvent.item).where(FeedbackEvent.action == "overdue")
        return sorted(row["item"] for row in rows)

    assert await triage.mark_overdue(now=now) == 1
    assert await triage.mark_overdue(now=now + timedelta(minutes=5)) == 0
    assert await overdue_marks() == [late]
    assert await triage.mark_overdue(now=now + 2 * HOUR) == 1
    assert await overdue_marks() == [late, soon]
    # A new deadline (the fix's, once assigned) can go overdue again.
    await FeedbackItem.update({FeedbackItem.deadline: now + 3 * HOUR}).where(FeedbackItem.id == late)
    assert await triage.mark_overdue(now=now + 4 * HOUR) == 1
    assert await overdue_marks() == [late, late, soon]


async def test_system_suggestions_are_the_admins_queue_not_the_sites(client, sign_in_as):
    people = await site_with_people()
    admin = await factories.user("admin")
    await sign_in_as(people.worker)
    await report(client, people.site.id, kind="system", severity="low", description="打卡页面希望加大字体")
    suggestion = (await FeedbackItem.select(FeedbackItem.id).first())["id"]
    await sign_in_as(people.supervisor)
    for params in ({}, {"kind": "system"}, {"status": "new"}):
        page = await _queue(client, people.site.id, **params)
        assert listed_items(page.text) == [] and "打卡页面希望加大字体" not in page.text
    assert "Open 0" in visible_text(page.text)
    refused = await act(client, suggestion, "accept")
    assert refused.status_code == 404
    assert (await _item(suggestion))["status"] == "new"
    await sign_in_as(admin)
    page = await client.get("/queue/system", headers=EN)
    assert listed_items(page.text) == [suggestion] and "打卡页面希望加大字体" in page.text
    assert ("System suggestions to answer", 1, False, "/queue/system") in _todo(
        (await client.get("/", headers=EN)).text
    )
    assert (await act(client, suggestion, "accept")).status_code == 200
    assert (await _item(suggestion))["status"] == "accepted"


async def test_only_the_projects_triagers_may_listen_to_its_queue(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    assert (await client.get(f"/sites/{people.site.id}/queue/stream")).status_code == 403
    assert (await client.get("/queue/system/stream")).status_code == 403
    stranger = await factories.user("supervisor")
    await factories.site("另一个工地", members=(stranger,))
    await sign_in_as(stranger)
    assert (await client.get(f"/sites/{people.site.id}/queue/stream")).status_code == 404
    assert (await client.get("/queue/system/stream")).status_code == 403


async def test_an_open_queue_hears_of_a_new_report_at_once(app, client, sign_in_as):
    people = await site_with_people()
    other = await factories.site("另一个工地")
    await sign_in_as(people.supervisor)
    plugin = app.plugins.get(ChannelsPlugin)
    assert live._plugin is plugin
    path = f"/sites/{people.site.id}/queue/stream"
    async with plugin, EventStream(app, path, {"fp_session": client.cookies["fp_session"]}) as stream:
        await stream.heard(": listening")
        await _raise(people.worker, people.site, Severity.low, Kind.system)
        await _raise(people.worker, other, Severity.high)
        await sign_in_as(people.worker)
        assert (await report(client, people.site.id)).status_code == 200
        await stream.heard("event: item")
    (mine,) = await FeedbackItem.select(FeedbackItem.id).where(
        (FeedbackItem.site == people.site.id) & (FeedbackItem.kind != "system")
    )
    assert stream.status == [200]
    assert re.findall(r"event: item\r?\ndata: (\d+)", stream.text) == [str(mine["id"])]
    # What the page then fetches: its list again (counts and rows), not the whole page.
    await sign_in_as(people.supervisor)
    fresh = await client.get(
        path.removesuffix("/stream"), headers={"HX-Request": "true", "HX-Target": "queue-list", **EN}
    )
    assert fresh.text.lstrip().startswith('<div id="queue-list">') and "<html" not in fresh.text
    assert listed_items(fresh.text) == [mine["id"]] and "Open 1" in visible_text(fresh.text)
