"""Photos: processing one phone photo, and a site's timeline with 50,000 photos.

Runs on its own against a throw-away SQLite database and, when TEST_DATABASE_URL (or
BENCH_DATABASE_URL) names a PostgreSQL server, again on a scratch database there that
is created and dropped.

- process: `app.photos.images.process` (what the server runs in a thread for each
  upload) on a photo as a phone sends it after shrinking it: 2048x1536 JPEG, quality 85,
  with EXIF, edges and grain so it compresses like a photo (~350 KB). Median of 20 runs
  in this process, then 40 photos through two worker processes: photos per second.
  Neither touches the database, so they are measured once, not per engine.
- timeline, per engine: one site with 50,000 photos and three with 2,000, bulk-inserted
  through the driver (a year of working days, 10 areas a site, 20 uploaders, 0-2 of 12
  tags a photo, 1% deleted). The app is served by uvicorn in its own process as
  `python -m app serve` does (LOG_LEVEL=WARNING, jobs left out); a supervisor of the
  site signs in and times whole GETs of /sites/{id}/photos from a persistent client on
  the same machine: the first page, and a page 50 "more" links deep (1,200 photos in)
  without a filter and with each filter (area, tag, uploader, dates). Median of 20 GETs
  each; the photos each page shows are checked against the ones it should show.
  Afterwards the page's queries are timed in this process, and the plans of slow ones
  printed.

Prints figures, then one JSON line.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where bench/queue.py would stand in
# for the standard library's queue (which concurrent.futures and logging import).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import asyncio
import hashlib
import html
import io
import json
import multiprocessing
import random
import re
import shutil
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
SQLITE_URL = f"sqlite:///{DATA / 'bench.db'}"
os.environ.update(
    DATA_DIR=str(DATA), DATABASE_URL=SQLITE_URL, SECRET_KEY="bench", MEDIA_DIR=str(DATA / "media"),
    RUN_JOBS_IN_PROCESS="false", LOG_LEVEL="WARNING", ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="8192",
)
os.environ.pop("REDIS_URL", None)
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import serving  # noqa: E402

TARGETS = {"process_ms": 150, "timeline_ms": 50}
PHOTO_SIZE = (2048, 1536)
PHOTO_QUALITY = 85
DISTINCT_PHOTOS = 4
PROCESS_RUNS = 20
POOL_PHOTOS = 40
BIG_SITE_PHOTOS = 50_000
SMALL_SITES = 3
SMALL_SITE_PHOTOS = 2_000
AREAS = 10
UPLOADERS = 20
DAYS = 365
DELETED_SHARE = 0.01
DEPTH = 50  # "more" links followed to reach the deep page
PAGE = 24  # app.photos.timeline.PAGE
GETS = 20
WARMUP_GETS = 2
QUERY_RUNS = 20
SLOW_QUERY_MS = 10
SCRATCH_DB = "fieldpost_bench_photos"
TIMEZONE = "Asia/Shanghai"
SITE = (31.23, 121.47)
PASSWORD = "bench password"
SUPERVISOR_PHONE = "13900000001"
TAGS = (
    "进度", "质量", "安全", "钢筋", "模板", "混凝土", "隐患", "整改", "验收", "防水", "脚手架", "文明施工",
)
TAG_WEIGHTS = (30, 20, 15, 10, 8, 8, 6, 5, 4, 3, 3, 2)
CAPTIONS = ("", "", "", "钢筋绑扎", "模板支设", "混凝土浇筑", "临边防护缺失", "已整改", "隐蔽验收", "渗水点")
PHOTO_COLUMNS = (
    "id", "site", "area", "caption", "tags", "uploaded_by", "uploaded_at", "taken_at", "taken_date",
    "taken_source", "latitude", "longitude", "accuracy_m", "content_hash", "width", "height",
    "display_bytes", "deleted_at", "deleted_by",
)
TAG_COLUMNS = ("photo", "site", "tag", "taken_at")
MORE_LINK = re.compile(r'<div id="timeline-more"[^>]*\shx-get="([^"]*)"')
THUMB_LINK = re.compile(r'<a href="/photos/(\d+)')


# --- The photo as the phone sends it, and the server's processing of it ----------------------------


def phone_photo(seed: int) -> bytes:
    """Colour fields, edges and sensor grain: compresses like a photo of a site, not like a test card."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    fields = Image.new("RGB", (32, 24))
    fields.putdata([tuple(rng.randrange(40, 220) for _ in range(3)) for _ in range(32 * 24)])
    image = fields.resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + rng.randrange(20, 400), y + rng.randrange(20, 300)),
                           outline=colour, width=rng.randrange(1, 6))
        else:
            draw.line((x, y, rng.randrange(width), rng.randrange(height)), fill=colour,
                      width=rng.randrange(1, 4))
    grain = Image.merge("RGB", [
        Image.effect_noise(PHOTO_SIZE, 5).filter(ImageFilter.GaussianBlur(1)) for _ in range(3)
    ])
    image = ImageChops.add(image, grain, offset=-128)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Bench", "Phone", 1  # make, model, orientation
    exif.get_ifd(0x8769)[0x9003] = f"2026:05:{1 + seed % 28:02d} 10:15:00"  # DateTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", quality=PHOTO_QUALITY, exif=exif)
    return out.getvalue()


