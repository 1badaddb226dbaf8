"""Feedback on phones, in both languages, from the report to its close (上报 → 指派 → 整改 → 复查):

a worker with no signal reports a safety problem with a photo; it waits on the phone and
is sent when the signal is back; the supervisor's open queue shows it by itself (SSE) and
assigns it to the foreman in place (the row's forms come when its actions open, and the
queue's counts follow); the foreman marks it fixed with a note and a photo, without signal
too; the supervisor re-inspects and closes it; the worker sees it closed among their reports.
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
from playwright.sync_api import Page, expect

PIN = "1234"
STAFF_PASSWORD = "fieldpost"
SUPERVISOR = "13800000004"
FOREMAN = "13800000005"
FOREMAN_NAME = "张班长"  # app/demo.py STAFF_NAMES["foreman"]
# Demo workers of the first site no other browser test signs in as: one per language,
# so the two runs' reports stay apart.
WORKERS = {"zh-CN": "13900000007", "en": "13900000008"}
# Shrinking a photo in a headless browser, then sending it through the relay.
SLOW = 20_000

TEXT = {
    "zh-CN": {
        "description": "3# 楼 5 层临边防护栏杆缺失，有坠落危险",
        "fix_note": "已补装防护栏杆并挂安全网",
        "waiting": "已保存在手机上，有信号后会自动发送。",
        "one_waiting": "1 条待上传",
        "received": r"已收到，编号 #(\d+)",
        "actions": "处理",
        "assign": "指派",
        "being_fixed": "整改中",
        "fixed": "已整改",
        "to_reinspect": "已整改，待复查",
        "pass": "复查通过：关闭",
        "closed": "已关闭",
    },
    "en": {
        "description": "Guard rail missing at the 5th floor edge of block 3: people can fall",
        "fix_note": "Guard rail put back and safety net hung",
        "waiting": "Saved on this phone. It will be sent when there is signal.",
        "one_waiting": "1 waiting to send",
        "received": r"Received, #(\d+)",
        "actions": "Actions",
        "assign": "Assign",
        "being_fixed": "Being fixed",
        "fixed": "Fixed",
        "to_reinspect": "Fixed, to re-inspect",
        "pass": "Passed: close it",
        "closed": "Closed",
    },
}


# --- photos --------------------------------------------------------------------------


def site_photo(colour: tuple[int, int, int], label: str) -> bytes:
    """A phone-camera-like JPEG (a few hundred KB): photos.js shrinks it before sending."""
    image = Image.effect_noise((2400, 1800), 30).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, colour), 0.5)
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 600, 2200, 700), fill=(230, 180, 0))  # a rail
    draw.text((220, 200), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("feedback-photos")
    paths = {}
    for name, colour in (("problem", (200, 60, 40)), ("fix", (40, 160, 70))):
        paths[name] = folder / f"IMG_{name}.jpg"
        paths[name].write_bytes(site_photo(colour, name))
    return paths


# --- helpers ----------------------------------------------------------------------------


def items_described(db: Path, description: str) -> list[int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id FROM feedback_item WHERE description = ?", (description,))
        return [row[0] for row in rows]


def not_reloaded(page: Page) -> None:
    """Marks the document: it survives only as long as no full page load happens."""
    page.evaluate("() => { window.__stillHere = true; }")


def still_same_page(page: Page) -> bool:
    return page.evaluate("() => window.__stillHere === true")


# --- the test ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_a_report_sent_without_signal_is_triaged_live_fixed_and_closed(
    phone_context, server_db: Path, cut, restore, photos: dict[str, Path],
    findings: Findings, locale: str,
) -> None:
    text = TEXT[locale]
    site_id = first_site_id(server_db)
    description = f"{text['description']} [{uuid.uuid4().hex[:6]}]"

    # 1. The supervisor keeps the site's queue open, listening for new items.
    _, supervisor = signed_in(phone_context, locale, "supervisor", SUPERVISOR, STAFF_PASSWORD, findings)
    with supervisor.expect_response(re.compile(rf"/sites/{site_id}/queue/stream$")) as stream:
        supervisor.goto(f"/sites/{site_id}/queue")
    assert stream.value.ok, f"the queue's stream answered {stream.value.status}"
    expect(supervisor.locator("#queue-list")).to_be_visible()
    expect(supervisor.locator("#queue-list")).not_to_contain_text(description)
    not_reloaded(supervisor)

    # 2. A worker reports a safety problem with a photo while the site has no signal.
    worker_context, worker = signed_in(phone_context, locale, "worker", WORKERS[locale], PIN, findings)
    worker.goto("/report")
    expect(worker.locator("form[data-photo-upload=together]")).to_be_visible()
    worker.wait_for_load_state("load")  # photos.js is deferred: it must be listening
    worker.wait_for_function("() => window.Outbox && window.Outbox.usable()")
    findings.screen(worker, f"feedback-report-form-{locale}")

    cut(worker_context)
    worker.locator("label.kind-tile", has=worker.locator("input[value=safety]")).click()
    expect(worker.locator("input[name=kind][value=safety]")).to_be_checked()
    worker.locator("#report-description").fill(description)
    worker.set_input_files("#photo-input", str(photos["problem"]))
    worker.locator("form[data-photo-upload] button[type=submit]").click()

    result = worker.locator("#report-result")
    pending = worker.locator("[data-outbox-pending]")
    expect(result).to_have_text(text["waiting"], timeout=SLOW)
    expect(pending).to_have_text(text["one_waiting"])
    expect(worker.locator("#report-description")).to_have_value("")  # kept on the phone, form free
    findings.screen(worker, f"feedback-report-waiting-{locale}")

    # Signal again: the outbox sends it (its timer or the `online` event; here at once).
    restore(worker_context)
    worker.evaluate("() => window.Outbox.flush({all: true})")
    expect(result).to_contain_text(re.compile(text["received"]), timeout=SLOW)
    expect(pending).to_be_hidden()
    number = int(re.search(text["received"], result.inner_text()).group(1))  # type: ignore[union-attr]
    assert items_described(server_db, description) == [number], "one report, sent once"

    # 3. The supervisor's queue shows it by itself: no reload.
    queue = supervisor.locator("#queue-list")
    expect(queue).to_contain_text(description, timeout=15_000)
    row = supervisor.locator(f"#item-{number}")
    expect(row).to_contain_text(f"#{number}")
    assert still_same_page(supervisor), "the queue page was reloaded to show the new item"
    findings.screen(supervisor, f"feedback-queue-new-{locale}")

    # 4. Assigned to the foreman from the row; only the row changes, and the counts with it.
    being_fixed = supervisor.locator("#queue-counts .badge").nth(2)
    before = int(being_fixed.inner_text().split()[-1])
    expect(row.locator("select[name=owner]")).to_have_count(0)  # the page carries no row forms
    row.locator("summary").click()
    owner = row.locator("select[name=owner]")
    expect(owner).to_be_visible()  # fetched when the actions opened
    foreman_id = owner.locator("option", has_text=FOREMAN_NAME).get_attribute("value")
    assert foreman_id and foreman_id.isdigit(), f"no option for {FOREMAN_NAME} among the owners"
    owner.select_option(value=foreman_id)
    findings.screen(supervisor, f"feedback-queue-actions-{locale}")
    row.get_by_role("button", name=text["assign"], exact=True).click()
    row = supervisor.locator(f"#item-{number}")
    expect(row.locator(".badge").nth(1)).to_have_text(text["being_fixed"])
    expect(row).to_contain_text(FOREMAN_NAME)
    expect(being_fixed).to_have_text(re.compile(rf"\s{before + 1}$"))
    assert still_same_page(supervisor), "assigning reloaded the whole queue page"
    findings.screen(supervisor, f"feedback-queue-assigned-{locale}")

    # 5. The foreman marks it fixed, with a note and a photo, where there is no signal:
    # it waits on the phone like a report, and is sent when the signal is back.
    foreman_context, foreman = signed_in(phone_context, locale, "foreman", FOREMAN, STAFF_PASSWORD, findings)
    foreman.goto(f"/feedback/{number}")
    expect(foreman.locator(".description")).to_have_text(description)
    fix_form = foreman.locator("form[data-photo-upload=together]")
    expect(fix_form).to_be_visible()
    foreman.wait_for_load_state("load")
    foreman.wait_for_function("() => window.Outbox && window.Outbox.usable()")
    cut(foreman_context)
    foreman.locator("#fix-note").fill(text["fix_note"])
    foreman.set_input_files("#photo-input", str(photos["fix"]))
    foreman.get_by_role("button", name=text["fixed"], exact=True).click()
    fix_result = foreman.locator("#fix-result")
    expect(fix_result).to_have_text(text["waiting"], timeout=SLOW)
    findings.screen(foreman, f"feedback-item-fix-waiting-{locale}")
    restore(foreman_context)
    foreman.evaluate("() => window.Outbox.flush({all: true})")
    expect(fix_result).to_contain_text(f"#{number} {text['to_reinspect']}", timeout=SLOW)
    expect(fix_form).to_be_hidden()
    foreman.reload()
    expect(foreman.locator(".badge.status-fixed")).to_have_text(text["to_reinspect"])
    expect(foreman.locator(".events")).to_contain_text(text["fix_note"])
    findings.screen(foreman, f"feedback-item-fixed-{locale}")

    # 6. The supervisor re-inspects on site and closes it.
    supervisor.goto(f"/feedback/{number}")
    expect(supervisor.locator(".photo-grid img")).to_have_count(2)  # the report's and the fix's
    supervisor.get_by_role("button", name=text["pass"], exact=True).click()
    expect(supervisor.locator(".badge.status-closed")).to_have_text(text["closed"])
    expect(supervisor.get_by_role("button", name=text["pass"], exact=True)).to_have_count(0)
    supervisor.wait_for_function(
        "() => [...document.querySelectorAll('.photo-grid img')].every(i => i.complete)"
    )
    findings.screen(supervisor, f"feedback-item-closed-{locale}")

    # 7. The worker sees it closed among their reports.
    worker.goto("/me/reports")
    mine = worker.locator(f"a.row-card[href='/feedback/{number}']")
    expect(mine).to_contain_text(description[:40])
    expect(mine.locator(".badge")).to_have_text(text["closed"])
    findings.screen(worker, f"feedback-my-reports-{locale}")

    findings.assert_none()
