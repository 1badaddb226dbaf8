"""The offline outbox on its own, in a phone's browser: the script is added to the public
offline page and posts to a fake endpoint the test answers as it likes, so every way a
send can fail is tried without the pages that will use it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

PROBE = "/outbox-probe"
HERE = {"latitude": 31.23, "longitude": 121.47, "accuracy": 20}
# The service worker would stand between the page and the test's routes.
NO_WORKER = {"service_workers": "block"}

RECORD_EVENTS = """() => {
  window.outboxEvents = [];
  for (const type of ["outbox:queued", "outbox:sent", "outbox:refused", "outbox:retry"]) {
    document.addEventListener(type, (event) => window.outboxEvents.push(
      {type, detail: event.detail, at: Date.now(), on: event.target.id || event.target.nodeName}));
  }
}"""
ADD_TO_PAGE = "html => document.querySelector('main').insertAdjacentHTML('beforeend', html)"
PENDING = "() => Outbox.pending()"


class Probe:
    """The fake endpoint: each POST gets the next scripted answer; what it saw is kept."""

    def __init__(self, page: Page, *answers: str) -> None:
        self.answers = list(answers)
        self.seen: list[dict[str, Any]] = []
        self.held: list[Route] = []
        page.route(f"**{PROBE}", self._answer)

    def _answer(self, route: Route) -> None:
        request = route.request
        pairs = parse_qsl(request.post_data or "", keep_blank_values=True)
        fields = dict(pairs)
        self.seen.append({"headers": request.headers, "fields": fields, "pairs": pairs,
                          "at": time.monotonic(), "navigation": request.is_navigation_request()})
        answer = self.answers.pop(0) if self.answers else "503"
        key = {"X-Idempotency-Key": fields.get("idempotency_key", "")}
        if answer == "abort":
            route.abort()
        elif answer == "hold":
            self.held.append(route)
        elif answer == "echo":
            route.fulfill(status=200, headers=key, content_type="text/html", body="<p>saved</p>")
        elif answer == "422":
            route.fulfill(status=422, headers=key, content_type="text/html", body="<p>refused</p>")
        elif answer == "302":
            route.fulfill(status=302, headers={"Location": "/login"})
        elif answer == "200 without echo":
            route.fulfill(status=200, content_type="text/html", body="<p>a captive portal</p>")
        else:
            route.fulfill(status=int(answer), headers=key, body="no")


def fake_csrf(page: Page) -> list[str]:
    """Answers /csrf with a new token every time; returns the tokens handed out."""
    tokens: list[str] = []

    def answer(route: Route) -> None:
        tokens.append(f"token-{len(tokens) + 1}")
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"token": tokens[-1]}))

    page.route("**/csrf", answer)
    return tokens


def open_outbox(context: BrowserContext, html: str = "", **config: int) -> Page:
    """The offline page with `html` added to it, then the outbox script, then `config`."""
    page = context.new_page()
    page.goto("/offline")
    load_outbox(page, html, **config)
    return page


def load_outbox(page: Page, html: str = "", **config: int) -> None:
    page.evaluate(RECORD_EVENTS)
    if html:
        page.evaluate(ADD_TO_PAGE, html)
    page.add_script_tag(url="/static/js/outbox.js")
    page.wait_for_function("() => window.Outbox")
    # Every page loads the outbox already; the count must show on what was just added.
    page.evaluate("() => Outbox.refresh()")
    if config:
        page.evaluate("config => Object.assign(Outbox.config, config)", config)


def events(page: Page, kind: str) -> list[dict[str, Any]]:
    return page.evaluate("kind => outboxEvents.filter(e => e.type === kind)", f"outbox:{kind}")


def wait_for_events(page: Page, kind: str, count: int) -> list[dict[str, Any]]:
    page.wait_for_function(
        "([kind, n]) => outboxEvents.filter(e => e.type === kind).length >= n", arg=[f"outbox:{kind}", count]
    )
    return events(page, kind)


@pytest.fixture
def phone(phone_context: Callable[..., BrowserContext]) -> BrowserContext:
    return phone_context("en", **NO_WORKER)


def test_an_entry_stays_until_the_server_echoes_its_key(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    tokens = fake_csrf(page)
    failures = ["abort", "500", "302", "200 without echo", "401"]
    probe = Probe(page, *failures, "echo")
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    # Back-off long enough that only the test's own flushes send.
    load_outbox(page, '<div id="probe-result">before</div>', minDelayMs=60_000)

    key = page.evaluate(
        "url => Outbox.enqueue(url, {note: '水泥 42.5', crew: ['钢筋一班', '木工二班']}, "
        "{target: 'probe-result'})", PROBE
    )
    for attempt in range(1, len(failures) + 1):
        if attempt > 1:
            page.evaluate("() => Outbox.flush({all: true})")
        retries = wait_for_events(page, "retry", attempt)
        (entry,) = page.evaluate(PENDING)
        assert (entry["key"], entry["attempts"]) == (key, attempt)
        assert entry["nextAt"] > retries[-1]["at"] + 40_000
        expect(page.locator("#probe-result")).to_have_text("before")
    assert [e["detail"]["status"] for e in events(page, "retry")] == [0, 500, 0, 200, 401]

    page.evaluate("() => Outbox.flush({all: true})")
    (sent,) = wait_for_events(page, "sent", 1)
    assert sent["detail"] == {"key": key, "status": 200, "url": page.url.replace("/offline", PROBE)}
    assert page.evaluate(PENDING) == []
    expect(page.locator("#probe-result")).to_have_text("saved")

    assert len(probe.seen) == len(tokens) == 6
    first_time = probe.seen[0]["fields"]["client_time"]
    assert datetime.fromisoformat(first_time) <= datetime.now(UTC)
    for seen, token in zip(probe.seen, tokens, strict=True):
        fields, headers = seen["fields"], seen["headers"]
        assert fields["idempotency_key"] == headers["x-idempotency-key"] == key
        assert fields["client_time"] == first_time
        assert fields["_csrf_token"] == headers["x-csrftoken"] == token
        assert fields["note"] == "水泥 42.5"
        assert (headers["hx-request"], headers["hx-target"]) == ("true", "probe-result")
        assert [v for k, v in seen["pairs"] if k == "crew"] == ["钢筋一班", "木工二班"]
    assert not [url for url in asked if url.endswith("/login")], "a redirect was followed"


def test_a_refused_entry_leaves_and_shows_why(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    Probe(page, "422")
    load_outbox(page, '<div id="probe-result"></div>')
    key = page.evaluate("url => Outbox.enqueue(url, {note: 'x'}, {target: 'probe-result'})", PROBE)
    (refused,) = wait_for_events(page, "refused", 1)
    assert (refused["detail"]["key"], refused["detail"]["status"]) == (key, 422)
    expect(page.locator("#probe-result")).to_have_text("refused")
    assert page.evaluate(PENDING) == []
    assert events(page, "sent") == []


def test_the_waiting_count_shows_and_hides(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    probe = Probe(page, "503", "503")
    waiting = page.locator("#waiting")
    load_outbox(
        page,
        '<p id="waiting" data-outbox-pending data-one="1 waiting to send" '
        'data-many="{n} waiting to send">stale text</p>',
        minDelayMs=60_000,
    )
    expect(waiting).to_be_hidden()

    first = page.evaluate("url => Outbox.enqueue(url, {n: '1'})", PROBE)
    page.evaluate("url => Outbox.enqueue(url, {n: '2'})", PROBE)
    wait_for_events(page, "retry", 2)
    expect(waiting).to_have_text("2 waiting to send")
    assert page.evaluate("() => Outbox.count()") == 2

    probe.answers = ["echo", "503"]
    page.evaluate("() => Outbox.flush({all: true})")
    expect(waiting).to_have_text("1 waiting to send")
    assert probe.seen[-2]["fields"]["idempotency_key"] == first, "the oldest goes first"

    probe.answers = ["echo"]
    page.evaluate("() => Outbox.flush({all: true})")
    expect(waiting).to_be_hidden()
    assert page.evaluate("() => Outbox.count()") == 0


def test_the_timer_retries_with_growing_gaps(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    probe = Probe(page, "503", "503", "503", "echo")
    load_outbox(page, minDelayMs=200, maxDelayMs=10_000)
    key = page.evaluate("url => Outbox.enqueue(url, {note: 'x'})", PROBE)

    wait_for_events(page, "sent", 1)
    retries = events(page, "retry")
    assert [r["detail"]["attempts"] for r in retries] == [1, 2, 3]
    planned = [r["detail"]["nextAt"] - r["at"] for r in retries]
    for delay, base in zip(planned, (200, 400, 800), strict=True):
        assert base * 0.8 - 5 <= delay <= base * 1.2 + 5, planned
    gaps = [b["at"] - a["at"] for a, b in zip(probe.seen, probe.seen[1:], strict=False)]
    assert len(gaps) == 3
    assert 0.15 < gaps[0] < gaps[1] < gaps[2], gaps
    assert {seen["fields"]["idempotency_key"] for seen in probe.seen} == {key}


def test_the_online_event_sends_at_once(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    probe = Probe(page, "503", "echo")
    load_outbox(page, minDelayMs=60_000)
    page.evaluate("url => Outbox.enqueue(url, {note: 'x'})", PROBE)
    wait_for_events(page, "retry", 1)

    phone.set_offline(True)
    phone.set_offline(False)
    wait_for_events(page, "sent", 1)
    assert len(probe.seen) == 2
    assert page.evaluate(PENDING) == []


def test_entries_survive_a_reload_and_go_when_the_page_loads(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/offline")
    probe = Probe(page, "500", "echo")
    load_outbox(page, minDelayMs=60_000)
    key = page.evaluate("url => Outbox.enqueue(url, {note: 'kept'})", PROBE)
    wait_for_events(page, "retry", 1)

    page.reload()
    # Every page loads the outbox itself, and it sends what waits as the page loads.
    page.wait_for_function("() => window.Outbox")
    deadline = time.monotonic() + 10
    while page.evaluate("() => Outbox.count()") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert [seen["fields"]["idempotency_key"] for seen in probe.seen] == [key, key]
    assert probe.seen[0]["fields"]["client_time"] == probe.seen[1]["fields"]["client_time"]
    assert page.evaluate(PENDING) == []


FORM = """
<form id="probe-form" method="post" action="{action}" data-outbox data-outbox-target="probe-result" {extra}>
  <input type="hidden" name="_csrf_token" value="stale-token">
  <input type="hidden" name="action" value="in">
  <input type="hidden" name="idempotency_key" value="made-when-the-page-was-rendered">
  <input name="note" value="到场">
  <button type="submit" name="choice" value="in">Check in</button>
