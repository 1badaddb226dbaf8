"""A queue row's actions: its forms fetched when first opened, the counts that follow an action,
and the fix sent from the phone's outbox."""

from __future__ import annotations

import re

from app.feedback import queue
from app.feedback.tables import FeedbackEvent, FeedbackItem
from tests import factories
from tests.feedback.helpers import EN, act, add_item, fix, listed_items, site_with_people, visible_text
from tests.photos import images

ACTIONS = ("accept", "assign", "duplicate", "reject", "comment")


def _forms(text: str) -> list[str]:
    """The actions of the forms in `text`, in their order."""
    return re.findall(r'<form method="post" action="/feedback/\d+/(\w+)"', text)


async def _actions(client, item_id: int, **headers):
    headers = {"HX-Request": "true", "HX-Target": f"actions-{item_id}", **EN, **headers}
    return await client.get(f"/feedback/{item_id}/actions", headers=headers)


def _counts(text: str) -> str | None:
    found = re.search(r'<p class="counts" id="queue-counts" hx-swap-oob="true">(.*?)</p>', text, re.S)
    return visible_text(found.group(1)) if found else None


async def test_a_queue_page_carries_no_forms_and_a_row_fetches_its_own_when_opened(client, sign_in_as):
    people = await site_with_people()
    new, assigned = (
        await add_item(people.site.id),
        await add_item(people.site.id, status="assigned", owner=people.foreman.id),
    )
    await sign_in_as(people.supervisor)
    page = await client.get(f"/sites/{people.site.id}/queue", headers=EN)
    assert sorted(listed_items(page.text)) == [new, assigned]
    assert _forms(page.text) == []
    for item_id in (new, assigned):
        assert f'hx-get="/feedback/{item_id}/actions" hx-trigger="toggle once"' in page.text
        assert f'hx-target="#actions-{item_id}"' in page.text

    opened = await _actions(client, new)
    assert opened.status_code == 200 and opened.headers["vary"].startswith("HX-Request")
    assert opened.text.lstrip().startswith(f'<div id="actions-{new}"') and "<li" not in opened.text
    assert _forms(opened.text) == list(ACTIONS)
    assert f'hx-target="#item-{new}"' in opened.text
    assert f'<option value="{people.foreman.id}" >' in opened.text
    assert _forms((await _actions(client, assigned)).text) == list(ACTIONS[1:])

    # Anything but a row opening its actions goes to the item's page, which has the forms.
    plain = await client.get(f"/feedback/{new}/actions")
    assert plain.status_code == 303 and plain.headers["location"] == f"/feedback/{new}"
    item_page = await client.get(f"/feedback/{new}", headers=EN)
    assert set(ACTIONS) <= set(_forms(item_page.text))


async def test_a_row_whose_item_moved_on_says_so_instead_of_forms(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id)
    await sign_in_as(people.supervisor)
    await FeedbackItem.update({FeedbackItem.status: "closed", FeedbackItem.is_open: False}).where(
        FeedbackItem.id == item_id
    )
    opened = await _actions(client, item_id)
    assert opened.status_code == 200 and _forms(opened.text) == []
    assert "This item has moved on meanwhile." in visible_text(opened.text)


async def test_only_the_projects_triagers_get_a_rows_forms(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, reporter=people.worker.id)
    await sign_in_as(people.worker)  # the reporter sees the item, but does not triage it
    assert (await _actions(client, item_id)).status_code == 403
    stranger = await factories.user("supervisor")
    await factories.site("另一个工地", members=(stranger,))
    await sign_in_as(stranger)
    assert (await _actions(client, item_id)).status_code == 404