def measure_processing(photos: list[bytes]) -> dict:
    from app.photos import images

    for data in photos[:2]:  # warm-up: the first call loads Pillow's codecs
        images.process(data)
    times = []
    for run in range(PROCESS_RUNS):
        started = time.perf_counter()
        images.process(photos[run % len(photos)])
        times.append((time.perf_counter() - started) * 1000)
    batch = [photos[n % len(photos)] for n in range(POOL_PHOTOS)]
    # Forked before any thread or event loop exists: a spawned worker would import this
    # script again and make a temporary folder of its own.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(images.process, photos[:2]))
        started = time.perf_counter()
        done = list(pool.map(images.process, batch))
        pooled_s = time.perf_counter() - started
    assert len(done) == POOL_PHOTOS and all(result.width == images.DISPLAY_PX for result in done)
    process_ms = statistics.median(times)
    per_s = POOL_PHOTOS / pooled_s
    print(f"phone photo: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG q{PHOTO_QUALITY},"
          f" {statistics.mean(len(data) for data in photos) / 1024:.0f} KB on average"
          f" ({len(photos)} different ones)")
    print(f"images.process: median {process_ms:.1f} ms, min {min(times):.1f}, max {max(times):.1f}"
          f" ({PROCESS_RUNS} runs; target <= {TARGETS['process_ms']} ms)")
    print(f"two worker processes: {per_s:.1f} photos/s over {POOL_PHOTOS} photos"
          f" (one process alone: {1000 / process_ms:.1f}/s; {os.cpu_count()} cores)")
    return {"process_ms": round(process_ms, 1), "process_per_s_2_workers": round(per_s, 2),
            "photo_kb": round(statistics.mean(len(data) for data in photos) / 1024)}


# --- The data -------------------------------------------------------------------------------------------


def photo_rows(
    sites: list[tuple[int, int, list[int]]], uploaders: list[int], files: list[tuple[str, int]],
    deleter: int, now: datetime,
) -> tuple[list[tuple], list[tuple]]:
    """Photos of (site, count, area ids), ids in upload order, and their tag rows."""
    rng = random.Random(7)
    zone = ZoneInfo(TIMEZONE)
    # Some people take far more photos than others.
    uploader_weights = [1 / (1 + n / 6) for n in range(len(uploaders))]
    drafts = []
    for site_id, count, areas in sites:
        area_weights = [1 + n % 3 for n in range(len(areas))]
        for _ in range(count):
            while True:
                day = (now.astimezone(zone) - timedelta(days=rng.randrange(1, DAYS + 1))).date()
                if day.weekday() != 6 or rng.random() < 0.4:  # Sundays are quieter
                    break
            taken = datetime.combine(day, clock(7), zone) + timedelta(seconds=rng.randrange(11 * 3600))
            if rng.random() < 0.5:  # the phone's clock (milliseconds) rather than EXIF (seconds)
                taken += timedelta(milliseconds=rng.randrange(1, 1000))
            taken = taken.astimezone(UTC)
            delay = rng.uniform(1, 60) if rng.random() < 0.8 else rng.uniform(60, 8 * 3600)  # offline
            shares = rng.random()
            tags = () if shares < 0.3 else tuple(dict.fromkeys(
                rng.choices(TAGS, TAG_WEIGHTS, k=1 if shares < 0.75 else 2)))
            content_hash, display_bytes = files[rng.randrange(len(files))]
            located = rng.random() < 0.8
            drafts.append((
                taken + timedelta(seconds=delay), site_id,
                rng.choices(areas, area_weights)[0] if rng.random() < 0.92 else None,
                rng.choice(CAPTIONS), ", ".join(tags), rng.choices(uploaders, uploader_weights)[0],
                taken, day, "phone" if taken.microsecond else "exif",
                SITE[0] + rng.uniform(-0.002, 0.002) if located else None,
                SITE[1] + rng.uniform(-0.002, 0.002) if located else None,
                rng.uniform(4, 30) if located else None,
                content_hash, display_bytes, rng.random() < DELETED_SHARE, tags,
            ))
    drafts.sort(key=lambda draft: draft[0])
    photos, tag_rows = [], []
    for photo_id, draft in enumerate(drafts, start=1):
        (uploaded, site_id, area, caption, tag_text, uploader, taken, day, source, latitude, longitude,
         accuracy, content_hash, display_bytes, deleted, tags) = draft
        photos.append((
            photo_id, site_id, area, caption, tag_text, uploader, uploaded, taken, day, source,
            latitude, longitude, accuracy, content_hash, 1600, 1200, display_bytes,
            uploaded + timedelta(hours=2) if deleted else None, deleter if deleted else None,
        ))
        if not deleted:  # a deleted photo's tags are gone (services.delete)
            tag_rows += [(photo_id, site_id, tag, taken) for tag in tags]
    return photos, tag_rows


