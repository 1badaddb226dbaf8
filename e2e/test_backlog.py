"""Improvements on phones, in both languages: from a worker's report to "you said, we did".

A worker reports a problem; the supervisor accepts it from the queue, which makes an
improvement (改进事项); two other workers say "me too"; the manager takes it up and marks
it done with a note and a photo; at the next check-in the reporter is asked "fixed?" and
answers "not yet", which takes the improvement up again. The site's public page shows what
was delivered (an improvement the manager added and finished) with its photo and without
anyone's name.
"""

from __future__ import annotations

import io
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from conftest import LOCALES
from phones import Findings, first_site_id, signed_in
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect

PIN = "1234"
STAFF_PASSWORD = "fieldpost"
MANAGER = "13800000003"
SUPERVISOR = "13800000004"
# Demo workers of the first site that no other browser test uses, apart per language.
REPORTERS = {"zh-CN": "13900000011", "en": "13900000012"}
VOTERS = {"zh-CN": ("13900000013", "13900000014"), "en": ("13900000015", "13900000016")}
SLOW = 20_000  # a report through the outbox, a photo upload

TEXT = {
    "zh-CN": {
        "description": "宿舍区热水器坏了，晚上没有热水洗澡",
        "received": r"已收到，编号 #(\d+)",
        "actions": "处理",
        "accept": "采纳",
        "accepted": "已采纳",
        "improvement": r"改进事项 #(\d+)",
        "me_too": "我也遇到",
        "voted": "我也遇到（已投票）",
        "votes": "票数",
        "save": "保存",
        "mark_done": "标记完成",
        "resolution": "已更换热水器并检修管路",
        "question": "问题解决了吗？你的报告 #{number}",
        "not_yet": "还没有",
        "checked_in": "已上班打卡",
        "proposed": "已提出",
        "doing": "进行中",
        "done": "完成",
        "new_title": "工地大门口加装洗车台",
        "new_resolution": "洗车台已建好投入使用",
        "delivered": "您的反馈，我们的行动",
    },
    "en": {
        "description": "The water heater in the dormitory is broken: no hot shower at night",
        "received": r"Received, #(\d+)",
        "actions": "Actions",
        "accept": "Accept",
        "accepted": "Accepted",
        "improvement": r"Improvement #(\d+)",
        "me_too": "Me too",
        "voted": "Me too (voted)",
        "votes": "Votes",
        "save": "Save",
        "mark_done": "Mark done",
        "resolution": "Water heater replaced and its pipes checked",
        "question": "Is it fixed? Your report #{number}",
        "not_yet": "Not yet",
        "checked_in": "Checked in",
        "proposed": "Proposed",
        "doing": "Doing",
        "done": "Done",
        "new_title": "A wheel wash at the site gate",
        "new_resolution": "The wheel wash is built and in use",
        "delivered": "You said, we did",
    },
}


# --- photos ----------------------------------------------------------------------------


def result_photo(label: str) -> bytes:
    """A small phone-camera-like JPEG of the finished work."""
    image = Image.effect_noise((1200, 900), 25).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, (40, 120, 170)), 0.6)
    draw = ImageDraw.Draw(image)
    draw.rectangle((150, 300, 1050, 600), fill=(230, 230, 230))
    draw.text((170, 320), label, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backlog-photos") / "IMG_result.jpg"
    path.write_bytes(result_photo("done"))
    return path


# --- helpers -----------------------------------------------------------------------------


def names_of(db: Path, phones: list[str]) -> list[str]:
    with sqlite3.connect(db) as connection:
        marks = ",".join("?" * len(phones))
        rows = connection.execute(f"SELECT name FROM app_user WHERE phone IN ({marks})", phones)  # noqa: S608
        return [row[0] for row in rows]


def poster_path(manager: BrowserContext, site_id: int) -> str:
    """The path the site's poster carries, read off its print sheet as a manager would.

    In a page of its own: the print sheet has no icon link, so the browser asks for
    /favicon.ico (404), which is not what this test is about.
    """
    sheet = manager.new_page()
    sheet.goto(f"/sites/{site_id}/posters")
    sheet.get_by_role("link", name=re.compile("^(Print|打印)$")).first.click()
    url = sheet.locator(".url").inner_text().strip()
    sheet.close()
    return "/" + url.split("/", 3)[3]


def stage_badge(page: Page):
    return page.locator("h1 + .row-meta .badge").first


def votes_shown(page: Page, text: dict):
    """The "Votes" fact of an improvement's page (not the priority's explanation)."""
    return page.locator(
        ".facts > div", has=page.locator("dt", has_text=re.compile(f"^{text['votes']}$"))
    ).locator("dd")


def mark_done(page: Page, text: dict, note: str, photo: Path) -> None:
    """On an improvement's page: the note, a photo of the result, "Mark done"."""
    page.locator("#b-resolution").fill(note)
    page.set_input_files("#photo-input", str(photo))
    page.get_by_role("button", name=text["mark_done"], exact=True).click()
    expect(stage_badge(page)).to_have_text(text["done"], timeout=SLOW)
    expect(page.locator(".facts")).to_contain_text(note)
    expect(page.locator(".photo-grid img")).to_have_count(1)


def images_loaded(page: Page, selector: str) -> None:
    """Lazy images scrolled into view and actually decoded (not a broken icon)."""
    for image in page.locator(selector).all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every(i => i.complete && i.naturalWidth > 0)",
        arg=selector,
        timeout=10_000,
    )


