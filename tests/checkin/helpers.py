"""Shared set-up for the check-in tests: a site with a poster and a worker's phone."""

from __future__ import annotations

import re
import uuid

from app.accounts.tables import User
from app.checkin.posters import token_of
from app.checkin.tables import Poster
from tests import factories
from tests.conftest import fetch_csrf


async def poster_token(site, gate: str = "") -> str:
    poster = Poster(site=site.id, gate=gate, code=uuid.uuid4().hex[:16])
    await poster.save()
    return token_of(poster.code)


async def identify(client, token: str, phone: str, pin: str = factories.WORKER_PIN):
    csrf = await fetch_csrf(client)
    return await client.post(
        f"/c/{token}/identify", data={"phone": phone, "pin": pin, "_csrf_token": csrf}
    )


async def tap(client, token: str, action: str = "in", *, key: str | None = None, htmx: bool = True, **fields):
    """One tap as the outbox sends it: fresh CSRF token, key header, htmx target."""
    csrf = (await client.get("/csrf")).json()["token"]
    key = key or str(uuid.uuid4())
    data = {"action": action, "idempotency_key": key, "_csrf_token": csrf, **fields}
    headers = {"X-Idempotency-Key": key}
    if htmx:
        headers |= {"HX-Request": "true", "HX-Target": "checkin-panel"}
    return await client.post(f"/c/{token}", data=data, headers=headers)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def worker_with_phone(client, site, token: str, **kwargs):
    """A worker of `site` whose phone (the client) has identified on the poster."""
    crew = await factories.crew(site)
    worker = await factories.worker(crew, **kwargs)
    account = await User.objects().where(User.id == worker.account).first()
    answer = await identify(client, token, account.phone)
    assert answer.status_code == 303, answer.text
    return worker, account
