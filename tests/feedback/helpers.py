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


# Shared by the bad-input, queue and access tests.
EN = {"accept-language": "en"}


def visible_text(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces collapsed."""
    import html as entities
    import re

    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def message_beside(html: str, name: str) -> str | None:
    """The error shown right after the form field `name` (before the next field), if any."""
    import re

    start = html.rfind(f'name="{name}"')
    if start < 0:
        return None
    after = html[start + len(name) + 7 :]
    following = re.search(r'\sname="', after)
    if following:
        after = after[: following.start()]
    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', after, re.S)
    return visible_text(found.group(1)) if found else None


def listed_items(html: str) -> list[int]:
    """The items a queue page (or fragment) shows, in its order."""
    import re

    return [int(found) for found in re.findall(r'<li id="item-(\d+)"', html)]


async def add_item(
    site_id: int, *, severity: str = "medium", kind: str = "safety", status: str = "new", **fields
) -> int:
    """An item written straight to the table (with its "created" event), the SLA's defaults applied."""
    from datetime import UTC, datetime, timedelta

    from app.db import insert_rows
    from app.feedback import sla
    from app.feedback.tables import FeedbackEvent, FeedbackItem, Severity
    from app.feedback.triage import OPEN

    now = fields.pop("created_at", None) or datetime.now(UTC)
    respond, fix = sla.DEFAULTS[Severity(severity)]
    respond_by = fields.pop("respond_by", now + timedelta(hours=respond))
    fix_by = fields.pop("fix_by", now + timedelta(hours=fix))
    row = {
        "site": site_id,
        "kind": kind,
        "severity": severity,
        "severity_rank": sla.RANK[Severity(severity)],
        "description": f"{kind} {severity} {status}",
        "status": status,
        "is_open": status in OPEN,
        "created_at": now,
        "updated_at": now,
        "respond_by": respond_by,
        "fix_by": fix_by,
        "deadline": respond_by if status == "new" else fix_by,
        **fields,
    }
    item_id = (await insert_rows(FeedbackItem, [row]))[0]
    event = {"item": item_id, "action": "created", "actor": row.get("reporter"), "created_at": now}
    await insert_rows(FeedbackEvent, [event])
    return item_id


async def snapshot() -> tuple:
    """Everything a refused request must leave as it was: items, timelines, photos, the audit log."""
    from app.audit.tables import AuditEntry
    from app.feedback.tables import FeedbackEvent, FeedbackItem
    from app.photos.tables import Photo, PhotoLink

    items = await FeedbackItem.select().order_by(FeedbackItem.id)
    return (
        items,
        await FeedbackEvent.count(),
        await Photo.count(),
        await PhotoLink.count(),
        await AuditEntry.count(),
    )


async def fix(
    client,
    item_id: int,
    *,
    photos: list[bytes] = (),
    note: str = "已补齐扣件",
    key: str | None = None,
    queued: bool = False,
):
    """The owner's "Fixed" form: a note and evidence photos (an empty file part when none is chosen);
    queued, as the phone's outbox sends it."""
    csrf = await fetch_csrf(client)
    files = [("photo", (f"fix{i}.jpg", content, "image/jpeg")) for i, content in enumerate(photos)]
    files = files or [("photo", ("", b"", "application/octet-stream"))]
    key = key or str(uuid.uuid4())
    data = {"_csrf_token": csrf, "note": note, "idempotency_key": key}
    headers = {"X-Idempotency-Key": key, "HX-Request": "true", "HX-Target": "fix-result"} if queued else {}
    return await client.post(f"/feedback/{item_id}/fix", data=data, files=files, headers=headers)


async def finding(client, site_id: int, **fields):
    """A supervisor's finding on rounds, as the plain form sends it."""
    csrf = await fetch_csrf(client)
    data = {
        "_csrf_token": csrf,
        "idempotency_key": str(uuid.uuid4()),
        "kind": "quality",
        "severity": "medium",
        "description": "三层楼板钢筋间距过大",
        **fields,
    }
    empty = [("photo", ("", b"", "application/octet-stream"))]
    return await client.post(f"/sites/{site_id}/findings", data=data, files=empty)


async def account_of(worker) -> User:
    return await User.objects().get(User.id == worker.account)


class EventStream:
    """A browser holding a server-sent event stream open, through the app's ASGI callable.

    (httpx's ASGI transport waits for the whole body, which a stream never finishes.)
    """

    def __init__(self, app, path: str, cookies: dict[str, str]) -> None:
        import asyncio

        self.app, self.status, self.body = app, [], bytearray()
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items()).encode()
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver.local"), (b"cookie", cookie)],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver.local", 80),
        }
        self._requested, self._leave, self._arrived = False, asyncio.Event(), asyncio.Condition()

    @property
    def text(self) -> str:
        return self.body.decode()

    async def _receive(self) -> dict:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._leave.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status.append(message["status"])
        async with self._arrived:
            self.body.extend(message.get("body", b""))
            self._arrived.notify_all()

    async def heard(self, text: str) -> None:
        """Wait (a few seconds at most) until `text` came down the stream."""
        import asyncio

        async with asyncio.timeout(5), self._arrived:
            await self._arrived.wait_for(lambda: text in self.text)

    async def __aenter__(self) -> EventStream:
        import asyncio

        self._task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        return self

    async def __aexit__(self, *exc_info) -> None:
        import asyncio

        self._leave.set()  # the browser goes away: the app must end the stream
        await asyncio.wait_for(self._task, 5)