async def test_an_action_in_the_queue_brings_the_queues_counts_along(client, sign_in_as):
    people = await site_with_people()
    first, second = await add_item(people.site.id), await add_item(people.site.id)
    await sign_in_as(people.supervisor)
    client.headers.update(EN)
    answer = await act(client, first, "assign", owner=str(people.foreman.id), in_queue="1")
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<li id="item-{first}"')
    # The row keeps saying it is in the queue, so its next action brings the counts too.
    assert """hx-vals='{"in_queue": "1"}'""" in answer.text
    assert _counts(answer.text) == "Open 2 New 1 Being fixed 1 Fixed, to re-inspect 0 Overdue 0"
    answer = await act(client, second, "reject", reason="不属于本项目", in_queue="1")
    assert _counts(answer.text) == "Open 1 New 0 Being fixed 1 Fixed, to re-inspect 0 Overdue 0"

    # On the item's own page there are no counts to update.
    answer = await act(client, first, "comment", comment="明天处理")
    assert answer.status_code == 200 and _counts(answer.text) is None and "in_queue" not in answer.text
    # Refused: the row opens with its forms and the message; nothing moved, no counts.
    refused = await act(client, first, "reject", reason=" ", in_queue="1")
    assert refused.status_code == 422 and _counts(refused.text) is None
    assert _forms(refused.text) == list(ACTIONS[1:]) and '<details class="row-actions" open' in refused.text
    assert "Say why, for the person who reported it." in visible_text(refused.text)


async def test_scrolling_the_queue_counts_nothing(client, sign_in_as, monkeypatch):
    people = await site_with_people()
    for _ in range(queue.PAGE + 5):
        await add_item(people.site.id)
    await sign_in_as(people.supervisor)
    page = await client.get(f"/sites/{people.site.id}/queue", headers=EN)
    link = re.search(r'<li id="queue-more"[^>]*hx-get="([^"]*)"', page.text).group(1).replace("&amp;", "&")

    async def no_counts(*args, **kwargs):
        raise AssertionError("the next rows need no counts")

    monkeypatch.setattr(queue, "counts", no_counts)
    more = await client.get(
        f"/sites/{people.site.id}/queue{link}", headers={"HX-Request": "true", "HX-Target": "queue-more"}
    )
    assert more.status_code == 200 and len(listed_items(more.text)) == 5


async def test_a_fix_sent_from_the_outbox_is_confirmed_once_with_its_key(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, status="assigned", owner=people.foreman.id)
    await sign_in_as(people.foreman)
    client.headers.update(EN)
    page = await client.get(f"/feedback/{item_id}")
    assert 'data-photo-upload="together" data-outbox-target="fix-result"' in page.text
    assert '<div id="fix-result"' in page.text
    key = "fix-from-the-outbox-0001"
    for _ in range(2):  # the second one a replay: the phone never heard the first answer
        sent = await fix(client, item_id, photos=[images.png()], key=key, queued=True)
        assert sent.status_code == 200 and sent.headers["x-idempotency-key"] == key
        assert f"#{item_id} Fixed, to re-inspect See it" in visible_text(sent.text)
        assert "<html" not in sent.text and f'href="/feedback/{item_id}"' in sent.text
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "fixed"
    assert await FeedbackEvent.count().where(FeedbackEvent.action == "fix") == 1


async def test_a_fix_from_the_outbox_that_cannot_be_done_gets_a_final_answer(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, status="assigned", owner=people.foreman.id)
    await sign_in_as(people.foreman)
    client.headers.update(EN)
    refused = await fix(client, item_id, key="fix-without-a-photo", queued=True)
    assert refused.status_code == 422 and refused.headers["x-idempotency-key"] == "fix-without-a-photo"
    assert "Not accepted: Add at least one photo of the fix." in visible_text(refused.text)
    # Meanwhile the fix went to someone else: retrying will not help, so it is told, not kept.
    await FeedbackItem.update({FeedbackItem.owner: people.supervisor.id}).where(FeedbackItem.id == item_id)
    refused = await fix(client, item_id, photos=[images.png()], key="fix-of-another", queued=True)
    assert refused.status_code == 422 and refused.headers["x-idempotency-key"] == "fix-of-another"
    assert "This page does not exist, or it is not yours to see." in visible_text(refused.text)
    await FeedbackItem.update({FeedbackItem.owner: people.foreman.id}).where(FeedbackItem.id == item_id)
    await sign_in_as(people.supervisor)  # sees the item, but it is not theirs to fix
    refused = await fix(client, item_id, photos=[images.png()], key="fix-by-a-triager", queued=True)
    assert refused.status_code == 422 and refused.headers["x-idempotency-key"] == "fix-by-a-triager"
    assert "Only the person this fix is assigned to can mark it fixed." in visible_text(refused.text)
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "assigned"
