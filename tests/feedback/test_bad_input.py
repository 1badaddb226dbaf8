"""Bad input on feedback: a clear message where the person looks, and nothing changed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.feedback.tables import FeedbackItem, SiteSla
from app.sites.tables import Area, SiteMembership
from tests import factories
from tests.conftest import fetch_csrf
from tests.feedback.helpers import (
    EN,
    account_of,
    act,
    add_item,
    finding,
    fix,
    message_beside,
    report,
    site_with_people,
    snapshot,
    visible_text,
)
from tests.photos import images
from tests.photos.helpers import listed_photos

NOT_FOUND = "This page does not exist, or it is not yours to see."
NOT_ALLOWED = "Your role does not allow this. Ask your project manager."
REPORT_CASES = {
    "empty description": ({"description": "  \n "}, "description", "Say what is wrong."),
    "10,000 characters": (
        {"description": ("脚手架缺扣件" * 2000)[:10_000]},
        "description",
        "Keep it under 2000 characters.",
    ),
    "unknown kind": ({"kind": "gossip"}, "kind", "Choose what kind of problem it is."),
    "unknown severity": ({"severity": "apocalyptic"}, "severity", "Choose how serious it is."),
    "anonymous quality report": (
        {"kind": "quality", "anonymous": "on"},
        "anonymous",
        "Only safety reports can be anonymous.",
    ),
}


async def _signed_in(sign_in_as, client, user):
    await sign_in_as(user)
    client.headers.update(EN)
    return client


@pytest.mark.parametrize("queued", [False, True], ids=["form page", "queued"])
@pytest.mark.parametrize("case", list(REPORT_CASES))
async def test_a_bad_report_is_refused_with_a_message_and_nothing_kept(client, sign_in_as, case, queued):
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.worker)
    fields, field, message = REPORT_CASES[case]
    before = await snapshot()
    answer = await report(client, people.site.id, key="bad-report-key-0001", queued=queued, **fields)
    assert answer.status_code == 422
    if queued:
        # The small line the outbox shows under the form, with the key it stops retrying.
        assert "<html" not in answer.text
        assert visible_text(answer.text) == f"Not accepted: {message}"
        assert answer.headers["x-idempotency-key"] == "bad-report-key-0001"
    else:
        assert message_beside(answer.text, field) == message
    assert await snapshot() == before


async def test_an_area_of_another_project_is_refused(client, sign_in_as):
    people = await site_with_people()
    other = await factories.site("另一个工地", areas=("2号楼",))
    area = await Area.select(Area.id).where(Area.site == other.id).first()
    await _signed_in(sign_in_as, client, people.worker)
    before = await snapshot()
    answer = await report(client, people.site.id, queued=False, area=str(area["id"]))
    assert answer.status_code == 422
    assert message_beside(answer.text, "area") == "Choose an area of this project."
    assert await snapshot() == before


async def test_a_replayed_report_is_one_item_and_other_content_under_its_key_is_refused(client, sign_in_as):
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.worker)
    key = "offline-report-0001"
    first = await report(client, people.site.id, key=key, description="脚手架缺扣件")
    again = await report(client, people.site.id, key=key, description="脚手架缺扣件")
    (item,) = await FeedbackItem.select(FeedbackItem.id, FeedbackItem.description)
    assert visible_text(first.text).startswith(f"Received, #{item['id']}")
    assert visible_text(again.text).startswith(f"Received, #{item['id']}")
    before = await snapshot()
    other = await report(client, people.site.id, key=key, description="楼梯口没有护栏")
    assert other.status_code == 422
    assert visible_text(other.text) == (
        "Not accepted: This was already sent with different content, so it was not saved again."
    )
    assert await snapshot() == before
    assert await FeedbackItem.select(FeedbackItem.description) == [{"description": "脚手架缺扣件"}]


async def test_a_refused_replay_with_another_photo_keeps_no_photo(client, sign_in_as):
    """The key says it was sent before: the new photo must not be kept (it would show on the site)."""
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.worker)
    key = "offline-report-0002"
    assert (await report(client, people.site.id, key=key)).status_code == 200
    before = await snapshot()
    other = await report(client, people.site.id, key=key, photos=[images.png()])
    assert other.status_code == 422
    assert "This was already sent with different content" in visible_text(other.text)
    await sign_in_as(people.supervisor)
    assert listed_photos((await client.get(f"/sites/{people.site.id}/photos")).text) == []
    assert await snapshot() == before


async def test_a_queued_report_for_a_project_not_ones_own_is_refused_for_good(client, sign_in_as):
    """The phone's outbox stops retrying only an answer that names its key (2xx or 422)."""
    people = await site_with_people()
    other = await factories.site("另一个工地")
    await _signed_in(sign_in_as, client, people.worker)
    before = await snapshot()
    answer = await report(client, other.id, key="moved-crew-report-01")
    assert answer.status_code == 422
    assert answer.headers.get("x-idempotency-key") == "moved-crew-report-01"
    assert visible_text(answer.text).startswith("Not accepted: ") and "<html" not in answer.text
    assert await snapshot() == before


