"""The check-in's SQLite write path: BEGIN without waiting on the loop, plain SQL compiled once."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest
from piccolo.engine.sqlite import convert_int_out
from piccolo.querystring import QueryString

from app.checkin.tables import AttendanceEvent
from app.db import quick_reads, write_transaction
from app.sites.tables import Site
from app.sqlite import MMAP_BYTES, PooledSQLiteEngine, _compiled, integer_out
from tests import factories


def sqlite_only(db) -> None:
    if not isinstance(db, PooledSQLiteEngine):
        pytest.skip("SQLite's pooled engine only")


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("SELECT a FROM b WHERE x = {} AND y IN ({}, {})", (1, 2, 3)),
        ("INSERT INTO t (a) VALUES ({})", ("x",)),
        ("SELECT 1", ()),
        ("SELECT {{}} || {}", ("x",)),
    ],
)
def test_plain_sql_compiles_as_piccolo_compiles_it(template, values):
    sql, used = _compiled(template, len(values))
    assert (sql, list(values[:used])) == QueryString(template, *values).compile_string("sqlite")


async def test_a_write_waits_for_another_process_without_stalling_the_loop(db):
    sqlite_only(db)
    site = await factories.site()
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process (a job, a migration) holds the write lock
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> float:
        async with write_transaction():
            await Site.update({Site.name: "改名"}).where(Site.id == site.id)
        return time.monotonic()

    clock = asyncio.create_task(ticking())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()
    released = time.monotonic()
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(writing, 5) >= released
    clock.cancel()
    assert ticks >= 20  # the loop kept running while the write waited for the lock
    assert (await Site.select(Site.name).where(Site.id == site.id).first())["name"] == "改名"


async def test_a_write_rolled_back_leaves_the_connection_ready_for_the_next(db):
    sqlite_only(db)
    site = await factories.site()
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await Site.update({Site.name: "不算"}).where(Site.id == site.id)
            raise RuntimeError("half way")
    async with write_transaction():
        await Site.update({Site.name: "算数"}).where(Site.id == site.id)
    with quick_reads():
        rows = await Site.raw("SELECT name FROM site WHERE id = {}", site.id)
    assert rows == [{"name": "算数"}]
    assert await AttendanceEvent.count() == 0


async def test_writes_keep_to_one_connection_whose_pages_stay_mapped(db):
    sqlite_only(db)
    site = await factories.site()
    used = []
    for name in ("一", "二"):
        async with write_transaction() as transaction:
            used.append(transaction.connection)
            await Site.update({Site.name: name}).where(Site.id == site.id)
    assert used[0] is used[1]
    assert used[0].execute_here("PRAGMA mmap_size") == [{"mmap_size": MMAP_BYTES}]
    reader = await db.get_connection()  # reads take another: the writer's cache is its own
    assert reader is not used[0]
    assert reader.execute_here("PRAGMA mmap_size") == [{"mmap_size": 0}]
    await reader.close()
    async with write_transaction():
        # A second writer while the first is busy (another task joining no lock) gets its own.
        other = await db.get_writer()
        assert other is not used[0]
        await other.close()


@pytest.mark.parametrize("stored", [b"0", b"-12", b"42", b"9007199254740993", b"1.0", b"-3.0", b" 7 "])
def test_integers_read_as_piccolo_reads_them(stored):
    assert integer_out(stored) == convert_int_out(stored)
    assert type(integer_out(stored)) is int


def test_an_integer_column_holding_text_is_refused_as_before():
    with pytest.raises(Exception) as piccolo:
        convert_int_out(b"hello")
    with pytest.raises(piccolo.type):
        integer_out(b"hello")


async def test_integer_columns_come_back_as_int_through_the_engine(db):
    site = await factories.site()
    if isinstance(db, PooledSQLiteEngine):
        await db.run_ddl("CREATE TABLE odd_numbers (n INTEGER)")
        # SQLite keeps 2.0 written into an INTEGER column as the integer 2, and 2.5 as a real.
        await db.run_ddl("INSERT INTO odd_numbers (n) VALUES (2.0), (7)")
        assert [row["n"] for row in await db.run_ddl("SELECT n FROM odd_numbers ORDER BY n")] == [2, 7]
    stored = await Site.select(Site.id).where(Site.id == site.id).first()
    assert type(stored["id"]) is int and stored["id"] == site.id