async def bulk_insert(engine, photos: list[tuple], tags: list[tuple]) -> None:
    """Straight through the driver: row by row through the ORM takes minutes."""
    from piccolo.engine.sqlite import SQLiteEngine

    if isinstance(engine, SQLiteEngine):
        # Piccolo's sqlite3 adapters (imported with the engine) store dates and times as it does.
        connection = await engine.get_connection()
        try:
            await connection.execute("BEGIN IMMEDIATE")
            for table, columns, rows in (("photo", PHOTO_COLUMNS, photos), ("photo_tag", TAG_COLUMNS, tags)):
                insert = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (constant names)
                    table, ", ".join(columns), ", ".join("?" for _ in columns))
                await connection.executemany(insert, rows)
            await connection.execute("COMMIT")
        finally:
            await connection.close()
        return
    connection = await engine.get_new_connection()
    try:
        await connection.copy_records_to_table("photo", records=photos, columns=PHOTO_COLUMNS)
        await connection.copy_records_to_table("photo_tag", records=tags, columns=TAG_COLUMNS)
        await connection.execute("SELECT setval(pg_get_serial_sequence('photo', 'id'), MAX(id)) FROM photo")
        # Autovacuum would analyse tables this fresh within a minute; plans should not
        # depend on whether it got there before the timing.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def fill(engine, files: list[tuple[str, int]]) -> dict:
    """Four sites with their areas, the uploaders, the supervisor, and the photos."""
    from app.accounts.services import create_user
    from app.accounts.tables import Role, User
    from app.sites.tables import Area, Site, SiteMembership

    names = ["一号工地"] + [f"{n}号工地" for n in "二三四五六七八九"[:SMALL_SITES]]
    site_ids = [row["id"] for row in await Site.insert(*[
        Site(name=name, address="上海市", latitude=SITE[0], longitude=SITE[1], radius_m=300) for name in names
    ]).returning(Site.id)]
    areas = {}
    for site_id in site_ids:
        rows = await Area.insert(*[
            Area(site=site_id, name=f"{n // 2 + 1}号楼{'南北'[n % 2]}区", position=n) for n in range(AREAS)
        ]).returning(Area.id)
        areas[site_id] = [row["id"] for row in rows]
    supervisor = await create_user(name="监理王工", phone=SUPERVISOR_PHONE, role=Role.supervisor,
                                   secret=PASSWORD)
    await SiteMembership.insert(*[SiteMembership(site=site_id, member=supervisor.id) for site_id in site_ids])
    # They never sign in here: one made-up hash will do.
    uploaders = [row["id"] for row in await User.insert(*[
        User(name=f"工人{n:02d}", phone=f"137{n:08d}", role=Role.worker.value, secret_hash="-")
        for n in range(UPLOADERS)
    ]).returning(User.id)]
    counts = [BIG_SITE_PHOTOS] + [SMALL_SITE_PHOTOS] * SMALL_SITES
    photos, tags = photo_rows(
        [(site_id, count, areas[site_id]) for site_id, count in zip(site_ids, counts, strict=True)],
        uploaders, files, supervisor.id, datetime.now(UTC),
    )
    await bulk_insert(engine, photos, tags)
    big = site_ids[0]
    return {
        "site": big, "rows": len(photos), "tag_rows": len(tags),
        "photos": [dict(zip(PHOTO_COLUMNS, row, strict=True)) for row in photos if row[1] == big],
        "tags": [dict(zip(TAG_COLUMNS, row, strict=True)) for row in tags if row[1] == big],
    }


