"""The triage queue: a large site's queue pages, deep keyset pages with every filter, and shutdown.

Runs on its own against a throw-away SQLite database and, when TEST_DATABASE_URL (or
BENCH_DATABASE_URL) names a PostgreSQL server, again on a scratch database there that
is created and dropped. Per engine:

- 100,000 feedback items on 20 sites (30,000 on one, about 3,700 on each other one),
  bulk-inserted through the driver: kinds and severities mixed, 60% closed, rejected,
  duplicate or accepted (not open) and 40% new, assigned or fixed (open), deadlines
  spread over 60 days either side of now (so about half the open ones are overdue),
  8 areas and 6 crews a site, 10 staff owning the assigned, fixed and closed ones (the
  bench supervisor about 3,500 of the large site's), 60 workers reporting, a few
  thousand timeline events;
- the app served by uvicorn in its own process as `python -m app serve` does
  (LOG_LEVEL=WARNING, jobs left out, a 5 s graceful shutdown); the large site's
  supervisor signs in and times whole GETs of /sites/{id}/queue from a persistent client
  on the same machine: the first page, and a page 50 "more" links deep (1,000 items in)
  without a filter and with each filter (kind, severity, two statuses, area, crew,
  overdue, mine: the supervisor's own). Median of 20 GETs each; the items each page shows
  are checked against the ones it should show. Also the deep page as scrolling fetches it
  (htmx asking for the rows only), shown apart;
- then an SSE stream of the queue is opened (its first bytes read) and the server sent
  SIGINT: the seconds until it has exited (must stay under 8 s);
- afterwards the page's queries are timed in this process (the queue query of each case,
  and the counts every page GET runs; scrolling skips them), and their plans printed:
  EXPLAIN QUERY PLAN on SQLite; on PostgreSQL EXPLAIN ANALYZE with the values (a custom
  plan) and of the generic plan PostgreSQL would switch a prepared statement to after five
  runs (the app's engine asks for a custom plan every run: plan_cache_mode).

Prints figures, then one JSON line.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where this module would stand in
# for the standard library's queue (which concurrent.futures and logging import).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import asyncio
import contextlib
import html
import json
import math
import random
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
SQLITE_URL = f"sqlite:///{DATA / 'bench.db'}"
os.environ.update(
    DATA_DIR=str(DATA), DATABASE_URL=SQLITE_URL, SECRET_KEY="bench",
    RUN_JOBS_IN_PROCESS="false", LOG_LEVEL="WARNING", ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="8192",
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import serving  # noqa: E402

TARGETS = {"queue_ms": 50, "shutdown_s": 8}
SITES = 20
BIG_SITE_ITEMS = 30_000
TOTAL_ITEMS = 100_000
AREAS = 8
CREWS = 6
WORKERS = 60
EVENT_SHARE = 0.05
DEADLINE_SPREAD_DAYS = 60
DEPTH = 50  # "more" links followed to reach the deep page
PAGE = 20  # app.feedback.queue.PAGE
GETS = 20
WARMUP_GETS = 1
QUERY_RUNS = 20
SCRATCH_DB = "fieldpost_bench_queue"
TIMEZONE = "Asia/Shanghai"
SITE = (31.23, 121.47)
PASSWORD = "bench password"
SUPERVISOR_PHONE = "13900000001"
# (name, role): the bench supervisor first; all of them own fixes.
STAFF = [("监理王工", "supervisor"), ("监理李工", "supervisor"), ("项目经理张总", "manager"),
         ("项目经理陈总", "manager")] + [(f"{name}班长", "foreman") for name in "赵钱孙周吴郑"]
SUPERVISOR_OWNER_WEIGHT = 1.8  # the other staff 1 each: about 1/6 of the large site's owned items
KINDS = {"safety": 30, "quality": 30, "schedule": 12, "materials": 15, "welfare": 12, "system": 1}
SEVERITIES = {"low": 30, "medium": 40, "high": 22, "critical": 8}
RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}  # app.feedback.sla.RANK
HOURS = {"critical": (4, 24), "high": (24, 72), "medium": (72, 168), "low": (168, 720)}  # sla.DEFAULTS
STATUSES = {
    "new": 16, "assigned": 14, "fixed": 10, "accepted": 2, "closed": 48, "rejected": 7, "duplicate": 3,
}
OPEN = {"new", "assigned", "fixed"}
OWNED = {"assigned", "fixed", "closed"}
DESCRIPTIONS = (
    "临边防护栏杆缺失，请尽快处理", "脚手架连墙件松动", "钢筋保护层厚度不足", "模板拼缝漏浆",
    "混凝土养护不到位，表面开裂", "材料堆放占用消防通道", "塔吊司机反映对讲机信号差", "工人宿舍热水器坏了",
    "食堂饭菜偏咸", "电箱门未上锁", "进度滞后，等待钢筋进场", "防水卷材搭接长度不够",
    "安全帽佩戴不规范", "夜间施工照明不足", "卫生间堵塞", "电梯井口防护门损坏",
)
ITEM_COLUMNS = (
    "id", "site", "area", "kind", "severity", "severity_rank", "source", "description", "reporter",
    "anonymous", "crew", "subcontractor", "status", "is_open", "owner", "duplicate_of", "reason",
    "created_at", "respond_by", "fix_by", "deadline", "first_response_at", "fixed_at", "closed_at",
    "updated_at",
)
EVENT_COLUMNS = ("item", "action", "actor", "note", "created_at")
MORE_LINK = re.compile(r'<li id="queue-more"[^>]*\shx-get="([^"]*)"')
ROW_ID = re.compile(r'<li id="item-(\d+)"')


# --- The data -------------------------------------------------------------------------------------------


def item_rows(
    sites: list[dict], owners: dict[int, list[tuple[int, float]]], workers: list[int], staff: list[int],
    now: datetime,
) -> tuple[list[tuple], list[tuple]]:
    """Items of every site, ids in the order they were raised, and a timeline event for some."""
    rng = random.Random(11)
    spread_s = DEADLINE_SPREAD_DAYS * 86_400
    drafts = []
    for site in sites:
        count = site["items"]
        # Drawn a site at a time: one call for all the site's items is several times faster.
        kinds = rng.choices(list(KINDS), list(KINDS.values()), k=count)
        severities = rng.choices(list(SEVERITIES), list(SEVERITIES.values()), k=count)
        statuses = rng.choices(list(STATUSES), list(STATUSES.values()), k=count)
        areas = rng.choices(site["areas"], [1 + n % 3 for n in range(len(site["areas"]))], k=count)
        owned_by = rng.choices([owner for owner, _ in owners[site["id"]]],
                               [weight for _, weight in owners[site["id"]]], k=count)
        for kind, severity, status, area, owner in zip(kinds, severities, statuses, areas, owned_by,
                                                       strict=True):
            respond_h, fix_h = HOURS[severity]
            # Microseconds always set, as deadlines computed from now are: SQLite compares the text.
            deadline = now + timedelta(seconds=rng.uniform(-spread_s, spread_s),
                                       microseconds=rng.randrange(1, 1_000_000))
            created = deadline - timedelta(hours=respond_h if status == "new" else fix_h)
            finding = rng.random() < 0.2
            anonymous = not finding and kind == "safety" and rng.random() < 0.1
            answered = created + timedelta(hours=rng.uniform(0.2, respond_h)) if status != "new" else None
            fixed = (created + timedelta(hours=rng.uniform(respond_h, fix_h))
                     if status in ("fixed", "closed") else None)
            closed = (fixed or answered) + timedelta(hours=rng.uniform(1, 48)) \
                if status in ("closed", "rejected", "duplicate") else None
            drafts.append([
                created, site["id"], area if rng.random() < 0.9 else None,
                kind, severity, RANK[severity], "inspection" if finding else "report",
                rng.choice(DESCRIPTIONS),
                None if anonymous else rng.choice(staff[:4]) if finding else rng.choice(workers),
                anonymous, rng.choice(site["crews"]) if rng.random() < 0.75 else None, None,
                status, status in OPEN, owner if status in OWNED else None, None,
                "不属于本项目" if status == "rejected" else "",
                created, created + timedelta(hours=respond_h), created + timedelta(hours=fix_h), deadline,
                answered, fixed, closed, closed or fixed or answered or created,
            ])
    drafts.sort(key=lambda draft: draft[0])
    items, events, last_of_site = [], [], {}
    for item_id, draft in enumerate(drafts, start=1):
        created, site_id = draft[0], draft[1]
        if draft[12] == "duplicate":
            draft[15] = last_of_site.get(site_id)
        last_of_site[site_id] = item_id
        items.append((item_id, *draft[1:]))
        if rng.random() < EVENT_SHARE:
            events.append((item_id, "raised", draft[8], "", created))
            if draft[21] is not None:
                events.append((item_id, "comment", rng.choice(staff), "已收到，安排处理", draft[21]))
    return items, events


async def bulk_insert(engine, items: list[tuple], events: list[tuple]) -> None:
    """Straight through the driver: row by row through the ORM takes minutes."""
    from piccolo.engine.sqlite import SQLiteEngine

    tables = (("feedback_item", ITEM_COLUMNS, items), ("feedback_event", EVENT_COLUMNS, events))
    if isinstance(engine, SQLiteEngine):
        # Piccolo's sqlite3 adapters (imported with the engine) store dates and times as it does.
        # No ANALYZE: the app never runs one on SQLite, so the planner works without statistics.
        connection = await engine.get_connection()
        try:
            await connection.execute("BEGIN IMMEDIATE")
            # The migrations' indexes, built again once the rows are in: cheaper than keeping
            # nine indexes up to date row by row.
            indexes = await connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('feedback_item', 'feedback_event')")
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["name"]}"')
            for table, columns, rows in tables:
                insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (constant names)
                    table, ", ".join(columns), ", ".join("?" for _ in columns))
                await connection.executemany(insert, rows)
            for index in indexes:
                await connection.execute(index["sql"])
            await connection.execute("COMMIT")
        finally:
            await connection.close()
        return
    import asyncpg

    connection = await engine.get_new_connection()
    try:
        # The migrations' indexes (not the primary keys), built again once the rows are in.
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename IN ('feedback_item', 'feedback_event')"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)")
        async with connection.transaction():
            # Generated rows refer to rows just made: no need to check each foreign key (a third
            # of the load). Only a superuser may; anyone else loads with the checks.
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                async with connection.transaction():
                    await connection.execute("SET LOCAL session_replication_role = replica")
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            for table, columns, rows in tables:
                await connection.copy_records_to_table(table, records=rows, columns=columns)
            for index in indexes:
                await connection.execute(index["indexdef"])
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('feedback_item', 'id'), MAX(id)) FROM feedback_item")
        # Autovacuum would vacuum and analyse tables this fresh within a minute (its
        # visibility map lets the counts read the index alone); the timing should not
        # depend on whether it got there first.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def fill(engine, now: datetime) -> dict:
    """Sites with their areas and crews, staff and their memberships, workers, and the items."""
    from app.accounts.services import create_user
    from app.accounts.tables import Role, User
    from app.sites.tables import Area, Site, SiteMembership
    from app.workforce.tables import Crew

    site_ids = [row["id"] for row in await Site.insert(*[
        Site(name=f"{n + 1}号工地", address="上海市", timezone=TIMEZONE, latitude=SITE[0], longitude=SITE[1])
        for n in range(SITES)
    ]).returning(Site.id)]
    supervisor = await create_user(name=STAFF[0][0], phone=SUPERVISOR_PHONE, role=Role.supervisor,
                                   secret=PASSWORD)
    # They never sign in here: one made-up hash will do.
    others = [row["id"] for row in await User.insert(*[
        User(name=name, phone=f"1390000{n:04d}", role=role, secret_hash="-")
        for n, (name, role) in enumerate(STAFF[1:], start=2)
    ]).returning(User.id)]
    staff = [supervisor.id, *others]
    workers = [row["id"] for row in await User.insert(*[
        User(name=f"工人{n:02d}", phone=f"137{n:08d}", role=Role.worker.value, secret_hash="-")
        for n in range(WORKERS)
    ]).returning(User.id)]
    foremen = [user for user, (_, role) in zip(staff, STAFF, strict=True) if role == "foreman"]
    big = site_ids[0]
    rest = TOTAL_ITEMS - BIG_SITE_ITEMS
    sites, owners = [], {}
    for index, site_id in enumerate(site_ids):
        areas = await Area.insert(*[
            Area(site=site_id, name=f"{n // 2 + 1}号楼{'南北'[n % 2]}区", position=n) for n in range(AREAS)
        ]).returning(Area.id)
        crews = await Crew.insert(*[
            Crew(site=site_id, name=f"班组{n + 1:02d}", trade="钢筋工", foreman=foremen[n % len(foremen)])
            for n in range(CREWS)
        ]).returning(Crew.id)
        members = staff if site_id == big else others
        await SiteMembership.insert(*[SiteMembership(site=site_id, member=member) for member in members])
        owners[site_id] = [(member, SUPERVISOR_OWNER_WEIGHT if member == supervisor.id else 1.0)
                           for member in members]
        count = BIG_SITE_ITEMS if site_id == big else rest // (SITES - 1) + (index <= rest % (SITES - 1))
        sites.append({"id": site_id, "items": count, "areas": [row["id"] for row in areas],
                      "crews": [row["id"] for row in crews]})
    items, events = item_rows(sites, owners, workers, staff, now)
    assert len(items) == TOTAL_ITEMS, len(items)
    await bulk_insert(engine, items, events)
    owned = [row for row in items if row[1] == big and row[14] == supervisor.id]
    return {
        "site": big, "supervisor": supervisor.id, "rows": len(items), "events": len(events),
        "owned": (len(owned), sum(row[13] for row in owned)),
        "areas": sites[0]["areas"], "crews": sites[0]["crews"],
        "items": [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in items if row[1] == big],
    }


def cases(data: dict) -> dict[str, dict[str, str]]:
    """The first page, then the deep page without a filter and with each one."""
    items = [row for row in data["items"] if row["is_open"] and row["kind"] != "system"]
    by_area = Counter(row["area"] for row in items if row["area"] is not None)
    by_crew = Counter(row["crew"] for row in items if row["crew"] is not None)
    # A typical area and crew: the one with the median number of open items.
    area = sorted(by_area, key=by_area.__getitem__)[len(by_area) // 2]
    crew = sorted(by_crew, key=by_crew.__getitem__)[len(by_crew) // 2]
    return {
        "first": {},
        "deep": {},
        "kind": {"kind": "safety"},
        "severity": {"severity": "high"},
        "status_closed": {"status": "closed"},
        "status_assigned": {"status": "assigned"},
        "area": {"area": str(area)},
        "crew": {"crew": str(crew)},
        "overdue": {"overdue": "1"},
        "mine": {"mine": "1"},
    }


def expected_ids(data: dict, params: dict[str, str], now: datetime) -> list[int]:
    """The queue's order (deadline, the worse first, the older first), worked out from the rows."""
    rows = [row for row in data["items"] if row["kind"] != "system"]
    if "status" in params:
        rows = [row for row in rows if row["status"] == params["status"]]
    else:
        rows = [row for row in rows if row["is_open"]]
    for name in ("kind", "severity"):
        if name in params:
            rows = [row for row in rows if row[name] == params[name]]
    for name in ("area", "crew"):
        if name in params:
            rows = [row for row in rows if row[name] == int(params[name])]
    if "overdue" in params:
        rows = [row for row in rows if row["deadline"] < now]
    if "mine" in params:
        rows = [row for row in rows if row["owner"] == data["supervisor"]]
    rows.sort(key=lambda row: (row["deadline"], -row["severity_rank"], row["id"]))
    return [row["id"] for row in rows]


