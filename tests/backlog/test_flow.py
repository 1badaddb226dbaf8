"""Accepted reports become improvements; votes; done with evidence; "fixed?" and "not yet"."""

from __future__ import annotations

from app.backlog.tables import BacklogItem, FixedQuestion, Vote
from app.feedback.tables import FeedbackItem
from app.inbox.tables import Notification
from tests import factories
from tests.conftest import fetch_csrf
from tests.feedback.helpers import act, report, site_with_people
from tests.photos import images


async def _post(client, path: str, files=None, **fields):
    csrf = await fetch_csrf(client)
    return await client.post(path, data={"_csrf_token": csrf, **fields}, files=files)


async def test_a_report_becomes_an_improvement_that_is_voted_done_and_questioned(client, sign_in_as):
    people = await site_with_people()
    manager = await factories.user("manager")
    await factories.SiteMembership.insert(factories.SiteMembership(site=people.site.id, member=manager.id))
    crew = await factories.crew(people.site, "木工班")
    others = [
        await factories.User.objects().get(factories.User.id == (await factories.worker(crew)).account)
        for _ in range(2)
    ]
    await sign_in_as(people.worker)
    assert (await report(client, people.site.id)).status_code == 200
    feedback = await FeedbackItem.select().first()

    await sign_in_as(people.supervisor)
    accepted = await act(client, feedback["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    backlog = await BacklogItem.select().first()
    assert backlog["status"] == "proposed" and backlog["reports"] == 1
    assert (await FeedbackItem.select().first())["status"] == "accepted"

    for voter in others:
        await sign_in_as(voter)
        assert (await _post(client, f"/backlog/{backlog['id']}/vote")).status_code == 303
        assert (await _post(client, f"/backlog/{backlog['id']}/vote")).status_code == 303  # twice: one vote
    assert await Vote.count() == 2
    assert (await BacklogItem.select().first())["votes"] == 2

    await sign_in_as(manager)
    page = await client.get(f"/backlog/{backlog['id']}")
    assert "Priority" in page.text or "优先级" in page.text
    moved = await _post(client, f"/backlog/{backlog['id']}/stage", status="doing", owner=str(manager.id))
    assert moved.status_code == 303
    no_photo = await _post(
        client, f"/backlog/{backlog['id']}/done", resolution="加固完成", idempotency_key="d" * 20
    )
    assert no_photo.status_code == 422 and (await BacklogItem.select().first())["status"] == "doing"
    done = await _post(
        client,
        f"/backlog/{backlog['id']}/done",
        resolution="加固完成",
        idempotency_key="d" * 20,
        files=[("photo", ("done.jpg", images.banded_jpeg(800, 600), "image/jpeg"))],
    )
    assert done.status_code == 303, done.text
    assert (await FeedbackItem.select().first())["status"] == "closed"
    question = await FixedQuestion.select().first()
    assert question["reporter"] == people.worker.id

    await sign_in_as(people.worker)
    inbox = await client.get("/inbox")
    assert f"#{feedback['id']}" in inbox.text
    answered = await _post(client, f"/questions/{question['id']}", fixed="no")
    assert answered.status_code == 303
    assert (await BacklogItem.select().first())["status"] == "doing"
    told = await Notification.select().where(Notification.user == manager.id)
    assert any("not fixed yet" in row["message"] for row in told)


async def test_someone_else_cannot_answer_a_question(client, sign_in_as):
    people = await site_with_people()
    await sign_in_as(people.supervisor)
    other = await factories.user("worker")
    await sign_in_as(other)
    assert (await _post(client, "/questions/999", fixed="no")).status_code == 404


async def test_the_public_page_shows_delivered_improvements_without_names(client, sign_in_as):
    people = await site_with_people()
    manager = await factories.user("manager", name="李经理")
    await factories.SiteMembership.insert(factories.SiteMembership(site=people.site.id, member=manager.id))
    await sign_in_as(manager)
    created = await _post(client, "/backlog", site=str(people.site.id), title="食堂加装纱窗")
    assert created.status_code == 303
    backlog = await BacklogItem.select().first()
    done = await _post(
        client,
        f"/backlog/{backlog['id']}/done",
        resolution="纱窗已装好",
        idempotency_key="e" * 20,
        files=[("photo", ("done.jpg", images.png(), "image/png"))],
    )
    assert done.status_code == 303
    client.cookies.clear()
    page = await client.get(f"/sites/{people.site.id}/delivered")
    assert page.status_code == 200
    assert "食堂加装纱窗" in page.text and "纱窗已装好" in page.text and "李经理" not in page.text
    photo = page.text.split('src="')[1].split('"')[0]
    assert (await client.get(photo)).status_code == 200
