"""Bad uploads: each gets a message the person can act on, and nothing is kept (no row, no file)."""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path

import pytest

from app.photos.routes import MAX_UPLOAD_BYTES
from app.photos.tables import Photo
from app.sites.tables import Area
from tests import factories
from tests.conftest import fetch_csrf
from tests.photos import images
from tests.photos.helpers import field_error, media_files, multipart, shown, upload, visible_text

NOT_A_PHOTO = "This file is not a photo. Choose a JPEG, PNG or WebP image."
DAMAGED = "This photo is damaged or incomplete. Take it again or choose another."
TOO_MANY_PIXELS = "This image has too many pixels (at most %(limit)s million)."
OTHER_AREA = "Choose an area of this project."
KEY_REUSED = "This was already sent with different content, so it was not saved again."
STORED_NAME = re.compile(r"^[0-9a-f]{64}-(display|thumb)\.jpg$")


async def _member(sign_in_as):
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,), areas=("1号楼", "2号楼"))
    await sign_in_as(supervisor)
    return supervisor, site


def _refusal(answer) -> str:
    """The queued answer: the small 'not accepted' line the upload row shows, not a page."""
    assert answer.status_code == 422
    assert "<html" not in answer.text
    text = visible_text(answer.text)
    assert text.startswith(shown("Not accepted"))
    return text


def _capture_page(answer) -> str:
    """The plain form's answer: the capture page again, with a message beside a field."""
    assert answer.status_code == 422
    assert 'id="photo-input"' in answer.text
    return answer.text


@cache
def _bomb() -> bytes:
    return images.png_bomb()


BAD_FILES = {
    "text named .jpg": (lambda: b"Site diary, 20 November: poured slab 3.\n", "notes.jpg", "image/jpeg",
                        NOT_A_PHOTO, {}),
    "php as a jpeg": (lambda: b"<?php system($_GET['c']); ?>", "photo.jpg", "image/jpeg", NOT_A_PHOTO, {}),
    "truncated jpeg": (images.truncated_jpeg, "IMG_0002.JPG", "image/jpeg", DAMAGED, {}),
    "png bomb": (_bomb, "bomb.png", "image/png", TOO_MANY_PIXELS, {"limit": 60}),
    "svg with script": (images.svg_with_script, "drawing.svg", "image/svg+xml", NOT_A_PHOTO, {}),
}


@pytest.mark.parametrize("queued", [True, False], ids=["queued", "plain form"])
@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_a_file_that_is_not_a_good_photo_is_refused_and_nothing_is_kept(
    client, sign_in_as, settings, case, queued
):
    _, site = await _member(sign_in_as)
    make, name, kind, message, params = BAD_FILES[case]
    before = media_files(settings)
    answer = await upload(client, site.id, [(name, make(), kind)], key="bad-file-key-0001", queued=queued)
    if queued:
        assert shown(message, **params) in _refusal(answer)
        # The phone's outbox matches the answer to its entry and stops retrying it.
        assert answer.headers["x-idempotency-key"] == "bad-file-key-0001"
    else:
        assert field_error(_capture_page(answer), "photo") == shown(message, **params)
    assert await Photo.count() == 0
    assert media_files(settings) == before


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(client, sign_in_as, settings):
    _, site = await _member(sign_in_as)
    csrf = await fetch_csrf(client)
    head, content_type = multipart({"_csrf_token": csrf, "idempotency_key": "big-upload-key-0001"}, [])
    head = head[: -len(b"--fieldpost-test-boundary--\r\n")]
    head += (b'--fieldpost-test-boundary\r\nContent-Disposition: form-data; name="photo"; '
             b'filename="huge.jpg"\r\nContent-Type: image/jpeg\r\n\r\n')
    tail = b"\r\n--fieldpost-test-boundary--\r\n"
    chunk, chunks = b"\xff" * 2**20, 30
    total = len(head) + len(chunk) * chunks + len(tail)
    sent = 0

    async def body():
        nonlocal sent
        for part in (head, *([chunk] * chunks), tail):
            sent += len(part)
            yield part

    before = media_files(settings)
    answer = await client.post(
        f"/sites/{site.id}/photos", content=body(),
        headers={"Content-Type": content_type, "Content-Length": str(total)},
    )
    assert answer.status_code == 413
    assert shown("What you sent is too large. Send something smaller.") in visible_text(answer.text)
    assert sent <= MAX_UPLOAD_BYTES < total
    assert await Photo.count() == 0
    assert media_files(settings) == before


