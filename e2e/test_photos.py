"""Photos from a phone, in both languages: two big camera photos chosen at once are shrunk
on the phone, sent with a progress bar and stored upright; a photo taken with no signal
waits on the phone and arrives once when the signal is back."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import LOCALES, SCREENSHOTS, check_screen, sign_in
from PIL import Image, ImageStat, TiffImagePlugin
from playwright.sync_api import BrowserContext, Page, expect

PIN = "1234"
# Demo workers of the first site (浦东滨江花园二期) no other browser test signs in as.
WORKERS = {"zh-CN": "13900000021", "en": "13900000022"}
OFFLINE_WORKERS = {"zh-CN": "13900000023", "en": "13900000024"}
SITE_CENTRE = {"latitude": 31.2304, "longitude": 121.5051, "accuracy": 15}
MAX_UPLOAD = 400 * 1024
SENT = {"zh-CN": "已发送", "en": "Sent"}
WAITING = {"zh-CN": "等待信号，有信号后会自动发送。", "en": "Waiting for signal. It will be sent by itself."}
ONE_WAITING = {"zh-CN": "1 张照片待发送", "en": "1 photo waiting to send"}
TRY_AGAIN = {"zh-CN": "立即重试", "en": "Try again now"}
# Shrinking two 12-megapixel photos in a headless browser, then sending them.
SLOW = 30_000

ORIENTATION = 0x0112
GPS_IFD = 0x8825
RED, GREY = (220, 0, 0), 128


# --- camera-like photos -------------------------------------------------------------------


def _rationals(value: float) -> tuple:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (TiffImagePlugin.IFDRational(degrees), TiffImagePlugin.IFDRational(minutes),
            TiffImagePlugin.IFDRational(int(seconds * 100), 100))


def _texture(width: int, height: int) -> Image.Image:
    """Grey with coarse and fine grain, like concrete: a camera-sized JPEG of several MB."""
    coarse = Image.effect_noise((width // 2, height // 2), 40)
    coarse = coarse.resize((width, height), Image.Resampling.BILINEAR)
    fine = Image.effect_noise((width, height), 16)
    grey = Image.blend(Image.blend(Image.new("L", (width, height), GREY), coarse, 0.5), fine, 0.3)
    return Image.merge("RGB", (grey, grey, grey))


def camera_jpeg(width: int, height: int, *, band: bool = False, orientation: int | None = None,
                gps: tuple[float, float] | None = None, tint: tuple[int, int, int] | None = None) -> bytes:
    """A textured JPEG at quality 95; `band` paints a red band along its left edge.

    With orientation 6 ("rotate 90° clockwise to view") the band is on top when shown upright.
    """
    image = _texture(width, height)
    if tint:
        image = Image.blend(image, Image.new("RGB", image.size, tint), 0.3)
    if band:
        image.paste(RED, (0, 0, width // 10, height))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({
            1: "N" if gps[0] >= 0 else "S", 2: _rationals(abs(gps[0])),
            3: "E" if gps[1] >= 0 else "W", 4: _rationals(abs(gps[1])),
        })
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("camera")
    made = {
        # Held sideways: the sensor's landscape picture, to be turned upright by its EXIF.
        "oriented": camera_jpeg(4000, 3000, band=True, orientation=6,
                                gps=(SITE_CENTRE["latitude"], SITE_CENTRE["longitude"])),
        "other": camera_jpeg(4000, 3000, tint=(40, 90, 160)),
    }
    paths = {}
    for name, data in made.items():
        assert len(data) > 3 * 1024 * 1024, f"{name}.jpg should be camera-sized, is {len(data)} B"
        paths[name] = folder / f"IMG_{name}.jpg"
        paths[name].write_bytes(data)
    return paths


# --- helpers ---------------------------------------------------------------------------


class Findings:
    """What a test notices on the way and reports at its end, so that one screen's layout
    problem does not hide whether the photos arrived: script errors and screen checks."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Page) -> None:
        def console(message) -> None:
            # A request the cut-off network refuses is what the offline test is about.
            if message.type == "error" and "net::ERR_" not in message.text:
                self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", console)

    def screen(self, page: Page, name: str) -> None:
        """conftest's check_screen (axe, 44 px targets, a screenshot), noted rather than raised."""
        try:
            check_screen(page, name)
        except AssertionError as problem:
            self.problems.append(str(problem).split("\nassert ")[0])

    def assert_none(self) -> None:
        if self.problems:
            pytest.fail("\n\n".join(self.problems), pytrace=False)