# Who may look: the queue is for the project's triagers, an item for them, its reporter and owner.


async def test_a_worker_cannot_open_the_queue(client, sign_in_as):
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.worker)
    answer = await client.get(f"/sites/{people.site.id}/queue")
    assert answer.status_code == 403
    assert NOT_ALLOWED in visible_text(answer.text)


async def test_a_supervisor_cannot_open_another_projects_queue_or_item(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, description="二号楼临边无防护")
    stranger = await factories.user("supervisor")
    await factories.site("另一个工地", members=(stranger,))
    await _signed_in(sign_in_as, client, stranger)
    for path in (f"/sites/{people.site.id}/queue", f"/feedback/{item_id}"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert NOT_FOUND in visible_text(answer.text) and "二号楼临边无防护" not in answer.text
    before = await snapshot()
    answer = await act(client, item_id, "reject", reason="不是我们的")
    assert answer.status_code == 404
    assert await snapshot() == before


async def test_a_worker_cannot_open_another_workers_report(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, reporter=people.worker.id, description="二号楼临边无防护")
    colleague = await factories.worker(await factories.crew(people.site, name="木工班"))
    await _signed_in(sign_in_as, client, await account_of(colleague))
    answer = await client.get(f"/feedback/{item_id}")
    assert answer.status_code == 404
    assert NOT_FOUND in visible_text(answer.text) and "二号楼临边无防护" not in answer.text


# Triage actions on a queue row: refused in the row itself, the item as it was.


async def test_rejecting_without_a_reason_is_refused_in_the_row(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, reporter=people.worker.id)
    await _signed_in(sign_in_as, client, people.supervisor)
    before = await snapshot()
    answer = await act(client, item_id, "reject", reason="   ")
    assert answer.status_code == 422
    assert answer.text.lstrip().startswith(f'<li id="item-{item_id}"') and "<html" not in answer.text
    assert "Say why, for the person who reported it." in visible_text(answer.text)
    assert await snapshot() == before
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "new"


DUPLICATE_CASES = {
    "itself": (lambda own, other: str(own), "Choose another item: the one to keep."),
    "another project's": (lambda own, other: str(other), "Choose an item of the same project."),
    "one that does not exist": (lambda own, other: "999999", "Choose an item of the same project."),
    "not a number": (lambda own, other: "上一个", "Choose another item: the one to keep."),
}


@pytest.mark.parametrize("case", list(DUPLICATE_CASES))
async def test_a_duplicate_of_a_wrong_item_is_refused(client, sign_in_as, case):
    people = await site_with_people()
    item_id = await add_item(people.site.id)
    other_site = await factories.site("另一个工地")
    other_id = await add_item(other_site.id)
    await _signed_in(sign_in_as, client, people.supervisor)
    pick, message = DUPLICATE_CASES[case]
    before = await snapshot()
    answer = await act(client, item_id, "duplicate", duplicate_of=pick(item_id, other_id))
    assert answer.status_code == 422
    assert message in visible_text(answer.text)
    assert await snapshot() == before


async def test_a_duplicate_chain_back_to_the_item_is_refused(client, sign_in_as):
    people = await site_with_people()
    first, second, third = [await add_item(people.site.id) for _ in range(3)]
    await _signed_in(sign_in_as, client, people.supervisor)
    assert (await act(client, first, "duplicate", duplicate_of=str(second))).status_code == 200
    for item_id, kept, then in ((second, first, third), (third, first, None), (third, second, None)):
        before = await snapshot()
        answer = await act(client, item_id, "duplicate", duplicate_of=f"#{kept}")
        assert answer.status_code == 422, (item_id, kept)
        assert "That item is itself a duplicate of this one." in visible_text(answer.text)
        assert await snapshot() == before
        if then:  # a longer chain: first → second → third
            assert (await act(client, item_id, "duplicate", duplicate_of=str(then))).status_code == 200
    chain = await FeedbackItem.select(FeedbackItem.duplicate_of).order_by(FeedbackItem.id)
    assert [row["duplicate_of"] for row in chain] == [second, third, None]


@pytest.mark.parametrize(
    ("owner", "due", "message"),
    [
        ("worker", "", "Choose who will fix it."),
        ("nobody", "", "Choose who will fix it."),
        ("foreman", "yesterday", "The due date has passed."),
        ("foreman", "next Friday", "Enter a date like 2026-03-31."),
    ],
)
async def test_a_fix_for_a_wrong_person_or_day_is_refused(client, sign_in_as, owner, due, message):
    people = await site_with_people()
    item_id = await add_item(people.site.id)
    await _signed_in(sign_in_as, client, people.supervisor)
    if due == "yesterday":
        due = (datetime.now(ZoneInfo(people.site.timezone)).date() - timedelta(days=1)).isoformat()
    who = str(getattr(people, owner).id) if owner != "nobody" else ""
    before = await snapshot()
    answer = await act(client, item_id, "assign", owner=who, due_on=due)
    assert answer.status_code == 422
    assert message in visible_text(answer.text)
    assert await snapshot() == before


# The fix (整改) and its re-inspection (复查).


async def test_a_fix_without_a_photo_is_refused(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, status="assigned", owner=people.foreman.id)
    await _signed_in(sign_in_as, client, people.foreman)
    before = await snapshot()
    answer = await fix(client, item_id)
    assert answer.status_code == 422
    assert "Add at least one photo of the fix." in visible_text(answer.text)
    answer = await fix(client, item_id, note=" ", photos=[images.png()])
    assert answer.status_code == 422
    assert "Say what was done." in visible_text(answer.text)
    assert await snapshot() == before
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "assigned"


@pytest.mark.parametrize("who", ["supervisor", "worker"])
async def test_only_the_owner_marks_a_fix_done(client, sign_in_as, who):
    people = await site_with_people()
    item_id = await add_item(
        people.site.id, status="assigned", owner=people.foreman.id, reporter=people.worker.id
    )
    await _signed_in(sign_in_as, client, getattr(people, who))
    before = await snapshot()
    answer = await fix(client, item_id, photos=[images.png()])
    assert answer.status_code == 403
    assert "Only the person this fix is assigned to can mark it fixed." in visible_text(answer.text)
    assert await snapshot() == before


async def test_nobody_re_inspects_their_own_fix(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id)
    await _signed_in(sign_in_as, client, people.supervisor)
    assert (await act(client, item_id, "assign", owner=str(people.supervisor.id))).status_code == 200
    assert (await fix(client, item_id, photos=[images.png()])).status_code == 303
    before = await snapshot()
    for result in ("pass", "fail"):
        answer = await act(client, item_id, "reinspect", row=False, result=result, reason="看过了")
        assert answer.status_code == 403
        assert "Someone else must re-inspect your own fix." in visible_text(answer.text)
    assert await snapshot() == before
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "fixed"


async def test_sending_a_fix_back_needs_a_reason(client, sign_in_as):
    people = await site_with_people()
    item_id = await add_item(people.site.id, status="fixed", owner=people.foreman.id)
    await _signed_in(sign_in_as, client, people.supervisor)
    before = await snapshot()
    answer = await act(client, item_id, "reinspect", row=False, result="fail", reason="  ")
    assert answer.status_code == 422
    assert "Say what is still wrong." in visible_text(answer.text)
    assert await snapshot() == before
    assert (await FeedbackItem.select(FeedbackItem.status).first())["status"] == "fixed"


# Findings on rounds (巡检).


async def test_a_worker_cannot_record_a_finding(client, sign_in_as):
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.worker)
    before = await snapshot()
    answer = await finding(client, people.site.id)
    assert answer.status_code == 403
    assert NOT_ALLOWED in visible_text(answer.text)
    assert await snapshot() == before