# --- the test ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_a_report_becomes_an_improvement_voted_done_reopened_and_delivered(
    phone_context, server_db: Path, photo: Path, findings: Findings, locale: str
) -> None:
    text = TEXT[locale]
    site_id = first_site_id(server_db)
    run = uuid.uuid4().hex[:6]
    description = f"{text['description']} [{run}]"

    # 1. A worker reports a problem.
    _, reporter = signed_in(phone_context, locale, "reporter", REPORTERS[locale], PIN, findings)
    reporter.goto("/report")
    reporter.wait_for_load_state("load")  # photos.js is deferred: it must be listening
    reporter.wait_for_function("() => window.Outbox && window.Outbox.usable()")
    reporter.locator("label.kind-tile", has=reporter.locator("input[value=welfare]")).click()
    expect(reporter.locator("input[name=kind][value=welfare]")).to_be_checked()
    reporter.locator("#report-description").fill(description)
    reporter.locator("form[data-photo-upload] button[type=submit]").click()
    result = reporter.locator("#report-result")
    expect(result).to_contain_text(re.compile(text["received"]), timeout=SLOW)
    report = int(re.search(text["received"], result.inner_text()).group(1))  # type: ignore[union-attr]

    # 2. The supervisor accepts it from the site's queue: a new improvement.
    _, supervisor = signed_in(phone_context, locale, "supervisor", SUPERVISOR, STAFF_PASSWORD, findings)
    supervisor.goto(f"/sites/{site_id}/queue")
    row = supervisor.locator(f"#item-{report}")
    expect(row).to_contain_text(description[:40])
    row.locator("summary").click()
    expect(row.locator("input[name=backlog]")).to_have_value("")
    row.get_by_role("button", name=text["accept"], exact=True).click()
    row = supervisor.locator(f"#item-{report}")
    expect(row.locator(".badge").nth(1)).to_have_text(text["accepted"])
    expect(row.get_by_role("button", name=text["accept"], exact=True)).to_have_count(0)

    supervisor.goto(f"/feedback/{report}")
    link = supervisor.get_by_role("link", name=re.compile(text["improvement"]))
    expect(link).to_be_visible()
    improvement = int(re.search(text["improvement"], link.inner_text()).group(1))  # type: ignore[union-attr]
    title = " ".join(description.split())

    supervisor.goto(f"/sites/{site_id}/backlog?status=proposed")
    card = supervisor.locator(f"a.row-card[href='/backlog/{improvement}']")
    expect(card).to_contain_text(f"#{improvement} {title}")
    expect(supervisor.locator(".tabs a[aria-current=page]")).to_contain_text(text["proposed"])
    findings.screen(supervisor, f"backlog-board-{locale}")

    # 3. Two other workers of the site: "me too".
    for n, number in enumerate(VOTERS[locale], start=1):
        _, voter = signed_in(phone_context, locale, f"voter {n}", number, PIN, findings)
        voter.goto(f"/backlog/{improvement}")
        expect(voter.locator("h1")).to_have_text(f"#{improvement} {title}")
        voter.get_by_role("button", name=text["me_too"], exact=True).click()
        voted = voter.get_by_role("button", name=text["voted"], exact=True)
        expect(voted).to_be_disabled()
        expect(votes_shown(voter, text)).to_have_text(str(n))
        if n == 2:
            findings.screen(voter, f"backlog-item-voted-{locale}")

    # 4. The manager takes it up, then marks it done with a note and a photo.
    manager_context, manager = signed_in(phone_context, locale, "manager", MANAGER, STAFF_PASSWORD, findings)
    poster = poster_path(manager_context, site_id)
    manager.goto(f"/backlog/{improvement}")
    expect(votes_shown(manager, text)).to_have_text("2")
    manager.locator("#b-status").select_option("doing")
    manager.get_by_role("button", name=text["save"], exact=True).click()
    expect(stage_badge(manager)).to_have_text(text["doing"])
    mark_done(manager, text, text["resolution"], photo)
    images_loaded(manager, ".photo-grid img")
    findings.screen(manager, f"backlog-item-done-{locale}")

    # The public page shows it while it is done.
    public_context = phone_context(locale)
    public = public_context.new_page()
    findings.watch(public, "public")
    public.goto(f"/sites/{site_id}/delivered")
    expect(public.locator("h1")).to_have_text(text["delivered"])
    expect(public.locator("li.card h2", has_text=title)).to_have_count(1)

    # 5. At the next check-in the reporter is asked "fixed?" and answers "not yet".
    reporter.goto(poster)
    if reporter.locator("#pin").count():
        reporter.locator("#phone").first.fill(REPORTERS[locale])
        reporter.locator("#pin").fill(PIN)
        reporter.locator("form.stack button[type=submit]").first.click()
    tap = reporter.locator(".tap-button")
    expect(tap).to_be_visible()
    tap.click()
    expect(reporter.locator(".confirm-title")).to_have_text(text["checked_in"], timeout=SLOW)
    question = reporter.locator(".question", has_text=text["question"].format(number=report))
    expect(question).to_be_visible()
    expect(question).to_contain_text(description[:30])
    findings.screen(reporter, f"checkin-fixed-question-{locale}")
    question.get_by_role("button", name=text["not_yet"], exact=True).click()
    expect(reporter.locator(".question", has_text=text["question"].format(number=report))).to_have_count(0)
    expect(reporter.locator(".tap-button")).to_be_visible()

    # 6. The improvement is taken up again.
    manager.goto(f"/backlog/{improvement}")
    expect(stage_badge(manager)).to_have_text(text["doing"])
    expect(manager.get_by_role("button", name=text["mark_done"], exact=True)).to_be_visible()
    findings.screen(manager, f"backlog-item-reopened-{locale}")  # with its forms
    public.reload()
    expect(public.locator("li.card h2", has_text=title)).to_have_count(0)

    # 7. The manager adds an improvement directly and finishes it: the public page shows it.
    new_title = f"{text['new_title']} [{run}]"
    manager.goto(f"/backlog/new?site={site_id}")
    expect(manager.locator("#n-site")).to_have_value(str(site_id))
    manager.locator("#n-title").fill(new_title)
    manager.locator("form button.primary[type=submit]").click()
    expect(manager).to_have_url(re.compile(r"/backlog/\d+$"))
    added = int(manager.url.rsplit("/", 1)[1])
    expect(manager.locator("h1")).to_have_text(f"#{added} {new_title}")
    mark_done(manager, text, text["new_resolution"], photo)

    public.reload()
    delivered = public.locator("li.card", has=public.locator("h2", has_text=new_title))
    expect(delivered).to_have_count(1)
    expect(delivered).to_contain_text(text["new_resolution"])
    expect(delivered.locator(".photo-grid img")).to_have_count(1)
    images_loaded(public, "li.card .photo-grid img")
    page_html = public.content()
    people = names_of(server_db, [MANAGER, SUPERVISOR, REPORTERS[locale], *VOTERS[locale]])
    assert len(people) == 5
    shown = [name for name in people if name in page_html]
    assert not shown, f"the public page names people: {shown}"
    findings.screen(public, f"backlog-delivered-{locale}")

    findings.assert_none()
