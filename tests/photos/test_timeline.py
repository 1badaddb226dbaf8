"""Reading photos back: the timeline, an area over time, the viewer, who may see what, the cleanup."""

from __future__ import annotations

import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.accounts.tables import User
from app.audit.tables import AuditEntry
from app.photos import services
from app.photos.storage import DiskStorage, file_name
from app.photos.tables import Photo
from app.sites.tables import Area, Site
from app.workforce.tables import Worker
from tests import factories
from tests.conftest import fetch_csrf
from tests.photos import images
from tests.photos.helpers import add_photos, field_error, listed_photos, shown, visible_text

NOV20 = datetime(2026, 11, 20, tzinfo=UTC)
FRAGMENT = {"HX-Request": "true", "HX-Target": "timeline-more"}


async def _supervised_site(sign_in_as):
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,), areas=("1号楼", "2号楼"))
    await sign_in_as(supervisor)
    return supervisor, site


async def _areas(site) -> list[int]:
    rows = await Area.select(Area.id).where(Area.site == site.id).order_by(Area.position)
    return [row["id"] for row in rows]


async def _worker_on(site) -> User:
    worker = await factories.worker(await factories.crew(site))
    return await User.objects().get(User.id == worker.account)


async def _store(user, site, colour, *, taken_at=None, caption="", tags=()) -> int:
    """A photo added as the upload form adds it: checked, shrunk, its files written."""
    row = await Site.select().where(Site.id == site.id).first()
    details = services.Details(None, caption, tuple(tags), taken_at, "phone", None, None, None)
    return await services.store(user, row, images.png(64, 48, colour), details, key=str(uuid.uuid4()),
                                device="test-device")


def _days(html: str) -> list[tuple[str, list[int]]]:
    """Each day heading with the photos under it."""
    parts = re.split(r'<h2 class="photo-day">(.*?)</h2>', html)
    return [(parts[at], listed_photos(parts[at + 1])) for at in range(1, len(parts), 2)]