async def test_a_finding_due_in_the_past_or_elsewhere_is_refused(client, sign_in_as):
    people = await site_with_people()
    other = await factories.site("另一个工地")
    other_crew = await factories.crew(other, name="外单位班组")
    await _signed_in(sign_in_as, client, people.supervisor)
    yesterday = datetime.now(ZoneInfo(people.site.timezone)).date() - timedelta(days=1)
    before = await snapshot()
    for fields, field, message in (
        ({"due_on": yesterday.isoformat()}, "due_on", "The due date has passed."),
        ({"due_on": "31/03/2026"}, "due_on", "Enter a date like 2026-03-31."),
        ({"crew": str(other_crew.id)}, "crew", "Choose a crew of this project."),
    ):
        answer = await finding(client, people.site.id, **fields)
        assert answer.status_code == 422, fields
        assert message_beside(answer.text, field) == message
    assert await snapshot() == before


# A project's response and fix times (SLA), set by its managers.

DEFAULT_FORM = {
    "critical_respond": "4",
    "critical_fix": "24",
    "high_respond": "24",
    "high_fix": "72",
    "medium_respond": "72",
    "medium_fix": "168",
    "low_respond": "168",
    "low_fix": "720",
}
WHOLE_HOURS = "Enter whole hours, from 1 to 8760."
SLA_CASES = {
    "words": ({"high_respond": "一天"}, "high_respond", WHOLE_HOURS),
    "a fraction": ({"low_fix": "12.5"}, "low_fix", WHOLE_HOURS),
    "negative": ({"medium_respond": "-3"}, "medium_respond", WHOLE_HOURS),
    "zero": ({"critical_fix": "0"}, "critical_fix", WHOLE_HOURS),
    "over a year": ({"low_fix": "9000"}, "low_fix", WHOLE_HOURS),
    "fix before the answer": (
        {"medium_respond": "100", "medium_fix": "50"},
        "medium_fix",
        "The fix cannot be due before the answer.",
    ),
}


