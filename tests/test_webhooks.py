"""Group robots: posted by a job to a local receiver when private addresses are allowed,
refused when they are not; a hanging robot costs the job a timeout, never a request."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.config import get_settings
from app.webhooks import services as webhooks
from app.webhooks.tables import SiteWebhook, WebhookDelivery
from tests import factories
from tests.conftest import fetch_csrf
from tests.feedback.helpers import report, site_with_people


class Receiver:
    """A robot on this machine: keeps what it is sent; `hang` makes it never answer."""

    def __init__(self, *, hang: bool = False) -> None:
        self.received: list[dict] = []
        self.gate = gate = threading.Event()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                if hang:
                    gate.wait(10)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"errcode":0}')

            def log_message(self, *args):
                """Quiet: what the robot receives is what the tests look at."""

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()


@pytest.fixture
def allow_private(monkeypatch):
    settings = dataclasses.replace(get_settings(), webhook_allow_private=True)
    monkeypatch.setattr(webhooks, "get_settings", lambda: settings)


async def _set(client, site_id: int, url: str):
    csrf = await fetch_csrf(client)
    return await client.post(f"/sites/{site_id}/webhook", data={"_csrf_token": csrf, "url": url})


async def _with_manager(sign_in_as):
    people = await site_with_people()
    manager = await factories.user("manager")
    await factories.SiteMembership.insert(factories.SiteMembership(site=people.site.id, member=manager.id))
    return people, manager


async def test_a_critical_report_reaches_the_robot_through_the_job(client, sign_in_as, allow_private):
    receiver = Receiver()
    try:
        people, manager = await _with_manager(sign_in_as)
        await sign_in_as(manager)
        assert (await _set(client, people.site.id, receiver.url)).status_code == 303
        await sign_in_as(people.worker)
        sent = await report(client, people.site.id, severity="critical", description="塔吊钢丝绳断股")
        assert sent.status_code == 200
        assert receiver.received == []  # the request does not wait for the robot
        assert await webhooks.send_due() == 1
        assert receiver.received[0]["msgtype"] == "text"
        assert "塔吊钢丝绳断股" in receiver.received[0]["text"]["content"]
        assert await webhooks.send_due() == 0  # sent once
        assert (await SiteWebhook.select().first())["last_sent_at"] is not None
    finally:
        receiver.close()


async def test_the_same_address_is_refused_without_the_setting(client, sign_in_as):
    receiver = Receiver()
    try:
        people, manager = await _with_manager(sign_in_as)
        await sign_in_as(manager)
        refused = await _set(client, people.site.id, receiver.url)
        assert refused.status_code == 422
        assert "private and local addresses are not allowed" in refused.text or "不允许" in refused.text
        for url in (
            "http://example.com/hook",
            "https://169.254.169.254/latest",
            "https://localhost/x",
            "ftp://a/b",
        ):
            assert (await _set(client, people.site.id, url)).status_code == 422
        assert await SiteWebhook.count() == 0
    finally:
        receiver.close()


async def test_a_hanging_robot_times_out_in_the_job_and_the_error_is_shown(
    client, sign_in_as, allow_private, monkeypatch
):
    receiver = Receiver(hang=True)
    monkeypatch.setattr(webhooks, "TIMEOUT_S", 0.5)
    try:
        people, manager = await _with_manager(sign_in_as)
        await sign_in_as(manager)
        await _set(client, people.site.id, receiver.url)
        await sign_in_as(people.worker)
        assert (await report(client, people.site.id, severity="critical")).status_code == 200
        assert await webhooks.send_due() == 0
        delivery = await WebhookDelivery.select().first()
        assert (
            delivery["attempts"] == 1
            and delivery["sent_at"] is None
            and delivery["next_at"] > delivery["created_at"]
        )
        await sign_in_as(manager)
        page = await client.get(f"/sites/{people.site.id}/webhook")
        assert "Timeout" in page.text
    finally:
        receiver.close()