@pytest.fixture
def findings() -> Findings:
    return Findings()


def worker_phone(
    phone_context, locale: str, phone: str, findings: Findings
) -> tuple[BrowserContext, Page, int]:
    """A worker of the demo site signed in on a phone standing on site; their site's id."""
    context = phone_context(locale)
    context.grant_permissions(["geolocation"])
    context.set_geolocation(SITE_CENTRE)
    page = context.new_page()
    findings.watch(page)
    sign_in(page, phone, PIN)
    page.goto("/me/photos")  # the photo tab: a worker goes straight to their site's timeline
    match = re.search(r"/sites/(\d+)/photos$", page.url)
    assert match, f"/me/photos should lead to the worker's site, got {page.url}"
    return context, page, int(match.group(1))


def open_capture(page: Page) -> None:
    page.locator("a[href$='/photos/new']").first.click()
    expect(page.locator("form[data-photo-upload]")).to_be_visible()
    page.wait_for_load_state("load")  # photos.js is deferred: it must be listening
    page.wait_for_function("() => window.Outbox && window.Outbox.usable()")


def upload_button(page: Page):
    return page.locator("form[data-photo-upload] button[type=submit]")


def photo_count(db: Path, site_id: int) -> int:
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM photo WHERE site = ? AND deleted_at IS NULL", (site_id,)
        ).fetchone()
    return count


def photo_id(href: str) -> int:
    match = re.search(r"/photos/(\d+)(\?|$)", href)
    assert match, href
    return int(match.group(1))


def link_to(photo: int) -> str:
    """The timeline's link to one photo (its query, if any, kept)."""
    grid = ".timeline .photo-grid"
    return f"{grid} a[href='/photos/{photo}'], {grid} a[href^='/photos/{photo}?']"


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
    return tuple(ImageStat.Stat(image.crop(box).convert("RGB")).mean)  # type: ignore[return-value]


def is_red(colour: tuple[float, float, float]) -> bool:
    r, g, b = colour
    return r > 170 and g < 70 and b < 70