async def _save_sla(client, site_id: int, **fields):
    csrf = await fetch_csrf(client)
    return await client.post(f"/sites/{site_id}/sla", data={"_csrf_token": csrf, **DEFAULT_FORM, **fields})


@pytest.mark.parametrize("case", list(SLA_CASES))
async def test_bad_sla_hours_are_refused_and_nothing_saved(client, sign_in_as, case):
    people = await site_with_people()
    manager = await factories.user("manager")
    await SiteMembership.insert(SiteMembership(site=people.site.id, member=manager.id))
    await _signed_in(sign_in_as, client, manager)
    assert (await _save_sla(client, people.site.id, high_respond="12")).status_code == 303
    saved = await SiteSla.select(SiteSla.severity, SiteSla.respond_hours, SiteSla.fix_hours)
    fields, field, message = SLA_CASES[case]
    answer = await _save_sla(client, people.site.id, **fields)
    assert answer.status_code == 422
    assert message_beside(answer.text, field) == message
    # What was typed stays in the form, to be corrected.
    assert f'value="{next(iter(fields.values()))}"' in answer.text
    assert await SiteSla.select(SiteSla.severity, SiteSla.respond_hours, SiteSla.fix_hours) == saved


async def test_a_supervisor_cannot_set_the_sla(client, sign_in_as):
    people = await site_with_people()
    await _signed_in(sign_in_as, client, people.supervisor)
    assert (await client.get(f"/sites/{people.site.id}/sla")).status_code == 403
    answer = await _save_sla(client, people.site.id, critical_respond="1")
    assert answer.status_code == 403
    assert NOT_ALLOWED in visible_text(answer.text)
    assert await SiteSla.count() == 0
