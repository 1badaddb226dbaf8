"""Who sees the photos of a report and of its fix, and that an anonymous report's photo names nobody."""

from __future__ import annotations

import re

from app.audit.tables import AuditEntry
from app.feedback.tables import FeedbackItem
from app.photos.tables import Photo, PhotoLink
from app.workforce.tables import Worker
from tests import factories
from tests.feedback.helpers import EN, account_of, act, fix, report, site_with_people, visible_text
from tests.photos import images
from tests.photos.helpers import listed_photos


async def _photos_of(item_id: int, record_type: str = "feedback") -> list[int]:
    rows = await PhotoLink.select(PhotoLink.photo).where(
        (PhotoLink.record_type == record_type) & (PhotoLink.record_id == item_id)
    )
    return [row["photo"] for row in rows]


async def _sees(client, photo_id: int) -> bool:
    """Whether the viewer and the file both open (and both alike: no half answers)."""
    page = await client.get(f"/photos/{photo_id}", headers=EN)
    thumb = await client.get(f"/photos/{photo_id}/thumb.jpg")
    assert page.status_code == thumb.status_code, (page.status_code, thumb.status_code)
    assert page.status_code in (200, 404)
    if page.status_code == 200:
        assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    else:
        assert "This page does not exist, or it is not yours to see." in visible_text(page.text)
    return page.status_code == 200


def _section(text: str, title: str) -> list[int]:
    """The photos listed under a heading of the item page."""
    found = re.search(rf"<h2>{re.escape(title)}</h2>\s*<ul class=\"photo-grid\">(.*?)</ul>", text, re.S)
    return listed_photos(found.group(1)) if found else []


async def _outsider():
    """A worker of another project."""
    other = await factories.site("另一个工地")
    return await account_of(await factories.worker(await factories.crew(other, name="外单位班组")))


async def test_a_reports_photo_is_seen_by_its_reporter_supervisors_and_owner_only(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    assert (await report(client, people.site.id, photos=[images.png()])).status_code == 200
    item_id = (await FeedbackItem.select(FeedbackItem.id).first())["id"]
    (photo_id,) = await _photos_of(item_id)
    await sign_in_as(people.supervisor)
    assert (await act(client, item_id, "assign", owner=str(people.foreman.id))).status_code == 200
    for person in (people.worker, people.supervisor, people.foreman):
        await sign_in_as(person)
        assert await _sees(client, photo_id), person.role
    stranger = await factories.user("supervisor")
    await factories.site("第三个工地", members=(stranger,))
    for person in (await _outsider(), stranger):
        await sign_in_as(person)
        assert not await _sees(client, photo_id), person.role
    client.cookies.delete("fp_session")
    assert (await client.get(f"/photos/{photo_id}/thumb.jpg")).status_code == 404


async def test_a_reporter_who_moved_on_still_sees_the_fix_of_their_report(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    await report(client, people.site.id)
    item_id = (await FeedbackItem.select(FeedbackItem.id).first())["id"]
    await sign_in_as(people.supervisor)
    await act(client, item_id, "assign", owner=str(people.foreman.id))
    await sign_in_as(people.foreman)
    assert (await fix(client, item_id, photos=[images.banded_jpeg(800, 600)])).status_code == 303
    (evidence,) = await _photos_of(item_id, "feedback_fix")
    # The worker's crew is now on another project: the photo is not theirs, the report still is.
    other = await factories.site("新工地")
    await Worker.update({Worker.crew: (await factories.crew(other, name="新班组")).id}).where(
        Worker.account == people.worker.id
    )
    await sign_in_as(people.worker)
    page = await client.get(f"/feedback/{item_id}", headers=EN)
    assert page.status_code == 200 and _section(page.text, "Photos of the fix") == [evidence]
    assert await _sees(client, evidence)
    await sign_in_as(await _outsider())
    assert not await _sees(client, evidence)


async def test_an_anonymous_reports_photo_names_nobody(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    sent = await report(client, people.site.id, anonymous="on", photos=[images.banded_jpeg(1200, 900)])
    assert sent.status_code == 200
    item_id = (await FeedbackItem.select(FeedbackItem.id).first())["id"]
    (photo_id,) = await _photos_of(item_id)
    photo = await Photo.select(Photo.uploaded_by).where(Photo.id == photo_id).first()
    assert photo["uploaded_by"] is None
    upload = await AuditEntry.select().where(AuditEntry.action == "photo.upload").first()
    assert upload["actor"] is None and not upload["device"]
    await sign_in_as(people.supervisor)
    viewer = visible_text((await client.get(f"/photos/{photo_id}", headers=EN)).text)
    assert "Anonymous" in viewer and people.worker.name not in viewer
    item_page = visible_text((await client.get(f"/feedback/{item_id}", headers=EN)).text)
    assert "Reported by Anonymous" in item_page and people.worker.name not in item_page
    by_worker = await client.get(f"/sites/{people.site.id}/photos", params={"uploader": people.worker.id})
    assert listed_photos(by_worker.text) == []


async def test_the_item_page_shows_the_reports_photos_and_the_fixs_apart(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    shots = [images.png(colour=(200, 0, 0)), images.png(colour=(0, 200, 0))]
    assert (await report(client, people.site.id, photos=shots)).status_code == 200
    item_id = (await FeedbackItem.select(FeedbackItem.id).first())["id"]
    reported = await _photos_of(item_id)
    assert len(reported) == 2
    page = await client.get(f"/feedback/{item_id}", headers=EN)
    assert _section(page.text, "Photos") == reported and _section(page.text, "Photos of the fix") == []
    await sign_in_as(people.supervisor)
    await act(client, item_id, "assign", owner=str(people.foreman.id))
    await sign_in_as(people.foreman)
    await fix(client, item_id, photos=[images.banded_jpeg(800, 600)])
    evidence = await _photos_of(item_id, "feedback_fix")
    for person in (people.supervisor, people.foreman, people.worker):
        await sign_in_as(person)
        page = await client.get(f"/feedback/{item_id}", headers=EN)
        assert _section(page.text, "Photos") == reported, person.role
        assert _section(page.text, "Photos of the fix") == evidence, person.role
        for photo_id in reported + evidence:
            thumb = await client.get(f"/photos/{photo_id}/thumb.jpg")
            assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
