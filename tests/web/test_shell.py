"""The top bar every page shares."""

from __future__ import annotations

import re

from app.inbox.services import notify
from app.web import access
from tests import factories


async def test_the_inbox_count_is_read_for_pages_and_not_for_what_a_page_loads(
    client, db, sign_in_as, monkeypatch
):
    supervisor = await factories.user("supervisor")
    await factories.site(members=(supervisor,))
    await notify([supervisor.id], "Report #%(id)s was fixed", link="/", id=7)
    await sign_in_as(supervisor)
    counted: list[int] = []
    real_count = access.unread_count

    async def counting(user):
        counted.append(user.id)
        return await real_count(user)

    monkeypatch.setattr(access, "unread_count", counting)
    page = await client.get("/")
    assert page.status_code == 200
    assert re.search(r'class="inbox-link"[^>]*aria-label="[^"]*: 1"', page.text)
    assert counted == [supervisor.id]
    # The outbox asks for a CSRF token before each send; a page loads files and streams.
    token = await client.get("/csrf")
    assert token.status_code == 200 and token.json()["token"]
    assert (await client.get("/sw.js")).status_code == 200
    assert counted == [supervisor.id]