</form>
<div id="probe-result">not yet</div>
"""


def test_a_marked_form_is_queued_once_and_shows_the_answer(phone: BrowserContext) -> None:
    page = open_outbox(phone, FORM.format(action=PROBE, extra=""))
    probe = Probe(page, "hold")
    # Boosted like every form on the site: htmx must not post it a second time.
    page.evaluate("() => htmx.process(document.getElementById('probe-form'))")
    button = page.locator("#probe-form button")
    real_token = page.evaluate("() => fetch('/csrf').then(r => r.json()).then(j => j.token)")

    with page.expect_request(f"**{PROBE}"):
        button.dblclick()
    expect(button).to_be_disabled()
    expect(page.locator("#probe-form")).to_have_attribute("aria-busy", "true")
    (queued,) = events(page, "queued")
    assert queued["on"] == "probe-form"
    key = queued["detail"]["key"]
    assert [entry["key"] for entry in page.evaluate(PENDING)] == [key]

    (seen,) = probe.seen
    fields, headers = seen["fields"], seen["headers"]
    assert fields["idempotency_key"] == headers["x-idempotency-key"] == key
    assert fields["_csrf_token"] == headers["x-csrftoken"] == real_token != "stale-token"
    # A field named "action" hides form.action; the key of the tap replaces the page's.
    assert (fields["note"], fields["choice"], fields["action"]) == ("到场", "in", "in")
    assert key != "made-when-the-page-was-rendered"
    assert abs((datetime.now(UTC) - datetime.fromisoformat(fields["client_time"])).total_seconds()) < 30
    assert headers["hx-target"] == "probe-result"
    assert "latitude" not in fields

    probe.held.pop().fulfill(status=200, headers={"X-Idempotency-Key": key}, content_type="text/html",
                             body='<p class="done">Checked in</p>')
    expect(page.locator("#probe-result p.done")).to_have_text("Checked in")
    expect(button).to_be_enabled()
    assert page.evaluate(PENDING) == []
    assert len(probe.seen) == 1
    assert len(events(page, "queued")) == 1


# A permission prompt nobody answers: the phone never calls back.
NO_ANSWER = "Geolocation.prototype.getCurrentPosition = function () {};"


@pytest.mark.parametrize("where", ["located", "refused", "no-answer"])
def test_a_located_form_adds_where_the_phone_is(
    phone_context: Callable[..., BrowserContext], where: str
) -> None:
    allowed = where == "located"
    extra = {"permissions": ["geolocation"], "geolocation": HERE} if allowed else {}
    context = phone_context("en", **NO_WORKER, **extra)
    if where == "no-answer":
        context.add_init_script(NO_ANSWER)
    page = open_outbox(context, FORM.format(action=PROBE, extra="data-outbox-geolocate"))
    probe = Probe(page, "echo")
    page.evaluate("""() => window.addEventListener("submit", () => { window.tapped = Date.now(); },
                                                   {capture: true, once: true})""")
    page.locator("#probe-form button").click()
    (queued,) = wait_for_events(page, "queued", 1)
    waited = queued["at"] - page.evaluate("() => window.tapped")
    assert waited < 3_500
    if where == "no-answer":
        assert waited >= 2_900
    wait_for_events(page, "sent", 1)

    fields = probe.seen[0]["fields"]
    assert fields == queued["detail"]["fields"] | {"_csrf_token": fields["_csrf_token"]}
    if allowed:
        assert {k: float(fields[k]) for k in HERE} == HERE
    else:
        assert not {"latitude", "longitude", "accuracy"} & fields.keys()


def test_without_indexeddb_the_form_posts_as_usual(phone: BrowserContext) -> None:
    phone.add_init_script("Object.defineProperty(window, 'indexedDB', {value: undefined})")
    page = open_outbox(phone, FORM.format(action=PROBE, extra=""))
    probe = Probe(page, "echo")
    with page.expect_navigation(url=f"**{PROBE}"):
        page.locator("#probe-form button").click()
    (seen,) = probe.seen
    assert seen["navigation"]
    assert seen["fields"]["_csrf_token"] == "stale-token"
    assert seen["fields"]["idempotency_key"] == "made-when-the-page-was-rendered"
    assert "x-idempotency-key" not in seen["headers"]
