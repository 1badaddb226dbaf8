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
from conftest import LOCALES, MIN_TARGET, check_screen, sign_in
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, expect

PIN = "1234"
STAFF_PASSWORD = "fieldpost"
SUPERVISOR = "13800000004"
FOREMAN = "13800000005"
FOREMAN_NAME = "张班长"  # app/demo.py STAFF_NAMES["foreman"]
SITE_NAME = "浦东滨江花园二期"  # the demo's first site: the supervisor, the foreman, workers 1-30
# Demo workers of the first site no other browser test signs in as: one per language,
# so the two runs' reports stay apart.
WORKERS = {"zh-CN": "13900000007", "en": "13900000008"}
SITE_CENTRE = {"latitude": 31.2304, "longitude": 121.5051, "accuracy": 15}
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


# --- what goes wrong on the way -------------------------------------------------------

# A radio drawn as a big tile (kind, severity) is invisible and 1 px wide on purpose: the
# tile, its <label>, is what the thumb taps. These lines of check_screen's report are dropped.
_TILE_INPUTS = """
(min) => [...document.querySelectorAll("label input")].filter(input => {
  const label = input.closest("label").getBoundingClientRect();
  return getComputedStyle(input).opacity === "0" && label.width >= min && label.height >= min;
}).map(input => input.outerHTML.slice(0, 80))
"""

# What check_screen does not look at: the bottom tabs (one current tab, labels apart) and
# a page wider than the phone.
_LAYOUT = """
() => {
  const found = [], tabs = [...document.querySelectorAll(".tabbar a")];
  const current = tabs.filter(a => a.getAttribute("aria-current") === "page");
  if (current.length > 1) {
    found.push(`${current.length} tabs marked current: ${current.map(a => a.innerText.trim()).join(", ")}`);
  }
  const labels = tabs.map(a => [a.innerText.trim(), a.querySelector("span").getBoundingClientRect()]);
  for (let i = 1; i < labels.length; i++) {
    const gap = labels[i][1].left - labels[i - 1][1].right;
    if (gap < 2) {
      const pair = `"${labels[i - 1][0]}" and "${labels[i][0]}"`;
      found.push(`tab labels ${pair} run together (${gap.toFixed(1)} px apart)`);
    }
  }
  if (document.documentElement.scrollWidth > innerWidth) {
    found.push(`the page is wider than the phone: ${document.documentElement.scrollWidth} px`);
  }
  return found;
}
"""


class Findings:
    """Script errors of every phone and the screen checks, reported at the end so that one
    screen's layout problem does not hide whether the report made it to the end."""

    def __init__(self, log: Path) -> None:
        self.problems: list[str] = []
        self.log = log

    def watch(self, page: Page, who: str) -> None:
        def console(message) -> None:
            # Requests refused while the phone is cut off are what the offline part is about.
            if message.type == "error" and "net::ERR_" not in message.text:
                where = message.location.get("url", "")
                self.problems.append(f"{who}: console error: {message.text} ({where})")

        page.on("pageerror", lambda error: self.problems.append(f"{who}: script error: {error}"))
        page.on("console", console)

    def screen(self, page: Page, name: str) -> None:
        """conftest's check_screen (axe, 44 px targets, a screenshot) and the layout checks
        above, noted rather than raised."""
        # From the top: a full-page shot of a scrolled page draws the sticky bar mid-page.
        page.evaluate("() => window.scrollTo(0, 0)")
        report: list[str] = []
        try:
            check_screen(page, name)
        except AssertionError as problem:
            tiles = {f"{html}…" for html in page.evaluate(_TILE_INPUTS, MIN_TARGET)}
            lines = str(problem).split("\nassert ")[0].splitlines()[1:]
            lines = [line for line in lines if not any(line.strip().startswith(tile) for tile in tiles)]
            report += [line for i, line in enumerate(lines)
                       if line.startswith("  ") or (i + 1 < len(lines) and lines[i + 1].startswith("  "))]
        report += [f"  {line}" for line in page.evaluate(_LAYOUT)]
        if report:
            self.problems.append(f"{name} ({page.url}):\n" + "\n".join(report))

    def server_log(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-60:])

    def assert_none(self) -> None:
        if self.problems:
            pytest.fail("\n\n".join(self.problems), pytrace=False)


@pytest.fixture
def findings(server: str, server_data: Path):
    found = Findings(server_data / "server.log")
    yield found
    # Captured output: pytest shows it only when the test fails.
    print("--- server log (tail) ---\n" + found.server_log())


# --- helpers ----------------------------------------------------------------------------


def first_site_id(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (site_id,) = connection.execute("SELECT id FROM site WHERE name = ?", (SITE_NAME,)).fetchone()
    return site_id


def items_described(db: Path, description: str) -> list[int]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id FROM feedback_item WHERE description = ?", (description,))
        return [row[0] for row in rows]


def phone(phone_context, locale: str, who: str, number: str, secret: str,
          findings: Findings) -> tuple[BrowserContext, Page]:
    context = phone_context(locale)
    context.grant_permissions(["geolocation"])
    context.set_geolocation(SITE_CENTRE)
    page = context.new_page()
    findings.watch(page, who)
    sign_in(page, number, secret)
    return context, page


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
    _, supervisor = phone(phone_context, locale, "supervisor", SUPERVISOR, STAFF_PASSWORD, findings)
    with supervisor.expect_response(re.compile(rf"/sites/{site_id}/queue/stream$")) as stream:
        supervisor.goto(f"/sites/{site_id}/queue")
    assert stream.value.ok, f"the queue's stream answered {stream.value.status}"
    expect(supervisor.locator("#queue-list")).to_be_visible()
    expect(supervisor.locator("#queue-list")).not_to_contain_text(description)
    not_reloaded(supervisor)

    # 2. A worker reports a safety problem with a photo while the site has no signal.
    worker_context, worker = phone(phone_context, locale, "worker", WORKERS[locale], PIN, findings)
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
    foreman_context, foreman = phone(phone_context, locale, "foreman", FOREMAN, STAFF_PASSWORD, findings)
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