def cases(data: dict, today: date) -> dict[str, dict[str, str]]:
    """Filters with well over 50 pages of matches: the common tag, a typical area and uploader, 6 months."""
    photos = [row for row in data["photos"] if row["deleted_at"] is None]
    by_area = Counter(row["area"] for row in photos if row["area"] is not None)
    by_uploader = Counter(row["uploaded_by"] for row in photos)
    by_tag = Counter(row["tag"] for row in data["tags"])
    area = min(by_area, key=lambda key: abs(by_area[key] - 5_000))
    uploader = min(by_uploader, key=lambda key: abs(by_uploader[key] - 2_500))
    return {
        "first": {},
        "deep": {},
        "deep_area": {"area": str(area)},
        "deep_tag": {"tag": by_tag.most_common(1)[0][0]},
        "deep_uploader": {"uploader": str(uploader)},
        "deep_dates": {"from": (today - timedelta(days=300)).isoformat(),
                       "to": (today - timedelta(days=120)).isoformat()},
    }


def expected_ids(data: dict, params: dict[str, str], tagged: set[int]) -> list[int]:
    """The timeline's order, newest first, worked out from the rows as generated."""
    rows = [row for row in data["photos"] if row["deleted_at"] is None]
    if "area" in params:
        rows = [row for row in rows if row["area"] == int(params["area"])]
    if "uploader" in params:
        rows = [row for row in rows if row["uploaded_by"] == int(params["uploader"])]
    if "tag" in params:
        rows = [row for row in rows if row["id"] in tagged]
    if "from" in params:
        rows = [row for row in rows if date.fromisoformat(params["from"]) <= row["taken_date"]]
    if "to" in params:
        rows = [row for row in rows if row["taken_date"] <= date.fromisoformat(params["to"])]
    rows.sort(key=lambda row: (row["taken_at"], row["id"]), reverse=True)
    return [row["id"] for row in rows]


# --- The timeline over HTTP -----------------------------------------------------------------------------


async def sign_in(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    answer = await client.post("/login", data={
        "_csrf_token": client.cookies["fp_csrf"], "phone": SUPERVISOR_PHONE, "secret": PASSWORD,
    })
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])


async def get_page(client: httpx.AsyncClient, url: str) -> tuple[str, list[int], str | None]:
    answer = await client.get(url)
    if answer.status_code != 200:
        sys.exit(f"GET {url}: {answer.status_code}\n{answer.text[:1000]}")
    more = MORE_LINK.search(answer.text)
    following = None
    if more:
        following = urlsplit(url).path + html.unescape(more.group(1))
    return answer.text, [int(found) for found in THUMB_LINK.findall(answer.text)], following


