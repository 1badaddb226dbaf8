"""Browser tests: the real app under uvicorn, phones in Chromium, one relay per phone.

The server runs once per session on a fresh SQLite database with the demo data.
Every browser context (one "phone") reaches it through its own loopback TCP relay,
so a test can make the server really unreachable for that phone alone: `cut`
closes the relay's listener and every open connection, `restore` listens again on
the same port. Playwright's offline switch does not stop a service worker's own
requests, and stopping uvicorn would cut every phone at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
LOCALES = ("zh-CN", "en")
# Every clickable thing must be at least this big (CSS px) for a thumb in a glove.
MIN_TARGET = 44
INTERACTIVE = "a, button, input, select, textarea, [role=button], summary"
SERIOUS = {"serious", "critical"}

expect.set_options(timeout=10_000)


# --- the server -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _app_command(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, f"python -m app {' '.join(args)}:\n{done.stdout}{done.stderr}"


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz in {seconds}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server_data() -> Iterator[Path]:
    data = Path(tempfile.mkdtemp(prefix="fieldpost-e2e-"))
    yield data
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def server_db(server: str, server_data: Path) -> Path:
    """The server's SQLite file, for tests that check what was stored."""
    return server_data / "fp.db"


@pytest.fixture(scope="session")
def server(server_data: Path) -> Iterator[str]:
    """The app's own address (http://127.0.0.1:PORT), with the demo data loaded."""
    data = server_data
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite:///{data / 'fp.db'}",
        "SECRET_KEY": "e2e-secret",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
        "RUN_JOBS_IN_PROCESS": "false",
        "DEFAULT_LANGUAGE": "zh_CN",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    _app_command(env, "migrate")
    _app_command(env, "demo-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# --- one relay per phone ------------------------------------------------------------


class Relay:
    """A loopback TCP relay to the server that can be cut and restored."""

    def __init__(self, loop: asyncio.AbstractEventLoop, upstream_port: int) -> None:
        self._loop = loop
        self._upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self.port = 0
        # Bytes the server sent to this phone: what a page costs on the wire.
        self.bytes_down = 0
        self._call(self._listen())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coroutine: Any) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._writers.add(client_w)
        try:
            upstream_r, upstream_w = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            self._writers.discard(client_w)
            client_w.transport.abort()
            return
        self._writers.add(upstream_w)
        try:
            await asyncio.gather(
                _pump(client_r, upstream_w), _pump(upstream_r, client_w, self._count_down)
            )
        finally:
            for writer in (client_w, upstream_w):
                self._writers.discard(writer)
                writer.transport.abort()

    def _count_down(self, size: int) -> None:
        self.bytes_down += size

    async def _cut(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await self._server.wait_closed()
        self._server = None

    def cut(self) -> None:
        """The phone can no longer connect: refused, and open connections reset."""
        self._call(self._cut())

    def restore(self) -> None:
        """Listen again, on the same port (the phone's origin must not change)."""
        if self._server is None:
            self._call(self._listen())

    def close(self) -> None:
        self.cut()


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: Callable[[int], None] | None = None
) -> None:
    try:
        while data := await reader.read(65536):
            if count:
                count(len(data))
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


@pytest.fixture(scope="session")
def relay_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="relays", daemon=True)
    thread.start()
    yield loop

    async def cancel_leftovers() -> None:
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(cancel_leftovers(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


# --- browsers and phones --------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """No shared base URL: each phone gets its relay's address.

    Defined here also because pytest-playwright's fallback fixture is a method of a
    plugin class, which pytest 9 deprecates with a warning our settings make an error.
    """
    return None


@pytest.fixture
def locale() -> str:
    """The phone's language; tests parametrize it with LOCALES."""
    return "zh-CN"


@pytest.fixture
def browser_context_args(browser_context_args: dict, locale: str) -> dict:
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": locale,
    }


@pytest.fixture
def phone_context(
    browser: Browser, browser_context_args: dict, server: str, relay_loop: asyncio.AbstractEventLoop
) -> Iterator[Callable[..., BrowserContext]]:
    """Makes a phone: `phone_context()` in the test's locale, or `phone_context("en")`.

    Each phone reaches the server through its own relay; its base URL is the relay's.
    """
    upstream = int(server.rsplit(":", 1)[1])
    made: list[tuple[BrowserContext, Relay]] = []

    def make(locale: str | None = None, **overrides: Any) -> BrowserContext:
        relay = Relay(relay_loop, upstream)
        args = {**browser_context_args, "base_url": relay.url, **overrides}
        if locale:
            args["locale"] = locale
        context = browser.new_context(**args)
        context.set_default_timeout(10_000)
        context.fieldpost_relay = relay  # type: ignore[attr-defined]
        made.append((context, relay))
        return context

    yield make
    for context, relay in made:
        with contextlib.suppress(Exception):
            context.close()
        relay.close()


@pytest.fixture
def context(phone_context: Callable[..., BrowserContext]) -> BrowserContext:
    """pytest-playwright's `context` (and so `page`): a phone behind its own relay."""
    return phone_context()


@pytest.fixture
def zh_phone(phone_context: Callable[..., BrowserContext]) -> BrowserContext:
    return phone_context("zh-CN")


@pytest.fixture
def en_phone(phone_context: Callable[..., BrowserContext]) -> BrowserContext:
    return phone_context("en")


def _relay_of(context: BrowserContext) -> Relay:
    return context.fieldpost_relay  # type: ignore[attr-defined]


@pytest.fixture
def cut() -> Callable[[BrowserContext], None]:
    """`cut(context)`: the server becomes unreachable for that phone only."""
    return lambda context: _relay_of(context).cut()


def wire_bytes(context: BrowserContext) -> int:
    """Bytes the server has sent to this phone so far (headers included)."""
    return _relay_of(context).bytes_down


@pytest.fixture
def restore() -> Callable[[BrowserContext], None]:
    """`restore(context)`: the phone reaches the server again, at the same address."""
    return lambda context: _relay_of(context).restore()


# --- helpers --------------------------------------------------------------------------


def sign_in(page: Page, phone: str, secret: str) -> None:
    """Signs in through the sign-in page and waits until the next page is shown."""
    page.goto("/login")
    page.locator("#phone").fill(phone)
    page.locator("#secret").fill(secret)
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))


_SMALL_TARGETS = """
({selector, min}) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.width < min || box.height < min) {
      const label = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
      small.push(`  ${el.outerHTML.slice(0, 80)}… "${label.slice(0, 30)}" `
                 + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


def check_screen(page: Page, name: str) -> None:
    """Accessibility (axe: nothing serious or critical), tap target sizes, a screenshot."""
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    violations = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    problems = [
        f"  {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(node.get("target", ["?"])[0]) for node in v["nodes"][:5])
        for v in violations
    ]
    small = page.evaluate(_SMALL_TARGETS, {"selector": INTERACTIVE, "min": MIN_TARGET})
    report = []
    if problems:
        report += ["accessibility violations (serious or critical):", *problems]
    if small:
        report += [f"tap targets smaller than {MIN_TARGET}x{MIN_TARGET} px:", *small]
    assert not report, f"{name} ({page.url}):\n" + "\n".join(report)


@pytest.fixture
def findings(server: str, server_data: Path):
    """Problems noticed along a flow of several phones, reported at its end (e2e/phones.py)."""
    from phones import Findings  # it builds on this module

    found = Findings(server_data / "server.log")
    yield found
    # Captured output: pytest shows it only when the test fails.
    print("--- server log during this test ---\n" + found.server_log())
    if found.problems:
        print("--- browser problems ---\n" + "\n".join(found.problems))