FILE_NAMES = ["../../etc/passwd.jpg", "a\x00b.jpg", "..\\..\\x.jpg", "/tmp/fieldpost-absolute.jpg",  # noqa: S108
              "ok\r\nX-Injected: 1.jpg"]


@pytest.mark.parametrize("name", FILE_NAMES, ids=["dotdot", "nul", "backslashes", "absolute", "crlf"])
async def test_the_file_name_sent_never_decides_where_a_photo_is_stored(
    client, sign_in_as, settings, tmp_path, name
):
    _, site = await _member(sign_in_as)
    csrf = await fetch_csrf(client)
    photo = images.png(320, 240, (len(name), 40, 90))
    body, content_type = multipart({"_csrf_token": csrf, "idempotency_key": "file-name-key-0001"},
                                   [(name, photo, "image/jpeg")])
    before = media_files(settings)
    answer = await client.post(f"/sites/{site.id}/photos", content=body,
                               headers={"Content-Type": content_type})
    # Accepted (and stored under its hash) or refused as a bad request; never a server error.
    assert answer.status_code in (303, 400, 422), answer.status_code
    new = media_files(settings) - before
    root = (settings.media_dir / "photos").resolve()
    assert all(path.resolve().is_relative_to(root) for path in new)
    assert all(STORED_NAME.fullmatch(path.name) for path in media_files(settings))
    if answer.status_code == 303:
        row = await Photo.select(Photo.content_hash).first()
        assert {path.name for path in new} <= {f"{row['content_hash']}-{size}.jpg"
                                               for size in ("display", "thumb")}
    else:
        assert await Photo.count() == 0 and not new
    # Nowhere the name could point to, relative to the store, the data folder or here.
    leaf = re.split(r"[/\\\x00\r\n]", name)[-1]
    given = {name.replace("\x00", ""), leaf}
    for base in (root, settings.media_dir, settings.data_dir, Path.cwd(), tmp_path):
        assert not any((base / each).exists() for each in given)
    assert not any(path.name in given for path in settings.data_dir.rglob("*"))


async def test_a_site_the_person_is_not_a_member_of_answers_not_found(client, sign_in_as, settings):
    await _member(sign_in_as)
    elsewhere = await factories.site("别的工地")
    before = media_files(settings)
    page = await upload(client, elsewhere.id, images.png(), queued=False)
    assert page.status_code == 404
    # The phone's outbox gets a final answer naming its key (a 404 would be retried forever),
    # without saying whether the project exists.
    queued = await upload(client, elsewhere.id, images.png(), key="s" * 20)
    assert queued.status_code == 422 and queued.headers["x-idempotency-key"] == "s" * 20
    assert "请选择项目。" in queued.text
    assert await Photo.count() == 0
    assert media_files(settings) == before


@pytest.mark.parametrize("queued", [True, False], ids=["queued", "plain form"])
async def test_an_area_of_another_site_is_refused_with_the_area_message(client, sign_in_as, settings, queued):
    _, site = await _member(sign_in_as)
    elsewhere = await factories.site("别的工地", areas=("别人的楼",))
    foreign = await Area.select(Area.id).where(Area.site == elsewhere.id).first()
    before = media_files(settings)
    for area in (str(foreign["id"]), "99999999999", "abc"):
        answer = await upload(client, site.id, images.png(), queued=queued, area=area)
        if queued:
            assert shown(OTHER_AREA) in _refusal(answer)
        else:
            assert field_error(_capture_page(answer), "area") == shown(OTHER_AREA)
    assert await Photo.count() == 0
    assert media_files(settings) == before


