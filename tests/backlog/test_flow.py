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


async def _done_improvement_from_a_report(client, sign_in_as, *, owner: bool):
    """A worker's report accepted into an improvement, then marked done (with an owner or not)."""
    people = await site_with_people()
    await sign_in_as(people.worker)
    assert (await report(client, people.site.id)).status_code == 200
    feedback = await FeedbackItem.select().first()
    await sign_in_as(people.supervisor)
    assert (await act(client, feedback["id"], "accept")).status_code == 200
    backlog = await BacklogItem.select().first()
    if owner:
        moved = await _post(
            client, f"/backlog/{backlog['id']}/stage", status="doing", owner=str(people.supervisor.id)
        )
        assert moved.status_code == 303
    await _mark_done(client, backlog["id"], "f")
    return people, feedback, backlog


async def _mark_done(client, backlog_id: int, key: str):
    done = await _post(
        client,
        f"/backlog/{backlog_id}/done",
        resolution="已修好",
        idempotency_key=key * 20,
        files=[("photo", ("done.jpg", images.banded_jpeg(800, 600), "image/jpeg"))],
    )
    assert done.status_code == 303, done.text


async def test_not_yet_reopens_the_report_so_the_next_done_asks_again(client, sign_in_as):
    people, feedback, backlog = await _done_improvement_from_a_report(client, sign_in_as, owner=False)
    first = await FixedQuestion.select().first()
    await sign_in_as(people.worker)
    assert (await _post(client, f"/questions/{first['id']}", fixed="no")).status_code == 303
    report_row = await FeedbackItem.select().where(FeedbackItem.id == feedback["id"]).first()
    assert (report_row["status"], report_row["is_open"], report_row["closed_at"]) == ("accepted", True, None)
    # No owner: the site's supervisor hears of it.
    told = await Notification.select().where(Notification.user == people.supervisor.id)
    assert any("not fixed yet" in row["message"] for row in told)
    item_page = await client.get(f"/feedback/{feedback['id']}")
    assert "再次打开：尚未解决" in item_page.text

    await sign_in_as(people.supervisor)
    page = await client.get(f"/backlog/{backlog['id']}")
    assert "已修好" not in page.text  # the old resolution is not shown on a reopened item
    await _mark_done(client, backlog["id"], "g")
    assert await FixedQuestion.count().where(FixedQuestion.reporter == people.worker.id) == 2
    assert (await FeedbackItem.select().where(FeedbackItem.id == feedback["id"]).first())[
        "status"
    ] == "closed"


async def test_a_manager_takes_a_done_improvement_up_again(client, sign_in_as):
    people, feedback, backlog = await _done_improvement_from_a_report(client, sign_in_as, owner=True)
    page = await client.get(f"/backlog/{backlog['id']}")
    assert "重新处理" in page.text and 'value="doing"' in page.text and 'value="planned"' not in page.text
    refused = await _post(client, f"/backlog/{backlog['id']}/stage", status="planned")
    assert refused.status_code == 422
    again = await _post(client, f"/backlog/{backlog['id']}/stage", status="doing")
    assert again.status_code == 303
    row = await BacklogItem.select().first()
    assert (row["status"], row["done_at"]) == ("doing", None)
    assert (await FeedbackItem.select().where(FeedbackItem.id == feedback["id"]).first())[
        "status"
    ] == "accepted"
