"""Load generator for bench/checkin.py, in its own process so it never shares a core's
time slices with the server's event loop.

Reads a JSON spec from the file named on its command line, runs its phases in order
against a running server and writes one JSON object on stdout. A hand-written HTTP/1.1
client on uvloop: httpx costs several times more CPU per request, and on a small machine
the client would then be what saturates. Each phone keeps its own cookies
(remembered-phone credential, device, CSRF) as a browser would.

Phases: "closed" runs `clients` loops back to back for `seconds`; "open" starts
`rate` operations a second (or `share_of` [phase, share] of an earlier phase's rate) on a
fixed schedule whether or not earlier ones answered, and times each from its scheduled
start, so a slow server cannot slow the offered load. Failed and timed-out operations
count in the percentiles at the time they failed.
"""

from __future__ import annotations

import os
import sys

# Run as a script, bench/ comes first on sys.path, where bench/queue.py would stand in for the
# standard library's queue (which uvloop imports).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import asyncio
import json
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlencode

ECHO = "x-idempotency-key"
USER_AGENT = "Mozilla/5.0 (Linux; Android 12; HarmonyOS) AppleWebKit/537.36 Mobile Safari/537.36"
# The server drops keep-alive connections idle for 5 s; reuse only fresher ones.
IDLE_REUSE_S = 3.0
# The phone's outbox gives each request 30 s; the bench gives up on a whole tap after 10 s
# to keep its run short, so a latency of 10 s reads "at least 10 s".
OP_TIMEOUT_S = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def cookies(self) -> dict[str, str]:
        found = {}
        for key, value in self.headers:
            if key == "set-cookie":
                name, _, rest = value.partition("=")
                found[name.strip()] = rest.split(";", 1)[0].strip().strip('"')
        return found


