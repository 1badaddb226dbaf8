"""Database engines: chosen from DATABASE_URL, and swappable for tests and tools."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from piccolo.columns.defaults.base import Default
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from app.sqlite import PooledSQLiteEngine
from app.sqlite import quick_reads as quick_reads  # reads by a unique key, on every request

# sqlite3's timeout is SQLite's busy timeout: writers wait this long for the lock.
SQLITE_BUSY_TIMEOUT_S = 10


def engine_for(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        return PooledSQLiteEngine(path=database_url.removeprefix("sqlite:///"), timeout=SQLITE_BUSY_TIMEOUT_S)
    if database_url.startswith(("postgres://", "postgresql://")):
        # A plan per run: a generic plan cannot see that a keyset page is a short index range.
        return PostgresEngine(
            config={"dsn": database_url, "server_settings": {"plan_cache_mode": "force_custom_plan"}}
        )
    raise ValueError(f"DATABASE_URL must be sqlite:/// or postgresql://, not {database_url!r}")


@functools.cache
def all_tables() -> list:
    # Asked on every statement (current_engine); the app's tables are fixed once imported.
    from app.piccolo_app import APP_CONFIG

    return APP_CONFIG.table_classes


def use_engine(engine: Engine) -> None:
    """Point every table at `engine` (Piccolo caches one engine per table)."""
    for table in all_tables():
        table._meta._db = engine


def current_engine() -> Engine:
    return all_tables()[0]._meta.db


# One lock per event loop (tests run several loops in one process).
_writer_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _writer_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _writer_locks.get(loop)
    if lock is None:
        lock = _writer_locks[loop] = asyncio.Lock()
    return lock


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction that takes SQLite's write lock at once, one writer at a time.

    A deferred SQLite transaction that later upgrades to a write fails straight away
    with SQLITE_BUSY instead of waiting; BEGIN IMMEDIATE waits its turn. Writers of
    this process queue on an asyncio lock instead of spinning in SQLite's busy handler,
    which under load turns a few milliseconds into seconds. Nested calls join the
    transaction already open.
    """
    engine = current_engine()
    if not isinstance(engine, SQLiteEngine):
        async with engine.transaction() as transaction:
            yield transaction
        return
    if engine.current_transaction.get() is not None:
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
        return
    async with _writer_lock():
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction


async def prepare_sqlite(engine: Engine) -> None:
    """WAL lets readers work while one writer writes; it is stored in the file."""
    if isinstance(engine, SQLiteEngine):
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def fetch(sql: str, *values: Any) -> list[dict[str, Any]]:
    """Plain SQL with `{}` for each value, as `Table.raw` takes it, without building a
    Piccolo query around it: for the statements every check-in runs."""
    engine = current_engine()
    if isinstance(engine, PooledSQLiteEngine):
        return await engine.run_plain(sql, values)
    rows = await engine.run_querystring(QueryString(sql, *values))
    return engine.transform_response_to_dicts(rows) if rows else []


MAX_PARAMETERS = 32_767


async def insert_rows(
    table: type[Table], rows: Sequence[Mapping[str, Any]], *, replacing: tuple[str, ...] = ()
) -> list[int]:
    """Insert rows by plain SQL, the table's defaults filling the columns not given; their ids.

    For the hottest writes (a check-in makes several): the ORM builds a full object and
    its query for each row, which costs several times the insert itself. With `replacing`
    (the columns of a unique index), a row that matches a stored one on them overwrites
    its other columns in place instead.
    """
    if not rows:
        return []
    names, fills = _insert_plan(table)
    known = _column_names(table)
    if any(not known.issuperset(row) for row in rows):
        unknown = set().union(*rows) - known
        raise ValueError(f"{table._meta.tablename} has no columns {sorted(unknown)}")
    ids: list[int] = []
    # PostgreSQL takes at most 32,767 parameters a statement (SQLite as built here, more).
    per_statement = max(1, MAX_PARAMETERS // len(names))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values: list[Any] = []
        for row in chunk:
            values += [row[name] if name in row else fill() for name, fill in zip(names, fills, strict=True)]
        inserted = await fetch(_insert_sql(table, len(chunk), replacing), *values)
        ids += [row["id"] for row in inserted]
    return ids


@functools.cache
def _insert_plan(table: type[Table]) -> tuple[tuple[str, ...], tuple[Callable[[], Any], ...]]:
    """The columns an insert names, and how each one's default is made when a row lacks it."""
    columns = table._meta.non_default_columns
    return tuple(column._meta.name for column in columns), tuple(_default_of(column) for column in columns)


@functools.cache
def _column_names(table: type[Table]) -> frozenset[str]:
    return frozenset(_insert_plan(table)[0])


def _default_of(column: Any) -> Callable[[], Any]:
    def fill() -> Any:
        value = column.get_default_value()
        return value.python() if isinstance(value, Default) else value

    return fill


@functools.lru_cache(maxsize=128)
def _insert_sql(table: type[Table], count: int, replacing: tuple[str, ...] = ()) -> str:
    columns = [f'"{column._meta.db_column_name}"' for column in table._meta.non_default_columns]
    rows = ", ".join(f"({placeholders(len(columns))})" for _ in range(count))
    # Names come from the table definition; values travel as parameters.
    sql = f'INSERT INTO "{table._meta.tablename}" ({", ".join(columns)}) VALUES {rows}'  # noqa: S608
    if replacing:
        keys = [f'"{name}"' for name in replacing]
        changed = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in keys)
        sql += f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {changed}"
    return sql + ' RETURNING "id"'


def placeholders(count: int) -> str:
    """`{}, {}, …` for a raw query's IN list: the values still travel as parameters."""
    return ", ".join("{}" for _ in range(count))