def _more_link(html: str) -> str | None:
    found = re.search(r'<div id="timeline-more"[^>]* hx-get="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _newest_first(moments, ids) -> list[int]:
    return [photo_id for _, photo_id in sorted(zip(moments, ids, strict=True), reverse=True)]


async def test_photos_are_grouped_by_the_sites_day_newest_first(client, sign_in_as):
    supervisor, site = await _supervised_site(sign_in_as)
    evening = await _store(supervisor, site, (200, 0, 0), taken_at=datetime(2026, 11, 20, 15, tzinfo=UTC),
                           caption="晚上")
    after_midnight = await _store(supervisor, site, (0, 200, 0), caption="凌晨",
                                  taken_at=datetime(2026, 11, 20, 17, 30, tzinfo=UTC))
    morning = await _store(supervisor, site, (0, 0, 200), taken_at=datetime(2026, 11, 21, 3, tzinfo=UTC))
    page = await client.get(f"/sites/{site.id}/photos")
    assert page.status_code == 200
    days = _days(page.text)
    assert [ids for _, ids in days] == [[morning, after_midnight], [evening]]
    assert "11月21日" in days[0][0] and "11月20日" in days[1][0]
    # 17:30 UTC is half past one at night in Shanghai, 15:00 eleven in the evening.
    assert 'alt="凌晨 · 01:30"' in page.text and 'alt="晚上 · 23:00"' in page.text


async def test_sixty_photos_come_24_at_a_time_without_repeats_or_gaps(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    # Five photos share each moment, so the page ends fall inside a tie.
    moments = [NOV20 - timedelta(hours=3 * (n // 5)) for n in range(60)]
    expected = _newest_first(moments, await add_photos(site, moments))
    first = await client.get(f"/sites/{site.id}/photos")
    assert listed_photos(first.text) == expected[:24]
    seen, headings, link = listed_photos(first.text), len(_days(first.text)), _more_link(first.text)
    pages = 1
    while link:
        assert link.startswith("?")
        more = await client.get(f"/sites/{site.id}/photos{link}", headers=FRAGMENT)
        assert more.status_code == 200 and "<html" not in more.text and "<h1>" not in more.text
        seen += listed_photos(more.text)
        headings += len(_days(more.text))
        link, pages = _more_link(more.text), pages + 1
    assert pages == 3
    assert seen == expected
    # A page that goes on with the day before it does not repeat that day's heading.
    days = {moment.astimezone(ZoneInfo("Asia/Shanghai")).date() for moment in moments}
    assert headings == len(days)
    # Without JavaScript the same link opens the whole page with the next photos.
    page_two = await client.get(f"/sites/{site.id}/photos{_more_link(first.text)}")
    assert page_two.status_code == 200 and "<html" in page_two.text
    assert listed_photos(page_two.text) == expected[24:48]


async def test_the_next_page_keeps_the_filter(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    moments = [NOV20 - timedelta(hours=n) for n in range(60)]
    tagged = await add_photos(site, moments[::2], tags=("rebar",))
    await add_photos(site, moments[1::2], tags=("safety",))
    first = await client.get(f"/sites/{site.id}/photos?tag=rebar")
    link = _more_link(first.text)
    assert "tag=rebar" in link
    rest = await client.get(f"/sites/{site.id}/photos{link}", headers=FRAGMENT)
    assert listed_photos(first.text) + listed_photos(rest.text) == _newest_first(moments[::2], tagged)
    assert _more_link(rest.text) is None


async def test_each_filter_shows_exactly_the_matching_photos(client, sign_in_as):
    supervisor, site = await _supervised_site(sign_in_as)
    worker = await _worker_on(site)
    area_a, area_b = await _areas(site)
    at = {
        "p1": datetime(2026, 11, 10, 2, tzinfo=UTC),
        "p2": datetime(2026, 11, 15, 16, 30, tzinfo=UTC),  # 00:30 on the 16th in Shanghai
        "p3": datetime(2026, 11, 16, 15, 59, tzinfo=UTC),  # 23:59 on the 16th
        "p4": datetime(2026, 11, 16, 16, 0, tzinfo=UTC),  # midnight: the 17th
    }
    (p1,) = await add_photos(site, [at["p1"]], area=area_a, uploaded_by=supervisor.id, tags=("rebar",))
    (p2,) = await add_photos(site, [at["p2"]], area=area_b, uploaded_by=worker.id, tags=("safety",))
    (p3,) = await add_photos(site, [at["p3"]], area=area_a, uploaded_by=worker.id, tags=("rebar", "safety"))
    (p4,) = await add_photos(site, [at["p4"]], uploaded_by=supervisor.id)
    # Never shown: a photo of another site, and a deleted one that matches everything.
    elsewhere = await factories.site("别的工地", members=(supervisor,))
    await add_photos(elsewhere, [at["p3"]], uploaded_by=worker.id, tags=("rebar", "safety"))
    await add_photos(site, [at["p3"]], area=area_a, uploaded_by=worker.id, tags=("rebar", "safety"),
                     deleted_at=NOV20, deleted_by=supervisor.id)
    expected = {
        "": [p4, p3, p2, p1],
        f"area={area_a}": [p3, p1],
        f"area={area_b}": [p2],
        "tag=rebar": [p3, p1],
        "tag=REBAR": [p3, p1],
        "tag=safety": [p3, p2],
        f"uploader={worker.id}": [p3, p2],
        f"uploader={supervisor.id}": [p4, p1],
        "from=2026-11-16&to=2026-11-16": [p3, p2],
        "from=2026-11-17": [p4],
        "to=2026-11-15": [p1],
        f"area={area_a}&tag=safety": [p3],
        f"uploader={worker.id}&tag=rebar&from=2026-11-16": [p3],
    }
    for query, photos in expected.items():
        page = await client.get(f"/sites/{site.id}/photos?{query}")
        assert page.status_code == 200, query
        assert listed_photos(page.text) == photos, query


async def test_a_tag_and_an_area_find_old_photos_behind_many_newer_tagged_ones(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    area_a, area_b = await _areas(site)
    old = await add_photos(site, [datetime(2026, 10, 1, tzinfo=UTC)], area=area_b, tags=("rebar",))
    await add_photos(site, [NOV20 - timedelta(minutes=n) for n in range(520)], area=area_a, tags=("rebar",))
    page = await client.get(f"/sites/{site.id}/photos?area={area_b}&tag=rebar")
    assert listed_photos(page.text) == old


BAD_FILTERS = {
    "reversed dates": ("from=2026-11-20&to=2026-11-10", "to", "The end date is before the start date."),
    "future start": (None, "from", "The start date is in the future."),
    "not a date": ("from=2026-13-01", "from", "Enter a date like 2026-03-31."),
    "words for a date": ("to=yesterday", "to", "Enter a date like 2026-03-31."),
    "broken cursor": ("after=garbage", None, "This page link is broken. Start again from the top."),
    "cursor without a time": ("after=~12", None, "This page link is broken. Start again from the top."),
    "cursor id out of range": ("after=2026-11-20T10:00:00%2B00:00~99999999999999999999", None,
                               "This page link is broken. Start again from the top."),
    "cursor before the calendar": ("after=0001-01-01T00:00:00%2B01:00~5", None,
                                   "This page link is broken. Start again from the top."),
}


@pytest.mark.parametrize("case", list(BAD_FILTERS))
async def test_a_filter_that_cannot_be_used_is_explained_next_to_its_field(client, sign_in_as, case):
    _, site = await _supervised_site(sign_in_as)
    await add_photos(site, [NOV20])
    query, field, message = BAD_FILTERS[case]
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    page = await client.get(f"/sites/{site.id}/photos?{query or f'from={tomorrow}'}")
    assert page.status_code == 422
    if field:
        assert field_error(page.text, field) == shown(message)
        assert f'aria-describedby="{field}-error"' in page.text
    else:
        assert f'<p class="error">{shown(message)}</p>' in page.text


@pytest.mark.parametrize("query", ["to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31"])
async def test_dates_at_the_ends_of_the_calendar_do_not_break_the_page(client, sign_in_as, query):
    _, site = await _supervised_site(sign_in_as)
    photos = await add_photos(site, [NOV20])
    page = await client.get(f"/sites/{site.id}/photos?{query}")
    # Either the photos in that (huge) range, or a message beside the date: never an error page.
    assert (page.status_code, listed_photos(page.text)) == (200, photos) or (
        page.status_code == 422 and (field_error(page.text, "from") or field_error(page.text, "to"))
    ), page.status_code


async def test_an_area_page_shows_that_area_oldest_first(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    area_a, area_b = await _areas(site)
    moments = [NOV20 - timedelta(days=n) for n in (3, 0, 7, 1)]
    ids = await add_photos(site, moments, area=area_a)
    await add_photos(site, [NOV20 - timedelta(days=2)], area=area_b)
    await add_photos(site, [NOV20 - timedelta(days=5)])
    page = await client.get(f"/sites/{site.id}/photos/areas/{area_a}")
    assert page.status_code == 200
    assert listed_photos(page.text) == list(reversed(_newest_first(moments, ids)))
    assert (await client.get(f"/sites/{site.id}/photos/areas/999999")).status_code == 404


async def test_the_viewer_steps_through_the_timeline_and_keeps_the_filter(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    moments = [NOV20 - timedelta(hours=n) for n in (5, 4, 4, 1)]  # two photos share a time
    oldest, middle_a, middle_b, newest = await add_photos(site, moments[:1]) + await add_photos(
        site, moments[1:3], tags=("rebar",)) + await add_photos(site, moments[3:], tags=("rebar",))
    timeline = listed_photos((await client.get(f"/sites/{site.id}/photos")).text)
    assert timeline == [newest, middle_b, middle_a, oldest]

    async def steps(photo_id: int, query: str = "") -> tuple[str | None, str | None]:
        page = (await client.get(f"/photos/{photo_id}{query}")).text
        newer = re.search(r'class="viewer-step viewer-newer" rel="prev" href="([^"]+)"', page)
        older = re.search(r'class="viewer-step viewer-older" rel="next" href="([^"]+)"', page)
        return (newer.group(1) if newer else None), (older.group(1) if older else None)

    for at, photo_id in enumerate(timeline):
        newer, older = await steps(photo_id)
        assert newer == (f"/photos/{timeline[at - 1]}" if at > 0 else None)
        assert older == (f"/photos/{timeline[at + 1]}" if at < len(timeline) - 1 else None)
    # With a tag chosen, the steps skip the photos without it and keep the tag.
    assert await steps(middle_b, "?tag=rebar") == (f"/photos/{newest}?tag=rebar",
                                                   f"/photos/{middle_a}?tag=rebar")
    assert await steps(middle_a, "?tag=rebar") == (f"/photos/{middle_b}?tag=rebar", None)


async def test_the_viewer_shows_where_a_photo_was_taken_or_that_it_has_no_location(client, sign_in_as):
    _, site = await _supervised_site(sign_in_as)
    # The site's centre is 31.23, 121.47: 0.0045° further north is 500 m.
    (placed,) = await add_photos(site, [NOV20], latitude=31.2345, longitude=121.47, accuracy_m=12.0)
    (unplaced,) = await add_photos(site, [NOV20])
    shown_place = visible_text((await client.get(f"/photos/{placed}")).text)
    distance = shown("%(metres)s m from the project centre", metres=500)
    assert f"31.23450, 121.47000 (±12 m) · {distance}" in shown_place
    assert shown("No location") not in shown_place
    assert shown("No location") in visible_text((await client.get(f"/photos/{unplaced}")).text)


async def _pages_of(client, site, photo_id: int) -> dict[str, int]:
    urls = [f"/sites/{site.id}/photos", f"/photos/{photo_id}", f"/photos/{photo_id}/display.jpg",
            f"/photos/{photo_id}/thumb.jpg"]
    return {url: (await client.get(url)).status_code for url in urls}


async def test_only_members_of_the_site_see_its_photos(client, sign_in_as):
    supervisor, site = await _supervised_site(sign_in_as)
    photo = await _store(supervisor, site, (10, 20, 30))
    assert set((await _pages_of(client, site, photo)).values()) == {200}
    elsewhere = await factories.site("别的工地")
    await sign_in_as(await _worker_on(elsewhere))
    assert set((await _pages_of(client, site, photo)).values()) == {404}
    await sign_in_as(await factories.user("supervisor"))  # staff, but not of this site
    assert set((await _pages_of(client, site, photo)).values()) == {404}
    client.cookies.clear()
    anonymous = await _pages_of(client, site, photo)
    assert anonymous == {f"/sites/{site.id}/photos": 303, f"/photos/{photo}": 303,
                         f"/photos/{photo}/display.jpg": 404, f"/photos/{photo}/thumb.jpg": 404}
    away = await client.get(f"/photos/{photo}")
    assert away.headers["location"] == f"/login?next=/photos/{photo}"


async def test_the_uploader_still_sees_their_photo_after_moving_to_another_site(client, sign_in_as):
    site = await factories.site()
    worker = await _worker_on(site)
    photo = await _store(worker, site, (40, 50, 60))
    await sign_in_as(worker)
    assert set((await _pages_of(client, site, photo)).values()) == {200}
    new_crew = await factories.crew(await factories.site("新工地"), name="木工班")
    await Worker.update({Worker.crew: new_crew.id}).where(Worker.account == worker.id)
    assert await _pages_of(client, site, photo) == {
        f"/sites/{site.id}/photos": 404, f"/photos/{photo}": 200,
        f"/photos/{photo}/display.jpg": 200, f"/photos/{photo}/thumb.jpg": 200,
    }


async def _delete(client, photo_id: int):
    return await client.post(f"/photos/{photo_id}/delete", data={"_csrf_token": await fetch_csrf(client)})


@pytest.mark.parametrize("by", ["uploader", "supervisor"])
async def test_a_deleted_photo_is_gone_and_the_delete_is_audited(client, sign_in_as, by):
    supervisor, site = await _supervised_site(sign_in_as)
    uploader, colleague = await _worker_on(site), await _worker_on(site)
    photo = await _store(uploader, site, (70, 80, 90), tags=("rebar",))
    kept = await _store(uploader, site, (90, 80, 70))
    await sign_in_as(colleague)
    assert shown("Delete photo") not in (await client.get(f"/photos/{photo}")).text
    refused = await _delete(client, photo)
    assert refused.status_code == 403
    assert shown("Only the person who took it or a site supervisor can delete this photo.") in refused.text
    deleter = uploader if by == "uploader" else supervisor
    await sign_in_as(deleter)
    assert shown("Delete photo") in (await client.get(f"/photos/{photo}")).text
    done = await _delete(client, photo)
    assert done.status_code == 303 and done.headers["location"] == f"/sites/{site.id}/photos"
    for person in (deleter, colleague):
        await sign_in_as(person)
        assert listed_photos((await client.get(f"/sites/{site.id}/photos")).text) == [kept]
        assert listed_photos((await client.get(f"/sites/{site.id}/photos?tag=rebar")).text) == []
        pages = await _pages_of(client, site, photo)
        assert [status for url, status in pages.items() if url.startswith("/photos/")] == [404] * 3
    entry = await AuditEntry.select().where(AuditEntry.action == "photo.delete").first()
    assert (entry["actor"], entry["record_id"], entry["site"]) == (deleter.id, str(photo), site.id)
    assert await AuditEntry.count().where(AuditEntry.action == "photo.delete") == 1


async def test_the_cleanup_removes_only_files_no_photo_needs(monkeypatch, tmp_path, db):
    store = DiskStorage(tmp_path / "photos")
    monkeypatch.setattr(services, "storage", lambda: store)
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,))
    live = await _store(supervisor, site, (1, 2, 3))
    recently_deleted = await _store(supervisor, site, (4, 5, 6))
    long_deleted = await _store(supervisor, site, (7, 8, 9))
    await services.delete(supervisor, recently_deleted, device="test-device")
    await services.delete(supervisor, long_deleted, device="test-device")
    stray, fresh_stray = "a" * 64, "b" * 64
    for name in (file_name(stray, "display"), file_name(fresh_stray, "thumb")):
        await store.put(name, b"left behind by an upload that never committed")

    def path_of(name: str):
        (path,) = (tmp_path / "photos").rglob(name)
        return path

    def files_of(*hashes: str) -> set[str]:
        names = {file_name(value, size) for value in hashes for size in ("display", "thumb")}
        return names & set(store.names())

    hashes = {row["id"]: row["content_hash"] for row in await Photo.select(Photo.id, Photo.content_hash)}
    two_hours_ago = time.time() - 7200
    for name in [*files_of(*hashes.values()), file_name(stray, "display")]:
        os.utime(path_of(name), (two_hours_ago, two_hours_ago))
    everything = set(store.names())
    assert len(everything) == 8

    assert await services.cleanup() == 1
    assert set(store.names()) == everything - {file_name(stray, "display")}

    # A month on: the files of the photo deleted then go (they were written long before).
    month_ago = time.time() - 40 * 86400
    for name in files_of(hashes[long_deleted]):
        os.utime(path_of(name), (month_ago, month_ago))
    await Photo.update({Photo.deleted_at: NOV20 - timedelta(days=31)}).where(Photo.id == long_deleted)
    assert await services.cleanup() == 2
    assert files_of(hashes[long_deleted]) == set()
    assert len(files_of(hashes[live])) == len(files_of(hashes[recently_deleted])) == 2
    assert file_name(fresh_stray, "thumb") in set(store.names())
    # And the day its 30 days are up, the recently deleted photo's files go too.
    await services.cleanup(now=datetime.now(UTC) + timedelta(days=31))
    assert files_of(hashes[recently_deleted]) == set() and len(files_of(hashes[live])) == 2


async def test_a_photo_file_is_cached_privately_and_revalidated_by_its_etag(client, sign_in_as):
    supervisor, site = await _supervised_site(sign_in_as)
    photo = await _store(supervisor, site, (11, 22, 33))
    for size in ("display.jpg", "thumb.jpg"):
        first = await client.get(f"/photos/{photo}/{size}")
        assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
        cache = [part.strip() for part in first.headers["cache-control"].split(",")]
        assert "private" in cache and "public" not in cache
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
        again = await client.get(f"/photos/{photo}/{size}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        changed = await client.get(f"/photos/{photo}/{size}", headers={"If-None-Match": '"0123"'})
        assert changed.status_code == 200 and changed.content == first.content
    # A stored ETag does not open the file to someone who may not see it.
    client.cookies.clear()
    hidden = await client.get(f"/photos/{photo}/thumb.jpg", headers={"If-None-Match": etag})
    assert hidden.status_code == 404
    assert (await client.get(f"/photos/{photo}/original.jpg")).status_code == 404