def is_grey(colour: tuple[float, float, float]) -> bool:
    r, g, b = colour
    return max(r, g, b) - min(r, g, b) < 25 and 70 < r < 190


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_two_camera_photos_are_shrunk_sent_and_stored_upright(
    phone_context, photos: dict[str, Path], server_db: Path, findings: Findings, locale: str
) -> None:
    _, page, site_id = worker_phone(phone_context, locale, WORKERS[locale], findings)
    before = photo_count(server_db, site_id)
    open_capture(page)
    page.set_input_files("#photo-input", [str(photos["oriented"]), str(photos["other"])])
    upload_button(page).click()

    rows = page.locator("#upload-list li.upload-item")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i).locator("a.uploaded")).to_contain_text(SENT[locale], timeout=SLOW)
        expect(rows.nth(i).locator("progress")).to_be_hidden()
    expect(page.locator("[data-outbox-pending]")).to_be_hidden()
    # Each new row goes on top: the first photo chosen is the last row.
    oriented_row, other_row = rows.nth(1), rows.nth(0)
    sizes = {name: int(row.get_attribute("data-bytes") or 0)
             for name, row in (("oriented", oriented_row), ("other", other_row))}
    originals = {name: path.stat().st_size for name, path in photos.items()}
    print(f"[{locale}] uploads: " + ", ".join(
        f"{name} {originals[name]} B on the phone -> {sizes[name]} B sent" for name in sizes))
    for name, size in sizes.items():
        assert 0 < size <= MAX_UPLOAD, f"{name}: {size} B sent, more than {MAX_UPLOAD}"
    assert photo_count(server_db, site_id) == before + 2
    findings.screen(page, f"photos-sent-{locale}")
    # A full-page shot draws the fixed tab bar across the rows: also what the phone shows
    # scrolled to the end.
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    page.screenshot(path=str(SCREENSHOTS / f"photos-sent-end-{locale}.png"))

    oriented = photo_id(oriented_row.locator("a.uploaded").get_attribute("href") or "")
    other = photo_id(other_row.locator("a.uploaded").get_attribute("href") or "")
    page.goto(f"/sites/{site_id}/photos")
    thumbs = page.locator(".timeline .photo-grid a")
    newest = [photo_id(thumbs.nth(i).get_attribute("href") or "") for i in range(2)]
    assert sorted(newest) == sorted([oriented, other]), "the two photos just sent lead the timeline"
    findings.screen(page, f"photos-timeline-{locale}")

    page.locator(link_to(oriented)).click()
    shown = page.locator(".viewer-frame img")
    expect(shown).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/photos/{oriented}(\?|$)"))
    page.wait_for_function("() => document.querySelector('.viewer-frame img').complete")
    findings.screen(page, f"photos-viewer-{locale}")

    answer = page.request.get(shown.get_attribute("src") or "")
    assert answer.ok, answer.status
    assert answer.headers["content-type"] == "image/jpeg"
    display = Image.open(io.BytesIO(answer.body()))
    width, height = display.size
    print(f"[{locale}] stored display image: {width}x{height}")
    assert height > width, f"the photo held sideways should be stored upright, is {width}x{height}"
    assert not display.getexif(), "stored files carry no metadata"
    edge = max(4, height // 40)  # the band is a tenth of the picture deep
    top = mean_colour(display, (width // 4, edge, 3 * width // 4, 2 * edge))
    bottom = mean_colour(display, (width // 4, height - 2 * edge, 3 * width // 4, height - edge))
    left = mean_colour(display, (edge, height // 2 - edge, 2 * edge, height // 2 + edge))
    assert is_red(top), f"the red band should be on top, top is {top}"
    assert is_grey(bottom), f"the bottom should be grey, is {bottom}"
    assert is_grey(left), f"the red band should no longer be on the left, left is {left}"
    findings.assert_none()


@pytest.mark.parametrize("locale", LOCALES)
def test_a_photo_taken_without_signal_waits_and_arrives_once(
    phone_context, photos: dict[str, Path], server_db: Path, findings: Findings, cut, restore,
    locale: str,
) -> None:
    context, page, site_id = worker_phone(phone_context, locale, OFFLINE_WORKERS[locale], findings)
    open_capture(page)
    before = photo_count(server_db, site_id)

    cut(context)
    page.set_input_files("#photo-input", str(photos["oriented"]))
    upload_button(page).click()
    row = page.locator("#upload-list li.upload-item")
    expect(row).to_have_count(1)
    expect(row.locator("p").first).to_have_text(WAITING[locale], timeout=SLOW)
    pending = page.locator("[data-outbox-pending]")
    expect(pending).to_be_visible()
    expect(pending).to_have_text(ONE_WAITING[locale])
    assert 0 < int(row.get_attribute("data-bytes") or 0) <= MAX_UPLOAD
    retry = row.get_by_role("button", name=TRY_AGAIN[locale])
    expect(retry).to_be_visible()
    findings.screen(page, f"photos-waiting-{locale}")
    assert photo_count(server_db, site_id) == before

    restore(context)
    if locale == "en":
        retry.click()  # the person does not want to wait
    # else the outbox tries again by itself, on its back-off timer
    expect(row.locator("a.uploaded")).to_contain_text(SENT[locale], timeout=SLOW)
    expect(pending).to_be_hidden()
    assert page.evaluate("() => Outbox.pending().then((entries) => entries.length)") == 0
    assert photo_count(server_db, site_id) == before + 1
    sent = photo_id(row.locator("a.uploaded").get_attribute("href") or "")
    page.goto(f"/sites/{site_id}/photos")
    expect(page.locator(link_to(sent))).to_have_count(1)
    findings.assert_none()
