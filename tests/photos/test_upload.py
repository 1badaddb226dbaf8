"""Adding photos: stored once, shrunk, upright, without metadata, and replays are one upload."""

from __future__ import annotations

import io

from PIL import Image

from app.audit.tables import AuditEntry
from app.photos.tables import Photo, PhotoTag
from tests import factories
from tests.photos import images
from tests.photos.helpers import upload


async def _member(sign_in_as):
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,), areas=("1号楼", "2号楼"))
    await sign_in_as(supervisor)
    return supervisor, site


async def test_a_queued_upload_is_stored_upright_shrunk_and_answered_with_its_key(client, sign_in_as):
    supervisor, site = await _member(sign_in_as)
    photo = images.banded_jpeg(orientation=6, gps=(31.2304, 121.5051))
    answer = await upload(client, site.id, photo, key="k" * 20, caption="三层 柱钢筋", tags="进度, Rebar")
    assert answer.status_code == 200
    assert answer.headers["x-idempotency-key"] == "k" * 20
    row = await Photo.select().first()
    assert (row["width"], row["height"]) == (1067, 1600)  # portrait after orientation 6
    assert row["caption"] == "三层 柱钢筋" and row["uploaded_by"] == supervisor.id
    assert {tag["tag"] for tag in await PhotoTag.select(PhotoTag.tag)} == {"进度", "rebar"}
    # The location came out of the file, the file came out without it.
    assert round(row["latitude"], 4) == 31.2304 and round(row["longitude"], 4) == 121.5051
    stored = await client.get(f"/photos/{row['id']}/display.jpg")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert "private" in stored.headers["cache-control"]
    shown = Image.open(io.BytesIO(stored.content))
    assert shown.size == (1067, 1600)
    assert not shown.getexif() and "icc_profile" not in shown.info
    top, bottom = shown.getpixel((500, 20)), shown.getpixel((500, 1580))
    assert top[0] > 180 and top[1] < 60, top  # the red band is on top
    assert bottom[0] < 160, bottom
    thumb = Image.open(io.BytesIO((await client.get(f"/photos/{row['id']}/thumb.jpg")).content))
    assert max(thumb.size) == 400


async def test_the_plain_form_keeps_no_gps_in_the_stored_file(client, sign_in_as):
    _, site = await _member(sign_in_as)
    photo = images.banded_jpeg(1200, 900, gps=(31.5, 121.25), taken="2026:11:20 09:15:00")
    answer = await upload(client, site.id, [("IMG_0001.JPG", photo, "image/jpeg")], queued=False)
    assert answer.status_code == 303
    row = await Photo.select().first()
    assert row["taken_source"] == "exif" and row["taken_date"].isoformat() == "2026-11-20"
    stored = (await client.get(f"/photos/{row['id']}/display.jpg")).content
    assert b"GPS" not in stored and b"Exif" not in stored
    assert Image.open(io.BytesIO(stored)).getexif().get_ifd(0x8825) == {}
    assert round(row["latitude"], 2) == 31.5


async def test_the_same_key_twice_is_one_photo_and_the_same_bytes_one_file(client, sign_in_as, settings):
    _, site = await _member(sign_in_as)
    photo = images.banded_jpeg(1000, 800)
    first = await upload(client, site.id, photo, key="a" * 24)
    again = await upload(client, site.id, photo, key="a" * 24)
    assert first.status_code == again.status_code == 200
    assert await Photo.count() == 1
    other = await upload(client, site.id, photo, key="b" * 24, caption="又一张")
    assert other.status_code == 200 and await Photo.count() == 2
    hashes = {row["content_hash"] for row in await Photo.select(Photo.content_hash)}
    assert len(hashes) == 1
    assert await AuditEntry.count().where(AuditEntry.action == "photo.upload") == 2


async def test_a_worker_adds_photos_to_their_own_site_only(client, sign_in_as):
    site = await factories.site(areas=("A区",))
    elsewhere = await factories.site("别的工地")
    worker = await factories.worker(await factories.crew(site))
    account = await factories.User.objects().get(factories.User.id == worker.account)
    await sign_in_as(account)
    assert (await upload(client, site.id, images.png())).status_code == 200
    assert (await upload(client, elsewhere.id, images.png(), queued=False)).status_code == 404
    assert (await upload(client, elsewhere.id, images.png())).status_code == 422
    assert await Photo.count() == 1


async def test_the_photo_pages_show_what_was_added(client, sign_in_as):
    _, site = await _member(sign_in_as)
    area = (await factories.Area.select().where(factories.Area.site == site.id).first())["id"]
    await upload(client, site.id, images.banded_jpeg(1000, 800), caption="<b>楼板</b>", tags="进度",
                 area=str(area))
    photo = await Photo.select().first()
    timeline = await client.get(f"/sites/{site.id}/photos")
    assert timeline.status_code == 200
    assert f"/photos/{photo['id']}/thumb.jpg" in timeline.text
    assert "<b>楼板</b>" not in timeline.text and "&lt;b&gt;楼板&lt;/b&gt;" in timeline.text
    assert (await client.get(f"/sites/{site.id}/photos?tag=进度")).status_code == 200
    assert (await client.get(f"/sites/{site.id}/photos/areas/{area}")).status_code == 200
    view = await client.get(f"/photos/{photo['id']}")
    assert view.status_code == 200 and "&lt;b&gt;楼板&lt;/b&gt;" in view.text
    assert (await client.get(f"/sites/{site.id}/photos/new")).status_code == 200