# --- The queue over HTTP --------------------------------------------------------------------------------


async def sign_in(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    answer = await client.post("/login", data={
        "_csrf_token": client.cookies["fp_csrf"], "phone": SUPERVISOR_PHONE, "secret": PASSWORD,
    })
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])


async def get_page(client: httpx.AsyncClient, url: str, headers: dict | None = None
                   ) -> tuple[list[int], str | None]:
    answer = await client.get(url, headers=headers)
    if answer.status_code != 200:
        sys.exit(f"GET {url}: {answer.status_code}\n{answer.text[:1000]}")
    more = MORE_LINK.search(answer.text)
    following = urlsplit(url).path + html.unescape(more.group(1)) if more else None
    return [int(found) for found in ROW_ID.findall(answer.text)], following


async def queue_over_http(client: httpx.AsyncClient, data: dict, chosen: dict[str, dict[str, str]]) -> dict:
    """Per case: the URL timed, how deep it is, and the median of the GETs."""
    base = f"/sites/{data['site']}/queue"
    results = {}
    for name, params in chosen.items():
        url = base + ("?" + urlencode(params) if params else "")
        shown, following = await get_page(client, url)
        depth = 0
        while name != "first" and following and depth < DEPTH:
            url = following
            shown, following = await get_page(client, url)
            depth += 1
        matches = expected_ids(data, params, datetime.now(UTC))
        right = shown == matches[depth * PAGE:(depth + 1) * PAGE]
        for _ in range(WARMUP_GETS):
            await get_page(client, url)
        times = []
        for _ in range(GETS):
            started = time.perf_counter()
            await get_page(client, url)
            times.append((time.perf_counter() - started) * 1000)
        results[name] = {
            "url": url, "depth": depth, "matches": len(matches), "shown": len(shown), "right": right,
            "median_ms": statistics.median(times), "max_ms": max(times),
        }
    return results


