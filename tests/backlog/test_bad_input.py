"""Improvements refuse bad input with a message and change nothing."""

from __future__ import annotations

from app.backlog.tables import BacklogItem, FixedQuestion
from tests import factories
from tests.backlog.test_flow import _post
from tests.feedback.helpers import act, report, site_with_people
from tests.photos import images


async def _done_improvement(client, sign_in_as):
    """A report accepted, its improvement done: the reporter has a "fixed?" question."""
    people = await site_with_people()
    manager = await factories.user("manager")
    await factories.SiteMembership.insert(factories.SiteMembership(site=people.site.id, member=manager.id))
    await sign_in_as(people.worker)
    await report(client, people.site.id)
    await sign_in_as(people.supervisor)
    item = (await client.get(f"/sites/{people.site.id}/queue")).text
    assert "item-1" in item
    await act(client, 1, "accept")
    await sign_in_as(manager)
    backlog = await BacklogItem.select().first()
    done = await _post(
        client,
        f"/backlog/{backlog['id']}/done",
        resolution="已处理",
        idempotency_key="q" * 20,
        files=[("photo", ("d.jpg", images.png(), "image/png"))],
    )
    assert done.status_code == 303
    return people, manager, backlog


async def test_nobody_answers_fixed_for_someone_elses_report(client, sign_in_as):
    people, _, backlog = await _done_improvement(client, sign_in_as)
    question = await FixedQuestion.select().first()
    stranger = await factories.User.objects().get(
        factories.User.id == (await factories.worker(await factories.crew(people.site, "杂工班"))).account
    )
    await sign_in_as(stranger)
    answered = await _post(client, f"/questions/{question['id']}", fixed="no")
    assert answered.status_code == 404
    assert (await FixedQuestion.select().first())["answer"] == ""
    assert (await BacklogItem.select().first())["status"] == "done"


async def test_wont_do_needs_a_reason(client, sign_in_as):
    people = await site_with_people()
    manager = await factories.user("manager")
    await factories.SiteMembership.insert(factories.SiteMembership(site=people.site.id, member=manager.id))
    await sign_in_as(manager)
    await _post(client, "/backlog", site=str(people.site.id), title="工具房加锁")
    backlog = await BacklogItem.select().first()
    refused = await _post(client, f"/backlog/{backlog['id']}/stage", status="wont_do", reason="")
    assert refused.status_code == 422 and "请说明不予处理的原因。" in refused.text
    assert (await BacklogItem.select().first())["status"] == "proposed"
    blank = await _post(client, "/backlog", site=str(people.site.id), title="  ")
    assert blank.status_code == 422 and "请给改进事项起一个简短的标题。" in blank.text
    assert await BacklogItem.count() == 1


async def test_a_worker_cannot_move_or_close_an_improvement(client, sign_in_as):
    people, _, backlog = await _done_improvement(client, sign_in_as)
    await sign_in_as(people.worker)
    assert (await _post(client, f"/backlog/{backlog['id']}/stage", status="doing")).status_code == 403
    assert (await BacklogItem.select().first())["status"] == "done"