class Http:
    """Keep-alive HTTP/1.1 over a pool of connections; a new one when none is idle."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened = 0

    async def _connection(self):
        now = time.monotonic()
        while self.idle:
            reader, writer, used = self.idle.pop()
            if now - used < IDLE_REUSE_S and not reader.at_eof():
                return reader, writer
            writer.close()
        self.opened += 1
        return await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Answer:
        reader, writer = await self._connection()
        try:
            lines = [
                f"{method} {path} HTTP/1.1",
                f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}",
            ]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            answer, keep = await _read_answer(reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            self.idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return answer

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = []
    for line in head[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    fields = dict(headers)
    if fields.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.readexactly(int(fields.get("content-length", "0")))
    return Answer(status, headers, body), fields.get("connection", "").lower() != "close"


class Phone:
    __slots__ = ("secret", "cookies", "action", "csrf")

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.cookies: dict[str, str] = {}
        self.action = "in"
        self.csrf: str | None = None

    def cookie_header(self) -> str:
        jar = {"fp_phone": self.secret, **self.cookies}
        return "; ".join(f"{name}={value}" for name, value in jar.items())


class Bench:
    def __init__(self, spec: dict) -> None:
        self.http = Http("127.0.0.1", spec["port"])
        self.token = spec["poster_token"]
        self.latitude, self.longitude = spec["site"]
        self.phones = [Phone(secret) for secret in spec["phones"]]
        self.turn = 0

    def next_phone(self) -> Phone:
        # Round-robin over thousands of phones: a phone comes back minutes later, and its
        # action alternates, so the double-tap rule never turns a tap into a replay.
        phone = self.phones[self.turn % len(self.phones)]
        self.turn += 1
        return phone

    async def csrf(self, phone: Phone) -> str | None:
        """What the page (or the outbox, before a send) fetches: the phone's CSRF token."""
        fresh = await self.http.request(
            "GET",
            "/csrf",
            {
                "Cookie": phone.cookie_header(),
                "User-Agent": USER_AGENT,
                "Accept": "*/*",
                "Accept-Encoding": "gzip, deflate, br",
                "Cache-Control": "no-cache",
            },
        )
        if fresh.status != 200:
            return None
        phone.cookies.update(fresh.cookies())
        phone.csrf = json.loads(fresh.body)["token"]
        phone.cookies["fp_csrf"] = phone.cookies.get("fp_csrf", phone.csrf)
        return phone.csrf

    async def prime(self, clients: int) -> dict:
        """Every phone opens the check-in page once before the rush, as phones on site have."""
        queue = list(self.phones)
        started, failed = time.perf_counter(), 0

        async def client() -> None:
            nonlocal failed
            while queue:
                failed += await self.csrf(queue.pop()) is None

        await asyncio.gather(*(client() for _ in range(clients)))
        seconds = round(time.perf_counter() - started, 1)
        return {"phones": len(self.phones), "failed": failed, "seconds": seconds}

    async def checkin(self, timings: dict[str, list[float]]) -> str:
        """One tap as the phone's outbox sends it, with the CSRF token the phone holds."""
        phone = self.next_phone()
        action = phone.action
        started = time.perf_counter()
        csrf = phone.csrf or await self.csrf(phone)
        if csrf is None:
            return "csrf failed"
        asked = time.perf_counter()
        key = str(uuid.uuid4())
        body = urlencode(
            {
                "action": action,
                "idempotency_key": key,
                "_csrf_token": csrf,
                "latitude": f"{self.latitude + random.uniform(-5e-4, 5e-4):.6f}",
                "longitude": f"{self.longitude + random.uniform(-5e-4, 5e-4):.6f}",
                "accuracy": "12",
                "client_time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        ).encode()
        # The headers static/js/outbox.js sends, and what a phone's browser adds.
        answer = await self.http.request(
            "POST",
            f"/c/{self.token}",
            {
                "Cookie": phone.cookie_header(),
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Idempotency-Key": key,
                "X-CSRFToken": csrf,
                "HX-Request": "true",
                "HX-Target": "checkin-panel",
                "Accept-Encoding": "gzip, deflate, br",
                "Accept-Language": "zh-CN,zh;q=0.9",
            },
            body,
        )
        done = time.perf_counter()
        phone.cookies.update(answer.cookies())
        timings["csrf_ms"].append((asked - started) * 1000)
        timings["post_ms"].append((done - asked) * 1000)
        if answer.status == 200 and answer.header(ECHO) == key:
            # Like the phone's button: the next tap offers the other action only once
            # this one is stored. A tap told to come back (503) is sent again as it was,
            # or the next one would be a double tap the ledger rightly keeps once.
            phone.action = "out" if action == "in" else "in"
            return "ok"
        return f"tap {answer.status}" + ("" if answer.status != 200 else " without echo")

    async def bare(self, timings: dict[str, list[float]]) -> str:
        key = str(uuid.uuid4())
        headers = {"X-Idempotency-Key": key, "User-Agent": USER_AGENT}
        answer = await self.http.request("POST", "/bench/bare", headers)
        if answer.status == 200 and answer.header(ECHO) == key:
            return "ok"
        return f"bare {answer.status}"


def _process_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:8]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Meter:
    """CPU of the server, of this client and of the whole machine over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall = time.monotonic()
        self.server = _process_cpu_s(server_pid)
        self.client = time.process_time()
        self.busy, self.total = _machine_ticks()

    def read(self) -> dict:
        wall = time.monotonic() - self.wall
        busy, total = _machine_ticks()
        return {
            "server_cpu": round((_process_cpu_s(self.server_pid) - self.server) / wall, 2),
            "client_cpu": round((time.process_time() - self.client) / wall, 2),
            "machine_busy": round((busy - self.busy) / max(1, total - self.total), 2),
            "cores": os.cpu_count(),
        }


def outcome_figures(seconds: float, ok: int, errors: dict[str, int], latencies: list[float]) -> dict:
    """Rate and latency of a phase (or of several slices of one, merged by the caller)."""
    return {
        "seconds": round(seconds, 2),
        "ok": ok,
        "errors": dict(errors),
        "rps": round(ok / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p90_ms": round(percentile(latencies, 0.9), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
    }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def run_phase(bench: Bench, phase: dict, server_pid: int, earlier: dict) -> dict:
    operation = bench.checkin if phase["kind"] == "checkin" else bench.bare
    latencies: list[float] = []
    timings: dict[str, list[float]] = {"csrf_ms": [], "post_ms": []}
    outcomes: Counter[str] = Counter()
    loop = asyncio.get_running_loop()

    async def one(scheduled: float) -> None:
        try:
            async with asyncio.timeout(OP_TIMEOUT_S):
                outcome = await operation(timings)
        except TimeoutError:
            outcome = "timeout"
        except (OSError, asyncio.IncompleteReadError, ValueError) as problem:
            outcome = type(problem).__name__
        outcomes[outcome] += 1
        # Failures count too: dropping a timed-out tap would flatter the percentiles.
        latencies.append((loop.time() - scheduled) * 1000)

    meter = Meter(server_pid)
    started = loop.time()
    extra: dict = {}
    if phase["mode"] == "closed":
        deadline = started + phase["seconds"]

        async def client() -> None:
            while loop.time() < deadline:
                await one(loop.time())

        await asyncio.gather(*(client() for _ in range(phase["clients"])))
    else:
        if "share_of" in phase:
            # A rate the server can carry: a share of what earlier phases measured (the
            # phases whose names start so, by their total over their time).
            measured, share = phase["share_of"]
            those = [done for name, done in earlier.items() if name.startswith(measured)]
            rps = sum(done["ok"] for done in those) / sum(done["seconds"] for done in those)
            phase = {**phase, "rate": max(1.0, round(rps * share, 1))}
        rate, count = phase["rate"], int(phase["rate"] * phase["seconds"])
        tasks, lags, in_flight = set(), [], 0
        for index in range(count):
            scheduled = started + index / rate
            if (delay := scheduled - loop.time()) > 0:
                await asyncio.sleep(delay)
            lags.append((loop.time() - scheduled) * 1000)
            task = asyncio.create_task(one(scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            in_flight = max(in_flight, len(tasks))
        await asyncio.gather(*tasks)
        extra = {
            "offered_rps": rate,
            "schedule_lag_p99_ms": round(percentile(lags, 0.99), 1),
            "schedule_lag_max_ms": round(max(lags), 1),
            "max_in_flight": in_flight,
        }
    elapsed = loop.time() - started
    cpu = meter.read()
    ok = outcomes.pop("ok", 0)
    result = {
        "kind": phase["kind"],
        "mode": phase["mode"],
        **outcome_figures(elapsed, ok, outcomes, latencies),
        "connections_opened": bench.http.opened,
        **extra,
        **cpu,
    }
    if ok:
        result["server_cpu_ms_each"] = round(cpu["server_cpu"] * elapsed / ok * 1000, 2)
    if phase.get("samples"):
        # Slices of one measurement are merged by the caller, percentiles from every sample.
        result["samples"] = [round(latency, 2) for latency in latencies]
    if timings["post_ms"]:
        result["csrf_p50_ms"] = round(statistics.median(timings["csrf_ms"]), 1)
        result["post_p50_ms"] = round(statistics.median(timings["post_ms"]), 1)
    bench.http.opened = 0
    return result


async def main(spec: dict) -> dict:
    bench = Bench(spec)
    primed = await bench.prime(spec["prime_clients"])
    results = {}
    for phase in spec["phases"]:
        results[phase["name"]] = await run_phase(bench, phase, spec["server_pid"], results)
    bench.http.close()
    return {"phases": results, "taps_sent": bench.turn, "primed": primed}


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:  # the plain loop works, only with more client CPU per request
        uvloop = None
    if len(sys.argv) < 2:
        # `make bench` runs every file here; this one only works as bench/checkin.py starts it.
        print("started by bench/checkin.py with a spec file; run that instead")
        sys.exit(0)
    with open(sys.argv[1]) as source:
        spec = json.load(source)
    runner = uvloop.run if uvloop else asyncio.run
    print(json.dumps(runner(main(spec))))
