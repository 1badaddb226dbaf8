"""Reporting as the phone's outbox does, and a site with its people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.accounts.tables import User
from tests import factories
from tests.conftest import fetch_csrf


@dataclass
class Site:
    site: object
    supervisor: User
    foreman: User
    worker: User


async def site_with_people(name: str = "测试工地") -> Site:
    supervisor = await factories.user("supervisor")
    foreman = await factories.user("foreman")
    site = await factories.site(name, members=(supervisor, foreman), areas=("1号楼",))
    worker = await factories.worker(await factories.crew(site, foreman=foreman))
    account = await User.objects().get(User.id == worker.account)
    return Site(site, supervisor, foreman, account)


async def report(
    client, site_id: int, *, key: str | None = None, photos: list[bytes] = (), queued: bool = True, **fields
):
    csrf = await fetch_csrf(client)
    key = key or str(uuid.uuid4())
    data = {
        "site": str(site_id),
        "kind": "safety",
        "severity": "high",
        "description": "脚手架缺扣件",
        "idempotency_key": key,
        "_csrf_token": csrf,
        **fields,
    }
    headers = {"X-Idempotency-Key": key, "HX-Request": "true", "HX-Target": "report-result"} if queued else {}
    files = [("photo", (f"p{i}.jpg", content, "image/jpeg")) for i, content in enumerate(photos)]
    return await client.post("/report", data=data, headers=headers, files=files or None)


async def act(client, item_id: int, action: str, *, row: bool = True, **fields):
    csrf = await fetch_csrf(client)
    headers = {"HX-Request": "true", "HX-Target": f"item-{item_id}"} if row else {}
    return await client.post(
        f"/feedback/{item_id}/{action}", data={"_csrf_token": csrf, **fields}, headers=headers
    )
