"""The audit browser over HTTP: who may look, what each filter keeps, paging, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.audit.services import ANONYMOUS, SYSTEM
from app.audit.tables import AuditEntry
from tests import factories

EN = {"accept-language": "en"}
FRAGMENT = {**EN, "HX-Request": "true", "HX-Target": "audit-entries"}
MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DEVICE = "3fa2c1" + "9" * 26


async def entry(*, actor=None, site=None, action="worker.update", record_type="worker",
                record_id="1", at=MORNING, label=None, device="", detail=None) -> AuditEntry:
    created = AuditEntry(
        at=at, actor=actor.id if actor else None,
        actor_label=label or (actor.name if actor else SYSTEM), device=device, action=action,
        record_type=record_type, record_id=record_id, site=site.id if site else None,
        detail=detail or {},
    )
    await created.save()
    return created


def shown_records(html: str) -> list[str]:
    """The record numbers of the entries on the page, top to bottom."""
    return re.findall(r"(?:Worker|Account) ([\w-]+)</a>", html)


async def empty_log() -> None:
    """Making people writes entries too; some tests need only their own."""
    await AuditEntry.delete(force=True)


@pytest.fixture
async def admin(client, sign_in_as):
    await sign_in_as(await factories.user("admin"))
    await empty_log()
    return client


async def test_the_log_as_a_page_and_as_a_fragment(admin):
    foreman = await factories.user("foreman", name="王工长")
    site = await factories.site("浦东一期")
    await entry(actor=foreman, site=site, record_id="17", device=DEVICE)
    page = await admin.get("/audit", headers=EN)
    assert page.status_code == 200 and "<html" in page.text
    assert "HX-Request" in page.headers["vary"]
    for shown in ("Audit log", "Worker changed", "王工长", "浦东一期", "Worker 17", "Device 3fa2c1"):
        assert shown in page.text
    assert DEVICE not in page.text
    fragment = await admin.get("/audit", headers=FRAGMENT)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="audit-entries"')
    assert "<html" not in fragment.text and "王工长" in fragment.text


async def test_the_system_and_anonymous_reporters_are_named_as_such(admin):
    await entry(label=SYSTEM, record_id="s")
    await entry(label=ANONYMOUS, record_id="a")
    page = await admin.get("/audit", headers=EN)
    assert ">system<" in page.text and ">anonymous<" in page.text


async def test_filter_by_person(admin):
    first, second = await factories.user("foreman", name="甲"), await factories.user("foreman", name="乙")
    await entry(actor=first, record_id="by-first")
    await entry(actor=second, record_id="by-second")
    page = await admin.get(f"/audit?person={first.id}", headers=EN)
    assert shown_records(page.text) == ["by-first"]
    assert "Only entries by 甲" in page.text


async def test_filter_by_record(admin):
    await entry(record_type="worker", record_id="5")
    await entry(record_type="worker", record_id="6")
    await entry(record_type="user", record_id="5")
    assert shown_records((await admin.get("/audit?record_type=worker", headers=EN)).text) == ["6", "5"]
    assert shown_records((await admin.get("/audit?record_id=5", headers=EN)).text) == ["5", "5"]
    both = await admin.get("/audit?record_type=user&record_id=5", headers=EN)
    assert shown_records(both.text) == ["5"] and "Account 5" in both.text


async def test_filter_by_site(admin):
    east, west = await factories.site("东区"), await factories.site("西区")
    await entry(site=east, record_id="east")
    await entry(site=west, record_id="west")
    await entry(record_id="nowhere")
    assert shown_records((await admin.get(f"/audit?site={west.id}", headers=EN)).text) == ["west"]


async def test_dates_are_whole_days_in_shanghai_both_ends_included(admin):
    await entry(at=datetime(2026, 3, 1, 15, 59, tzinfo=UTC), record_id="mar1-late")  # 23:59 on 1 March
    await entry(at=datetime(2026, 3, 1, 16, 0, tzinfo=UTC), record_id="mar2-start")  # 00:00 on 2 March
    await entry(at=datetime(2026, 3, 2, 15, 59, tzinfo=UTC), record_id="mar2-late")
    await entry(at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC), record_id="mar3-start")
    day = await admin.get("/audit?date_from=2026-03-02&date_to=2026-03-02", headers=EN)
    assert shown_records(day.text) == ["mar2-late", "mar2-start"]
    until = await admin.get("/audit?date_to=2026-03-01", headers=EN)
    assert shown_records(until.text) == ["mar1-late"]
    since = await admin.get("/audit?date_from=2026-03-03", headers=EN)
    assert shown_records(since.text) == ["mar3-start"]


async def test_pages_of_fifty_newest_first_with_a_more_link(admin):
    for number in range(120):
        await entry(record_id=f"n{number}", at=MORNING + timedelta(minutes=number))
    first = await admin.get("/audit?record_type=worker", headers=EN)
    assert shown_records(first.text) == [f"n{n}" for n in range(119, 69, -1)]
    more = re.search(r'<li id="audit-more">\s*<a class="button" href="([^"]+)"', first.text)
    assert more and "record_type=worker" in more.group(1)
    next_page = more.group(1).replace("&amp;", "&")
    plain = await admin.get(next_page, headers=EN)
    assert "<html" in plain.text
    assert shown_records(plain.text) == [f"n{n}" for n in range(69, 19, -1)]
    appended = await admin.get(next_page, headers={**EN, "HX-Request": "true", "HX-Target": "audit-more"})
    assert "<html" not in appended.text and "<form" not in appended.text
    assert appended.text.lstrip().startswith("<li")
    assert shown_records(appended.text) == shown_records(plain.text)
    last = re.search(r'<li id="audit-more">\s*<a class="button" href="([^"]+)"', appended.text)
    assert last
    end = await admin.get(last.group(1).replace("&amp;", "&"), headers=EN)
    assert shown_records(end.text) == [f"n{n}" for n in range(19, -1, -1)]
    assert 'id="audit-more"' not in end.text


async def test_a_manager_sees_only_their_own_sites_entries(client, sign_in_as):
    manager = await factories.user("manager")
    mine = await factories.site("我的项目", members=(manager,))
    theirs = await factories.site("别人的项目")
    await entry(site=mine, record_id="mine")
    await entry(site=theirs, record_id="theirs")
    await entry(record_id="no-site")
    await sign_in_as(manager)
    page = await client.get("/audit", headers=EN)
    assert shown_records(page.text) == ["mine"]
    assert "别人的项目" not in page.text
    asked = await client.get(f"/audit?site={theirs.id}", headers=EN)
    assert asked.status_code == 200 and shown_records(asked.text) == []


async def test_executives_see_every_entry(client, sign_in_as):
    await sign_in_as(await factories.user("executive"))
    await empty_log()
    await entry(site=await factories.site("一号工地"), record_id="site")
    await entry(record_id="no-site")
    assert shown_records((await client.get("/audit", headers=EN)).text) == ["no-site", "site"]


async def test_a_managers_filter_by_person_reveals_no_name_from_elsewhere(client, sign_in_as):
    manager = await factories.user("manager")
    stranger = await factories.user("foreman", name="外人")
    await entry(actor=stranger, site=await factories.site("别处"))
    await sign_in_as(manager)
    page = await client.get(f"/audit?person={stranger.id}", headers=EN)
    assert page.status_code == 200 and "外人" not in page.text


@pytest.mark.parametrize("role", ["worker", "foreman", "supervisor"])
async def test_field_roles_may_not_browse_the_log(client, sign_in_as, role):
    await sign_in_as(await factories.user(role))
    assert (await client.get("/audit", headers=EN)).status_code == 403


async def test_signed_out_visitors_are_sent_to_sign_in(client):
    answer = await client.get("/audit")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01", "Enter a date as year-month-day."),
        ("date_to=yesterday", "Enter a date as year-month-day."),
        ("date_from=2026-03-05&date_to=2026-03-01", "The end date is before the start date."),
        ("site=east", "Choose a project from the list."),
        ("person=99999999999999", "Tap a name in the list to choose a person."),
    ],
)
async def test_a_bad_filter_is_refused_beside_its_field_with_the_form_kept(admin, query, message):
    await entry(record_id="kept-back")
    page = await admin.get(f"/audit?{query}", headers=EN)
    assert page.status_code == 422
    assert message in page.text and 'class="error"' in page.text
    assert "<form" in page.text and shown_records(page.text) == []
    for value in re.findall(r"=([^&]+)", query):
        assert value in page.text
    fragment = await admin.get(f"/audit?{query}", headers=FRAGMENT)
    assert fragment.status_code == 422 and message in fragment.text
    assert fragment.text.lstrip().startswith('<section id="audit-entries"')


async def test_a_bad_filter_speaks_the_users_language(admin):
    page = await admin.get("/audit?date_from=someday", headers={"accept-language": "zh-CN"})
    assert page.status_code == 422 and 'class="error"' in page.text
    assert "Enter a date as year-month-day." not in page.text


async def test_an_impossible_page_cursor_is_not_an_error(admin):
    await entry(record_id="only")
    assert shown_records((await admin.get("/audit?before=99999999999999", headers=EN)).text) == ["only"]
    assert (await admin.get("/audit?before=soon", headers=EN)).status_code == 400


async def test_names_and_details_are_escaped(admin):
    mallory = await factories.user("foreman", name="<script>alert(1)</script>")
    await entry(actor=mallory, detail={"note": "<img src=x onerror=alert(2)>"}, record_id="x")
    page = await admin.get("/audit", headers=EN)
    assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text and "&lt;img src=x" in page.text