async def more_over_http(client: httpx.AsyncClient, data: dict, deep: dict) -> dict:
    """The deep page as scrolling fetches it: htmx asks for the rows and the next "more" only."""
    htmx = {"HX-Request": "true", "HX-Target": "queue-more", "HX-Current-URL": "http://127.0.0.1/"}
    shown, _ = await get_page(client, deep["url"], htmx)
    matches = expected_ids(data, {}, datetime.now(UTC))
    times = []
    for _ in range(GETS):
        started = time.perf_counter()
        await get_page(client, deep["url"], htmx)
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "max_ms": max(times),
            "right": shown == matches[deep["depth"] * PAGE:(deep["depth"] + 1) * PAGE]}


async def shutdown_with_stream(client: httpx.AsyncClient, server: subprocess.Popen, site_id: int) -> dict:
    """An open SSE stream of the queue, then SIGINT: the seconds until the server has exited."""
    async with client.stream("GET", f"/sites/{site_id}/queue/stream", timeout=30) as answer:
        assert answer.status_code == 200, answer.status_code
        chunks = answer.aiter_bytes()
        first = await anext(chunks)
        started = time.perf_counter()
        server.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(server.wait, 3 * TARGETS["shutdown_s"])
        except subprocess.TimeoutExpired:
            pass
        shutdown_s = time.perf_counter() - started
        exited = server.poll() is not None
        # What the stream got after the signal: nothing, or its end when the server cut it.
        try:
            async for chunk in chunks:
                first += chunk
        except httpx.HTTPError:
            pass
    if not exited:
        server.kill()
        server.wait()
    return {"shutdown_s": shutdown_s, "exited": exited, "first_bytes": first[:60].decode(errors="replace")}