async def timeline_over_http(port: int, data: dict, chosen: dict[str, dict[str, str]]) -> dict:
    """Per case: the URL timed, how deep it is, and the median of the GETs."""
    base = f"/sites/{data['site']}/photos"
    results = {}
    headers = {"accept-language": "zh-CN,zh;q=0.9", "accept-encoding": "br, gzip"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
        await sign_in(client)
        for name, params in chosen.items():
            url = base + ("?" + urlencode(params) if params else "")
            _, shown, following = await get_page(client, url)
            depth = 0
            while name != "first" and following and depth < DEPTH:
                url = following
                _, shown, following = await get_page(client, url)
                depth += 1
            tagged = {row["photo"] for row in data["tags"] if row["tag"] == params.get("tag")}
            matches = expected_ids(data, params, tagged)
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


async def plan(engine, sql: str, args: list) -> list[str]:
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
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", *args)
    finally:
        await connection.close()
    return [row[0] for row in rows]


async def queries_in_process(engine, site_id: int, http: dict) -> dict[str, dict]:
    """Each case's queries as the route runs them: median time, and the SQL of each."""
    from app.photos import timeline
    from app.sites.tables import Site

    site = await Site.select().where(Site.id == site_id).first()
    today = datetime.now(ZoneInfo(site["timezone"])).date()
    found = {}
    for name, result in http.items():
        filters = timeline.parse_filters(dict(parse_qsl(urlsplit(result["url"]).query)), today)
        calls = {"page": lambda filters=filters: timeline.page(site, filters)}
        if filters.after is None:
            calls |= {
                "areas_of": lambda: timeline.areas_of(site_id), "tags_of": lambda: timeline.tags_of(site_id),
                "uploaders_of": lambda: timeline.uploaders_of(site_id),
            }
        found[name] = {}
        for what, call in calls.items():
            recorder = Recorder(engine)
            try:
                await call()
            finally:
                recorder.stop()
            found[name][what] = {"ms": await median_ms(call), "sql": recorder.queries[-1]}
    return found


# --- Per engine -----------------------------------------------------------------------------------------


async def run_target(label: str, url: str, files: list[tuple[str, int]]) -> dict:
    from app.db import engine_for, use_engine

    env = {**os.environ, "DATABASE_URL": url}
    serving.migrate(env)
    engine = engine_for(url)
    if not url.startswith("sqlite"):
        await engine.start_connection_pool()
    use_engine(engine)
    try:
        started = time.perf_counter()
        data = await fill(engine, files)
        filled_s = time.perf_counter() - started
        chosen = cases(data, datetime.now(ZoneInfo(TIMEZONE)).date())
        await engine.close_connection_pool()  # the server has the database to itself while timed
        port = serving.free_port()
        log = DATA / f"server-{label}.log"
        server = serving.start_server(env, port, log)
        try:
            http = await timeline_over_http(port, data, chosen)
        finally:
            serving.stop_server(server)
        errors = serving.logged_errors(log)
        if not url.startswith("sqlite"):
            await engine.start_connection_pool()
        queries = await queries_in_process(engine, data["site"], http)
        worst = max(result["median_ms"] for result in http.values())
        print(f"== {label}: {data['rows']:,} photos ({BIG_SITE_PHOTOS:,} on the timed site), "
              f"{data['tag_rows']:,} tag rows, filled in {filled_s:.1f} s")
        report(http, chosen, queries)
        print(f"timeline: worst median {worst:.1f} ms (target <= {TARGETS['timeline_ms']} ms)")
        print("server log: " + ("; ".join(f"{count} x {what}" for what, count in errors.most_common(4))
                                if errors else "no errors"))
        await show_plans(engine, http, queries)
    finally:
        await engine.close_connection_pool()
    wrong = [name for name, result in http.items() if not result["right"]]
    if wrong:
        sys.exit(f"{label}: the timeline showed the wrong photos for {', '.join(wrong)}")
    return {
        "timeline_ms": round(worst, 1),
        "timeline_cases": {name: round(result["median_ms"], 1) for name, result in http.items()},
        "timeline_db_ms": {name: round(sum(query["ms"] for query in found.values()), 1)
                           for name, found in queries.items()},
    }


def report(http: dict, chosen: dict, queries: dict) -> None:
    print(f"GET /sites/{{id}}/photos as the site's supervisor, median of {GETS} (max), "
          f"then its queries in-process:")
    for name, result in http.items():
        filters = ", ".join(f"{key}={value}" for key, value in chosen[name].items()) or "no filter"
        where = "page 1" if name == "first" else (
            f"page {result['depth'] + 1} ({result['depth'] * PAGE:,} photos in"
            f"{'' if result['depth'] == DEPTH else ', the last page'})"
        )
        database = ", ".join(f"{what} {query['ms']:.1f}" for what, query in queries[name].items())
        print(f"  {name:14} {result['median_ms']:6.1f} ms ({result['max_ms']:.0f})  {where}, {filters},"
              f" {result['matches']:,} matches; queries ms: {database}"
              f"{'' if result['right'] else '  -- WRONG PHOTOS'}")


async def show_plans(engine, http: dict, queries: dict) -> None:
    """The plans of the queries of the cases over target, and of any slow query."""
    for name, found in queries.items():
        for what, query in found.items():
            over = http[name]["median_ms"] > TARGETS["timeline_ms"]
            if query["ms"] <= SLOW_QUERY_MS and not (over and what == "page"):
                continue
            sql, args = query["sql"]
            print(f"plan of {name} / {what} ({query['ms']:.1f} ms):")
            for line in await plan(engine, sql, args):
                print(f"    {line}")


async def store_files(photos: list[bytes]) -> list[tuple[str, int]]:
    """Three photos stored as an upload stores them: their content hashes and display sizes."""
    from app.photos import images
    from app.photos.storage import SIZES, file_name, storage

    files = []
    for data in photos[:3]:
        processed = await asyncio.to_thread(images.process, data)
        content_hash = hashlib.sha256(data).hexdigest()
        for size, content in zip(SIZES, (processed.display, processed.thumb), strict=True):
            await storage().put(file_name(content_hash, size), content)
        files.append((content_hash, len(processed.display)))
    return files


async def timelines(photos: list[bytes]) -> dict:
    files = await store_files(photos)
    return await serving.on_each_database(
        lambda label, url: run_target(label, url, files), SQLITE_URL, SCRATCH_DB
    )


def main() -> dict:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    photos = [phone_photo(seed) for seed in range(DISTINCT_PHOTOS)]
    figures = measure_processing(photos)  # before the event loop: the pool forks this process
    return figures | asyncio.run(timelines(photos))


if __name__ == "__main__":
    try:
        print(json.dumps(main()))
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
