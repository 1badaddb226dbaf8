"""Poster check-in over HTTP: identify once, one tap, the answer the outbox relies on."""

from __future__ import annotations

from datetime import UTC, datetime

from app.backlog.tables import BacklogItem, FixedQuestion
from app.checkin.tables import AttendanceDay, AttendanceEvent
from app.feedback.tables import FeedbackItem
from tests import factories
from tests.checkin.helpers import identify, poster_token, tap, text_of, worker_with_phone

EN = {"accept-language": "en"}


async def test_identify_once_then_check_in_and_out(client, db):
    site = await factories.site()
    crew = await factories.crew(site)
    worker = await factories.worker(crew)
    phone = (await worker.get_related(worker.__class__.account)).phone
    token = await poster_token(site)
    client.headers.update(EN)

    first = await client.get(f"/c/{token}")
    assert "Who are you?" in first.text
    identified = await identify(client, token, phone)
    assert identified.status_code == 303

    page = await client.get(f"/c/{token}")
    assert "Check in" in text_of(page.text) and "Not checked in" in text_of(page.text)
    assert f'action="/c/{token}" class="tap-form"' in page.text

    checked_in = await tap(client, token, "in", latitude="31.23", longitude="121.47", accuracy="10")
    assert checked_in.status_code == 200, checked_in.text
    assert checked_in.headers["x-idempotency-key"]
    assert "Checked in" in text_of(checked_in.text)
    assert "Check out" in text_of(checked_in.text)
    assert f'action="/c/{token}" class="tap-form"' in checked_in.text

    reloaded = await client.get(f"/c/{token}")
    assert "Checked in at" in text_of(reloaded.text)

    out = await tap(client, token, "out", latitude="31.23", longitude="121.47", accuracy="10")
    assert out.status_code == 200
    events = await AttendanceEvent.select(AttendanceEvent.kind, AttendanceEvent.flags).order_by(
        AttendanceEvent.seq
    )
    assert [(e["kind"], e["flags"]) for e in events] == [("in", ""), ("out", "")]
    day = await AttendanceDay.select().first()
    assert day["shifts"] == 1 and day["open_shift"] is False


async def test_a_waiting_fixed_question_comes_with_the_tap_and_an_answered_one_does_not(client, db):
    site = await factories.site()
    token = await poster_token(site)
    client.headers.update(EN)
    _, account = await worker_with_phone(client, site, token)
    first = await tap(client, token, "in")
    assert first.status_code == 200 and "Is it fixed?" not in first.text

    now = datetime.now(UTC)
    feedback = FeedbackItem(
        site=site.id,
        kind="welfare",
        severity="low",
        severity_rank=1,
        description="热水器坏了",
        reporter=account.id,
        respond_by=now,
        fix_by=now,
        deadline=now,
    )
    await feedback.save()
    backlog = BacklogItem(site=site.id, title="换热水器", status="done")
    await backlog.save()
    question = FixedQuestion(feedback=feedback.id, backlog=backlog.id, reporter=account.id)
    await question.save()
    asked = await tap(client, token, "out")
    assert asked.status_code == 200 and f"Is it fixed? Your report #{feedback.id}" in text_of(asked.text)
    assert "热水器坏了" in asked.text
    assert f"Is it fixed? Your report #{feedback.id}" in text_of((await client.get(f"/c/{token}")).text)

    await FixedQuestion.update({FixedQuestion.answer: "yes"}).where(FixedQuestion.id == question.id)
    answered = await tap(client, token, "in")
    assert answered.status_code == 200 and "Is it fixed?" not in answered.text