# --- The queries behind the page, in this process -------------------------------------------------------


class Recorder:
    """Keeps the SQL of every query the engine runs, to time it apart and show its plan.

    Patched on the engine's class: PostgresEngine takes no attributes on its instances.
    """

    def __init__(self, engine) -> None:
        self.kind, self.queries = type(engine), []
        self._original = original = self.kind.run_querystring
        queries = self.queries

        async def recording(engine, querystring, in_pool: bool = False):
            queries.append(querystring.compile_string(engine_type=engine.engine_type))
            return await original(engine, querystring, in_pool)

        self.kind.run_querystring = recording

    def stop(self) -> None:
        self.kind.run_querystring = self._original


async def median_ms(call, runs: int = QUERY_RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def recorded(engine, call) -> list[tuple[str, list]]:
    recorder = Recorder(engine)
    try:
        await call()
    finally:
        recorder.stop()
    return recorder.queries


async def plan(engine, sql: str, args: list, *, generic: bool = False) -> list[str]:
    """EXPLAIN QUERY PLAN on SQLite; EXPLAIN ANALYZE on PostgreSQL with the values (a custom plan), or
    (generic) the plan PostgreSQL keeps for a prepared statement after five runs, as asyncpg's
    statement cache leads it to for every query the app repeats on a pooled connection."""
    from piccolo.engine.sqlite import SQLiteEngine

    if isinstance(engine, SQLiteEngine):
        connection = await engine.get_connection()
        try:
            rows = await connection.execute(f"EXPLAIN QUERY PLAN {sql}", args)
        finally:
            await connection.close()
        return [row["detail"] for row in rows]
    connection = await engine.get_new_connection()
    try:
        if not generic:
            rows = await connection.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", *args)
        else:
            # EXECUTE takes no bound parameters: the values go in as literals.
            await connection.execute("SET plan_cache_mode = force_generic_plan")
            await connection.execute(f"PREPARE bench_queue AS {sql}")
            rows = await connection.fetch(
                f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE bench_queue({', '.join(map(literal, args))})")
    finally:
        await connection.close()
    return [row[0] for row in rows]


def literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return "'{}'".format(str(value).replace("'", "''"))


PLAN_NODES = ("Limit", "Sort", "Incremental Sort", "Bitmap Index Scan", "BitmapAnd", "BitmapOr")
PLAN_DETAILS = ("Index Cond", "Filter", "Recheck Cond", "Rows Removed by Filter", "Sort Key", "Sort Method",
                "Presorted Key")
PLAN_TIMES = ("Planning Time", "Execution Time")


def short_plan(lines: list[str]) -> list[str]:
    """How the items are found and ordered: without the joins that look up the names by primary key."""
    if not any("->" in line for line in lines):  # SQLite
        return [line for line in lines if "USING INTEGER PRIMARY KEY" not in line]
    kept, keeping = [], False
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        if line is lines[0] or line.lstrip().startswith("->"):
            keeping = " on feedback_item " in f"{text} " or text.startswith(PLAN_NODES)
            if keeping:
                kept.append(line)
        elif text.startswith(PLAN_TIMES) or (keeping and text.startswith(PLAN_DETAILS)):
            kept.append(line if len(line) < 200 else line[:197] + "...")
    return kept


async def queries_in_process(engine, data: dict, http: dict) -> dict:
    """The queue query of each case as the route runs it (median time, SQL), and the counts."""
    from app.accounts.tables import User
    from app.feedback import queue

    user = await User.objects().where(User.id == data["supervisor"]).first()
    found = {}
    for name, result in http.items():
        filters = queue.parse_filters(dict(parse_qsl(urlsplit(result["url"]).query)))

        async def call(filters=filters):
            return await queue.page(data["site"], filters, user)

        found[name] = {"ms": await median_ms(call), "sql": (await recorded(engine, call))[-1]}

    async def counts():
        return await queue.counts(data["site"])

    statements = await recorded(engine, counts)
    each = [await statement_ms(engine, sql, args) for sql, args in statements]
    return {"page": found, "counts": {"ms": await median_ms(counts), "sql": statements, "each_ms": each}}


async def statement_ms(engine, sql: str, args: list) -> float:
    """The median of runs of one statement on one connection (on PostgreSQL, prepared as asyncpg does)."""
    from piccolo.engine.sqlite import SQLiteEngine

    if isinstance(engine, SQLiteEngine):
        connection = await engine.get_connection()
        run = lambda: connection.execute(sql, args)  # noqa: E731
    else:
        connection = await engine.get_new_connection()
        run = lambda: connection.fetch(sql, *args)  # noqa: E731
    try:
        return await median_ms(run)
    finally:
        await connection.close()


# --- Per engine -----------------------------------------------------------------------------------------


async def run_target(label: str, url: str) -> dict:
    from app.db import engine_for, use_engine

    env = {**os.environ, "DATABASE_URL": url}
    serving.migrate(env)
    engine = engine_for(url)
    if not url.startswith("sqlite"):
        await engine.start_connection_pool()
    use_engine(engine)
    try:
        started = time.perf_counter()
        data = await fill(engine, datetime.now(UTC))
        filled_s = time.perf_counter() - started
        chosen = cases(data)
        await engine.close_connection_pool()  # the server has the database to itself while timed
        port = serving.free_port()
        log = DATA / f"server-{label}.log"
        server = serving.start_server(env, port, log)
        headers = {"accept-language": "zh-CN,zh;q=0.9", "accept-encoding": "br, gzip"}
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                         timeout=30) as client:
                await sign_in(client)
                started = time.perf_counter()
                http = await queue_over_http(client, data, chosen)
                http_s = time.perf_counter() - started
                more = await more_over_http(client, data, http["deep"])
                shutdown = await shutdown_with_stream(client, server, data["site"])
        finally:
            serving.stop_server(server)
        errors = serving.logged_errors(log)
        if not url.startswith("sqlite"):
            await engine.start_connection_pool()
        queries = await queries_in_process(engine, data, http)
        worst = max(result["median_ms"] for result in http.values())
        print(f"== {label}: {data['rows']:,} items on {SITES} sites ({BIG_SITE_ITEMS:,} on the timed one),"
              f" {data['events']:,} events, filled in {filled_s:.1f} s; the GETs took {http_s:.0f} s;"
              f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"the supervisor signed in owns {data['owned'][0]:,} of the site's items,"
              f" {data['owned'][1]:,} of them open")
        report(http, chosen, queries)
        print(f"  the deep page as scrolling fetches it (HX-Target: queue-more, rows only):"
              f" {more['median_ms']:.1f} ms ({more['max_ms']:.0f})"
              f"{'' if more['right'] else ' -- WRONG ITEMS'}")
        print(f"queue: worst median {worst:.1f} ms (target <= {TARGETS['queue_ms']} ms)")
        print(f"shutdown with an open SSE stream: {shutdown['shutdown_s']:.2f} s after SIGINT"
              f" (graceful timeout {serving.GRACEFUL_S} s; target < {TARGETS['shutdown_s']} s)"
              f"{'' if shutdown['exited'] else ' -- DID NOT EXIT, killed'}; the stream got"
              f" {shutdown['first_bytes']!r}")
        print("server log: " + ("; ".join(f"{count} x {what}" for what, count in errors.most_common(4))
                                if errors else "no errors"))
        await show_plans(engine, queries)
    finally:
        await engine.close_connection_pool()
    wrong = [name for name, result in (*http.items(), ("more", more)) if not result["right"]]
    if wrong:
        sys.exit(f"{label}: the queue showed the wrong items for {', '.join(wrong)}")
    return {
        "queue_ms": round(worst, 1),
        "queue_cases": {name: round(result["median_ms"], 1) for name, result in http.items()},
        "queue_depth": {name: result["depth"] for name, result in http.items()},
        "queue_db_ms": {name: round(query["ms"], 2) for name, query in queries["page"].items()},
        "counts_db_ms": round(queries["counts"]["ms"], 2),
        "more_ms": round(more["median_ms"], 1),
        "shutdown_s": round(shutdown["shutdown_s"], 2) if shutdown["exited"] else None,
    }


def report(http: dict, chosen: dict, queries: dict) -> None:
    print(f"GET /sites/{{id}}/queue as the site's supervisor, median of {GETS} (max), "
          f"then the queue query in-process:")
    for name, result in http.items():
        filters = ", ".join(f"{key}={value}" for key, value in chosen[name].items()) or "no filter"
        pages = math.ceil(result["matches"] / PAGE)
        where = "page 1" if name == "first" else (
            f"page {result['depth'] + 1} of {pages} ({result['depth'] * PAGE:,} items in"
            f"{'' if result['depth'] == DEPTH else ', as deep as it goes'})"
        )
        query_ms = queries["page"][name]["ms"]
        rest = result["median_ms"] - query_ms - queries["counts"]["ms"]
        print(f"  {name:16} {result['median_ms']:6.1f} ms ({result['max_ms']:.0f})  {where}, {filters},"
              f" {result['matches']:,} matches; queue query {query_ms:.2f} ms, the rest but the counts"
              f" {rest:.0f} ms{'' if result['right'] else '  -- WRONG ITEMS'}")
    each = ", ".join(f"{ms:.2f}" for ms in queries["counts"]["each_ms"])
    print(f"  counts (on every page GET: open items per status, the overdue ones):"
          f" {queries['counts']['ms']:.2f} ms in-process ({each} ms)")


async def show_plans(engine, queries: dict) -> None:
    """How each case's queue query finds and orders its items, and the counts theirs."""
    from piccolo.engine.sqlite import SQLiteEngine

    kinds = ("",) if isinstance(engine, SQLiteEngine) else ("custom ", "generic ")
    for name, query in queries["page"].items():
        sql, args = query["sql"]
        for kind in kinds:
            print(f"{kind}plan of {name} (query {query['ms']:.2f} ms):")
            for line in short_plan(await plan(engine, sql, args, generic=kind == "generic ")):
                print(f"    {line}")
    for (sql, args), ms in zip(queries["counts"]["sql"], queries["counts"]["each_ms"], strict=True):
        print(f"plan of counts ({ms:.2f} ms): {sql[:100]}...")
        for line in short_plan(await plan(engine, sql, args)):
            print(f"    {line}")


async def main() -> dict:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    return await serving.on_each_database(run_target, SQLITE_URL, SCRATCH_DB)


if __name__ == "__main__":
    try:
        figures = asyncio.run(main())
        print(json.dumps(figures))
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
    slow = [label for label, result in (("SQLite", figures), ("PostgreSQL", figures.get("pg")))
            if result and (result["shutdown_s"] is None or result["shutdown_s"] >= TARGETS["shutdown_s"])]
    if slow:
        sys.exit(f"the server took too long to shut down with an open SSE stream: {', '.join(slow)}")
