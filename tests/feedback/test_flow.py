"""The loop: a report, triage, the fix with a photo, the re-inspection; my reports."""

from __future__ import annotations

from app.audit.tables import AuditEntry
from app.feedback.tables import FeedbackEvent, FeedbackItem
from app.outbox.tables import IdempotencyRecord
from app.photos.tables import Photo
from tests.feedback.helpers import act, report, site_with_people
from tests.photos import images


async def test_report_assign_fix_reinspect_close(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    sent = await report(client, people.site.id, photos=[images.png()])
    assert sent.status_code == 200, sent.text
    item = await FeedbackItem.select().first()
    assert f"#{item['id']}" in sent.text and sent.headers["x-idempotency-key"]
    assert (
        item["status"] == "new" and item["reporter"] == people.worker.id and item["first_response_at"] is None
    )

    await sign_in_as(people.supervisor)
    queue = await client.get(f"/sites/{people.site.id}/queue")
    assert queue.status_code == 200 and f"item-{item['id']}" in queue.text
    row = await act(client, item["id"], "assign", owner=str(people.foreman.id))
    assert row.status_code == 200, row.text
    assert row.text.lstrip().startswith(f'<li id="item-{item["id"]}"') and "<html" not in row.text
    item = await FeedbackItem.select().first()
    assert item["status"] == "assigned" and item["owner"] == people.foreman.id
    assert item["first_response_at"] is not None

    await sign_in_as(people.foreman)
    fixed = await client.post(
        f"/feedback/{item['id']}/fix",
        data={
            "_csrf_token": client.cookies.get("fp_csrf"),
            "note": "已补齐扣件",
            "idempotency_key": "f" * 20,
        },
        files=[("photo", ("fix.jpg", images.banded_jpeg(800, 600), "image/jpeg"))],
    )
    assert fixed.status_code == 303, fixed.text
    assert (await FeedbackItem.select().first())["status"] == "fixed"

    await sign_in_as(people.supervisor)
    closed = await act(client, item["id"], "reinspect", row=False, result="pass")
    assert closed.status_code == 303
    assert (await FeedbackItem.select().first())["status"] == "closed"

    await sign_in_as(people.worker)
    mine = await client.get("/me/reports")
    assert "Closed" in mine.text or "已关闭" in mine.text
    page = await client.get(f"/feedback/{item['id']}")
    assert page.status_code == 200 and "已补齐扣件" in page.text
    actions = [
        row["action"] for row in await FeedbackEvent.select(FeedbackEvent.action).order_by(FeedbackEvent.id)
    ]
    assert actions == ["created", "assign", "fix", "pass"]
    assert await Photo.count() == 2


async def test_an_anonymous_safety_report_keeps_no_person_anywhere(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    sent = await report(client, people.site.id, anonymous="on", photos=[images.png()])
    assert sent.status_code == 200, sent.text
    item = await FeedbackItem.select().first()
    assert item["reporter"] is None and item["anonymous"]
    assert (await Photo.select(Photo.uploaded_by).first())["uploaded_by"] is None
    entries = await AuditEntry.select().where(AuditEntry.action == "feedback.report")
    assert len(entries) == 1
    assert entries[0]["actor"] is None and not entries[0]["device"]
    assert all(row["actor"] is None for row in await FeedbackEvent.select(FeedbackEvent.actor))
    record = await IdempotencyRecord.select().where(IdempotencyRecord.scope == "feedback").first()
    # The key and a hash of what was sent; nothing that names a person or a phone.
    assert set(record) == {"id", "scope", "key", "payload_hash", "result_type", "result_id", "created_at"}


async def test_a_replayed_offline_report_is_one_item(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.worker)
    first = await report(client, people.site.id, key="r" * 30)
    again = await report(client, people.site.id, key="r" * 30)
    assert first.status_code == again.status_code == 200
    assert await FeedbackItem.count() == 1
