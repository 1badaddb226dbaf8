"""The attendance ledger: the database refuses edits, and the hash chain catches what gets past it."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from app.checkin import ledger
from app.checkin.ledger import GENESIS, BrokenLink, link_hash
from app.checkin.tables import AttendanceEvent, LedgerDayHead
from app.config import get_settings
from app.db import write_transaction
from tests import factories
from tests.conftest import ROOT

CST = ZoneInfo("Asia/Shanghai")
CHANGED = "content changed: the hash does not match"
MISSING = "missing: the event was removed"
NOT_FOLLOWING = "does not follow the previous link"
# Check-in and check-out over three days: heads 2 March -> 2, 3 March -> 4, 4 March -> 5.
MOMENTS = [
    ("in", datetime(2026, 3, 2, 7, 0, tzinfo=CST)),
    ("out", datetime(2026, 3, 2, 17, 0, tzinfo=CST)),
    ("in", datetime(2026, 3, 3, 7, 0, 0, 250000, tzinfo=CST)),
    ("out", datetime(2026, 3, 3, 17, 0, tzinfo=CST)),
    ("in", datetime(2026, 3, 4, 7, 0, tzinfo=CST)),
]


def content(site, worker, kind: str, when: datetime) -> dict:
    return {
        "site": site.id, "worker": worker.id, "kind": kind, "method": "poster", "server_time": when,
        "client_time": when, "occurred_at": when, "work_date": when.astimezone(CST).date(),
        "latitude": 31.23, "longitude": 121.47, "accuracy_m": 12.5, "flags": "",
        "idempotency_key": str(uuid.uuid4()), "device": None, "corrects": None, "recorded_by": None,
        "reason": "",
    }


async def append(site, worker, moments) -> list[dict]:
    rows = []
    for kind, when in moments:
        async with write_transaction():
            rows.append(await ledger.append(content(site, worker, kind, when), "Asia/Shanghai"))
    return rows


async def stored(site) -> list[dict]:
    return await AttendanceEvent.select().where(AttendanceEvent.site == site.id).order_by(AttendanceEvent.seq)


@pytest.fixture
async def chain(db):
    """Five events on one site and two on another, every link sound."""
    site = await factories.site("一号工地")
    other = await factories.site("二号工地")
    crew = await factories.crew(site)
    worker, second = await factories.worker(crew), await factories.worker(crew)
    rows = await append(site, worker, MOMENTS)
    await append(other, second, MOMENTS[:2])
    assert await ledger.verify() == []
    return {"site": site, "other": other, "worker": worker, "second": second, "rows": rows}


@pytest.fixture
async def unguarded(db):
    """The ledger without its triggers, as someone with write access to the database could leave it."""
    sqlite = isinstance(db, SQLiteEngine)
    if sqlite:
        await db.run_ddl("DROP TRIGGER attendance_event_no_update")
        await db.run_ddl("DROP TRIGGER attendance_event_no_delete")
    else:
        await db.run_ddl("DROP TRIGGER attendance_event_no_change ON attendance_event")
    yield db
    if not sqlite:
        # PostgreSQL keeps one schema for the whole run: later tests rely on the trigger.
        await db.run_ddl(
            "CREATE TRIGGER attendance_event_no_change BEFORE UPDATE OR DELETE ON attendance_event "
            "FOR EACH ROW EXECUTE FUNCTION attendance_event_append_only()"
        )


async def delete(event_id: int) -> None:
    await AttendanceEvent.delete().where(AttendanceEvent.id == event_id)


async def insert(row: dict) -> int:
    fields = {name: value for name, value in row.items() if name != "id"}
    inserted = await AttendanceEvent.insert(AttendanceEvent(**fields)).returning(AttendanceEvent.id)
    return inserted[0]["id"]


# --- appending --------------------------------------------------------------------------


async def test_each_event_links_to_the_previous_one_of_its_site(chain):
    site, other, rows = chain["site"], chain["other"], chain["rows"]
    events = await stored(site)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["id"] for e in events] == [r["id"] for r in rows]
    assert [e["prev_hash"] for e in events] == [GENESIS, *(e["hash"] for e in events[:-1])]
    key = get_settings().ledger_key
    for event in events:
        assert event["hash"] == link_hash(event["prev_hash"], event, key)
        assert event["hash"] != link_hash(event["prev_hash"], event, key + "x")
    # The other site has a chain of its own, from the start.
    assert [(e["seq"], e["prev_hash"]) for e in await stored(other)][0] == (1, GENESIS)


async def test_day_head_is_the_last_link_of_the_site_local_day(chain):
    site, other = chain["site"], chain["other"]
    hashes = {e["seq"]: e["hash"] for e in await stored(site)}
    assert await ledger.day_head(site.id, date(2026, 3, 1)) is None
    assert await ledger.day_head(site.id, date(2026, 3, 2)) == {"seq": 2, "hash": hashes[2]}
    assert await ledger.day_head(site.id, date(2026, 3, 3)) == {"seq": 4, "hash": hashes[4]}
    assert await ledger.day_head(site.id, date(2026, 3, 4)) == {"seq": 5, "hash": hashes[5]}
    # A day with no events: the chain stood where the previous day left it.
    assert await ledger.day_head(site.id, date(2026, 3, 9)) == {"seq": 5, "hash": hashes[5]}
    other_head = (await stored(other))[1]
    assert await ledger.day_head(other.id, date(2026, 3, 4)) == {"seq": 2, "hash": other_head["hash"]}


async def test_the_day_of_a_head_is_the_sites_local_day(db):
    site = await factories.site()
    worker = await factories.worker(await factories.crew(site))
    late_evening = datetime.fromisoformat("2026-03-01T15:30:00+00:00")  # 23:30 in Shanghai
    after_midnight = datetime.fromisoformat("2026-03-01T16:30:00+00:00")  # 00:30 on 2 March
    await append(site, worker, [("in", late_evening), ("out", after_midnight)])
    heads = await LedgerDayHead.select(LedgerDayHead.day, LedgerDayHead.seq).order_by(LedgerDayHead.day)
    assert heads == [{"day": date(2026, 3, 1), "seq": 1}, {"day": date(2026, 3, 2), "seq": 2}]


async def test_an_empty_ledger_verifies(db):
    assert await ledger.verify() == []


# --- the database refuses --------------------------------------------------------------

REFUSED = {
    "raw-update": lambda event, worker: AttendanceEvent.raw(
        "UPDATE attendance_event SET worker = {} WHERE id = {}", worker, event
    ),
    "raw-delete": lambda event, worker: AttendanceEvent.raw(
        "DELETE FROM attendance_event WHERE id = {}", event
    ),
    "update": lambda event, worker: AttendanceEvent.update({AttendanceEvent.flags: "edited"}).where(
        AttendanceEvent.id == event
    ),
    "delete": lambda event, worker: AttendanceEvent.delete().where(AttendanceEvent.id == event),
}


@pytest.mark.parametrize("statement", REFUSED)
async def test_the_database_refuses_updates_and_deletes(chain, statement):
    before = await stored(chain["site"])
    with pytest.raises(Exception, match="attendance events are append-only"):
        await REFUSED[statement](before[2]["id"], chain["second"].id)
    assert await stored(chain["site"]) == before
    assert await ledger.verify() == []


async def test_postgres_refuses_truncate(chain, backend):
    if backend != "postgres":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(Exception, match="attendance events are append-only"):
        await AttendanceEvent.raw("TRUNCATE attendance_event CASCADE")
    assert await AttendanceEvent.count() == 7


# --- tampering behind the app's back ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", datetime(2026, 3, 3, 6, 0, tzinfo=CST)),
        ("worker", "second"),
        ("kind", "out"),
        ("flags", "late_sync"),
        ("latitude", 31.2301),
        ("work_date", date(2026, 3, 2)),
        ("hash", "f" * 64),
    ],
)
async def test_an_edited_middle_row_breaks_the_chain_at_that_link(chain, unguarded, field, value):
    site, middle = chain["site"], chain["rows"][2]
    value = chain["second"].id if value == "second" else value
    await AttendanceEvent.update({getattr(AttendanceEvent, field): value}).where(
        AttendanceEvent.id == middle["id"]
    )
    assert await ledger.verify() == [BrokenLink(site.id, 3, middle["id"], CHANGED)]
    assert await ledger.verify(chain["other"].id) == []


async def test_an_edited_previous_hash_does_not_follow(chain, unguarded):
    middle = chain["rows"][2]
    await AttendanceEvent.update({AttendanceEvent.prev_hash: GENESIS}).where(
        AttendanceEvent.id == middle["id"]
    )
    assert await ledger.verify() == [BrokenLink(chain["site"].id, 3, middle["id"], NOT_FOLLOWING)]


async def test_a_deleted_middle_row_is_named_by_its_seq(chain, unguarded):
    await delete(chain["rows"][2]["id"])
    broken = await ledger.verify()
    assert broken == [BrokenLink(chain["site"].id, 3, None, MISSING)]
    assert str(broken[0]) == f"site {chain['site'].id}: link 3: {MISSING}"


async def test_a_deleted_last_row_is_caught_by_the_day_head(chain, unguarded):
    await delete(chain["rows"][4]["id"])
    assert await ledger.verify() == [
        BrokenLink(
            chain["site"].id, 5, None,
            "the head recorded for 2026-03-04 is missing or differs: events were removed",
        )
    ]


async def test_a_deleted_last_row_of_an_earlier_day_is_caught(chain, unguarded):
    await delete(chain["rows"][3]["id"])
    assert await ledger.verify() == [BrokenLink(chain["site"].id, 4, None, MISSING)]


async def test_a_removed_last_day_head_is_caught(chain, unguarded):
    site = chain["site"]
    await LedgerDayHead.delete().where(
        (LedgerDayHead.site == site.id) & (LedgerDayHead.day == date(2026, 3, 4))
    )
    assert await ledger.verify() == [
        BrokenLink(site.id, 5, None, "the last link is no day's recorded head: a head was removed")
    ]
    assert await ledger.verify(chain["other"].id) == []


@pytest.mark.parametrize("key", ["", "a-guessed-key"], ids=["no-key", "wrong-key"])
async def test_a_row_replaced_with_altered_content_and_a_forged_hash_is_caught(chain, unguarded, key):
    site = chain["site"]
    original = (await stored(site))[2]
    await delete(original["id"])
    forged = {**original, "worker": chain["second"].id}
    forged["hash"] = link_hash(forged["prev_hash"], forged, key)
    new_id = await insert(forged)
    assert new_id != original["id"]
    assert await ledger.verify() == [BrokenLink(site.id, 3, new_id, CHANGED)]


async def test_a_replaced_row_with_the_right_key_breaks_the_next_link(chain, unguarded):
    # Someone holding the key can forge one link, but not without rewriting every later one.
    site = chain["site"]
    events = await stored(site)
    original = events[2]
    await delete(original["id"])
    forged = {**original, "occurred_at": original["occurred_at"] - timedelta(hours=1)}
    forged["hash"] = link_hash(forged["prev_hash"], forged)
    await insert(forged)
    assert await ledger.verify() == [BrokenLink(site.id, 4, events[3]["id"], NOT_FOLLOWING)]


async def test_the_same_content_re_inserted_under_a_new_id_changes_nothing(chain, unguarded):
    site = chain["site"]
    original = (await stored(site))[2]
    await delete(original["id"])
    new_id = await insert(original)
    assert new_id != original["id"]
    assert await ledger.verify() == []


async def test_a_row_slipped_in_at_the_end_is_caught(chain, unguarded):
    site = chain["site"]
    last = (await stored(site))[-1]
    extra = {**content(site, chain["worker"], "out", MOMENTS[-1][1] + timedelta(hours=9)),
             "seq": 6, "prev_hash": last["hash"]}
    extra["hash"] = link_hash(last["hash"], extra, "a-guessed-key")
    new_id = await insert(extra)
    assert await ledger.verify() == [BrokenLink(site.id, 6, new_id, CHANGED)]


async def test_another_key_breaks_every_chain_at_the_first_link(chain, monkeypatch):
    monkeypatch.setenv("LEDGER_KEY", "some-other-key")
    get_settings.cache_clear()
    try:
        broken = await ledger.verify()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    first = {site: (await stored(chain[site]))[0]["id"] for site in ("site", "other")}
    assert broken == [
        BrokenLink(chain["site"].id, 1, first["site"], CHANGED),
        BrokenLink(chain["other"].id, 1, first["other"], CHANGED),
    ]
    assert await ledger.verify() == []


# --- the command line -------------------------------------------------------------------


async def test_the_verify_command_exits_1_and_names_the_broken_link(chain, unguarded, backend, tmp_path):
    database_url = f"sqlite:///{unguarded.path}" if backend == "sqlite" else os.environ["TEST_DATABASE_URL"]
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path),
           "LEDGER_KEY": get_settings().ledger_key}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603  (our own CLI, arguments from this file)
            [sys.executable, "-m", "app", "ledger", "verify", *args], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=60, check=False,
        )

    site, other = chain["site"], chain["other"]
    good = await asyncio.to_thread(run)
    assert (good.returncode, good.stdout) == (0, "ledger verified: every chain holds\n"), good.stderr

    middle = chain["rows"][2]
    await AttendanceEvent.update({AttendanceEvent.worker: chain["second"].id}).where(
        AttendanceEvent.id == middle["id"]
    )
    broken = await asyncio.to_thread(run)
    assert (broken.returncode, broken.stdout) == (
        1, f"BROKEN site {site.id}: link 3 (event id {middle['id']}): {CHANGED}\n"
    ), broken.stderr
    only_other = await asyncio.to_thread(run, "--site", str(other.id))
    assert (only_other.returncode, only_other.stdout) == (
        0, f"ledger verified: every chain holds (site {other.id})\n"
    ), only_other.stderr


async def test_swapped_ids_cannot_redirect_a_correction(chain, unguarded, backend):
    if backend != "sqlite":
        pytest.skip("one connection with foreign keys off is the simplest way to swap ids")
    site, worker, rows = chain["site"], chain["worker"], chain["rows"]
    fix = {**content(site, worker, "out", MOMENTS[1][1] - timedelta(hours=2)),
           "method": "correction", "corrects": rows[1]["id"], "reason": "下班时间记错"}
    async with write_transaction():
        await ledger.append(fix, "Asia/Shanghai")
    first, second = rows[1]["id"], rows[3]["id"]
    with sqlite3.connect(unguarded.path) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        for old, new in ((first, -1), (second, first), (-1, second)):
            connection.execute("UPDATE attendance_event SET id = ? WHERE id = ?", (new, old))
    # The correction now replaces the second day's check-out instead of the first's.
    assert await ledger.verify() != []


def test_the_chained_form_of_an_event_is_fixed_byte_for_byte():
    """Every stored hash was made from this form: any change to it breaks every chain."""
    event = {
        "site": 3, "seq": 17, "worker": 42, "kind": "in", "method": "poster",
        "server_time": datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=ZoneInfo("UTC")),
        "client_time": datetime(2026, 11, 29, 9, 2, 0, tzinfo=CST),
        "occurred_at": datetime(2026, 11, 29, 1, 2, 0, tzinfo=ZoneInfo("UTC")),
        "work_date": date(2026, 11, 29),
        "latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 12.0, "flags": "late_sync,visiting",
        "idempotency_key": "k-1234567890abcdef", "device": 7, "corrects": 99, "recorded_by": None,
        "reason": "工人忘记打卡",
    }
    assert ledger.canonical(event, corrects_seq=5) == (
        '[3,17,42,"in","poster","2026-11-29T01:02:03.456789Z","2026-11-29T01:02:00.000000Z",'
        '"2026-11-29T01:02:00.000000Z","2026-11-29","31.2304","121.4737","12.0","late_sync,visiting",'
        '"k-1234567890abcdef",7,5,null,"工人忘记打卡"]'
    ).encode()
    # The corrected event by its place in the chain, never by its row id (99).
    assert b',"k-1234567890abcdef",7,null,null,' in ledger.canonical(event)
    assert link_hash(GENESIS, event, "key", corrects_seq=5) == (
        "0117fd570d4b85a2fd356962b27fa810f3affa7a16dda669d421ec862fd713f3"
    )