async def test_html_in_a_caption_is_kept_as_text_and_shown_escaped_everywhere(client, sign_in_as):
    _, site = await _member(sign_in_as)
    area = (await Area.select().where(Area.site == site.id).first())["id"]
    caption = '"><script>alert(1)</script><img src=x onerror=alert(2)> 柱 & 梁'
    sent = await upload(client, site.id, images.png(), caption=caption, area=str(area))
    assert sent.status_code == 200
    row = await Photo.select(Photo.id, Photo.caption).first()
    assert row["caption"] == caption
    escaped = "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; 柱 &amp; 梁"
    pages = {
        "sent row": sent,
        "timeline": await client.get(f"/sites/{site.id}/photos"),
        "viewer": await client.get(f"/photos/{row['id']}"),
        "area": await client.get(f"/sites/{site.id}/photos/areas/{area}"),
    }
    for page, answer in pages.items():
        assert answer.status_code == 200, page
        assert "<script>alert(1)" not in answer.text and "<img src=x" not in answer.text, page
        assert f'alt="{escaped}' in answer.text, page
    viewer, area_page = pages["viewer"].text, pages["area"].text
    assert f'<p class="viewer-caption">{escaped}</p>' in viewer
    assert f"<title>{escaped}" in viewer
    assert f"<p>{escaped}</p>" in area_page
    assert caption in visible_text(viewer)


@pytest.mark.parametrize("queued", [True, False], ids=["queued", "plain form"])
async def test_the_same_key_with_another_photo_is_refused_and_the_first_is_kept(
    client, sign_in_as, settings, queued
):
    _, site = await _member(sign_in_as)
    first = images.png(640, 480, (10, 200, 30))
    assert (await upload(client, site.id, first, key="same-key-000000001", caption="第一张",
                         queued=queued)).status_code in (200, 303)
    kept = await Photo.select().first()
    shown_before = (await client.get(f"/photos/{kept['id']}/display.jpg")).content
    before = media_files(settings)
    # A colour no other test uses: the files, if written, are new in the shared store.
    other = images.png(640, 480, tuple(secrets.token_bytes(3)))
    answer = await upload(client, site.id, other, key="same-key-000000001", caption="第二张", queued=queued)
    if queued:
        assert shown(KEY_REUSED) in _refusal(answer)
    else:
        # The form a person sent again after going back: the page must say why nothing happened.
        assert shown(KEY_REUSED) in visible_text(_capture_page(answer))
    assert await Photo.select() == [kept]
    assert (await client.get(f"/photos/{kept['id']}/display.jpg")).content == shown_before
    assert media_files(settings) == before


async def test_more_than_five_photos_at_once_on_the_plain_form_is_refused(client, sign_in_as, settings):
    _, site = await _member(sign_in_as)
    six = [(f"IMG_{n}.PNG", images.png(200, 150, (n * 40, 0, 0)), "image/png") for n in range(6)]
    before = media_files(settings)
    answer = await upload(client, site.id, six, queued=False, caption="六张")
    page = _capture_page(answer)
    assert field_error(page, "photo") == shown("At most %(count)s photos at once.", count=5)
    assert "六张</textarea>" in page  # what was typed is kept
    assert await Photo.count() == 0
    assert media_files(settings) == before


TIME_UNREAD = "The time the photo was taken could not be read."
PLACE_UNREAD = "This location could not be read."
BAD_DETAILS = {
    "words for a time": ({"taken_at": "yesterday"}, TIME_UNREAD),
    "a time without a zone": ({"taken_at": "2026-11-20T10:00:00"}, TIME_UNREAD),
    "latitude beyond the pole": ({"latitude": "91", "longitude": "121.47"}, PLACE_UNREAD),
    "latitude as words": ({"latitude": "north", "longitude": "121.47"}, PLACE_UNREAD),
    "longitude not a number": ({"latitude": "31.2", "longitude": "nan"}, PLACE_UNREAD),
    "negative accuracy": ({"latitude": "31.2", "longitude": "121.4", "accuracy": "-5"}, PLACE_UNREAD),
}


@pytest.mark.parametrize("case", list(BAD_DETAILS))
async def test_a_time_or_place_that_cannot_be_read_is_named_in_the_refusal(
    client, sign_in_as, settings, case
):
    """The phone's outbox sends these fields; its upload row shows why the photo was not taken."""
    _, site = await _member(sign_in_as)
    fields, message = BAD_DETAILS[case]
    before = media_files(settings)
    answer = await upload(client, site.id, images.png(), **fields)
    assert shown(message) in _refusal(answer)
    assert await Photo.count() == 0
    assert media_files(settings) == before
