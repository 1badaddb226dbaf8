"""Piccolo's SQLite engine with pooled connections and statements run where they are cheapest.

Piccolo opens a connection (a thread, a file handle, a PRAGMA) for every query outside
a transaction and for every transaction, and runs each statement in three or four
round trips to that thread. Under a check-in rush the round trips cost more than the
statements. Here:

- connections stay open in a pool, with foreign keys switched on once;
- a statement outside a write transaction is executed and fetched in one round trip
  to the connection's own thread, so a slow report never stalls the event loop;
- a statement inside a write transaction (BEGIN IMMEDIATE, which `write_transaction`
  takes) runs straight on the event loop: the transaction already holds SQLite's write
  lock, so nothing it does waits on a lock, and an indexed statement takes tens of
  microseconds, less than the round trip would. BEGIN (which may wait for another
  process's lock) is tried on the loop without waiting, and goes to the thread only
  when another process holds the lock; COMMIT (which waits for fsync) always does;
- so does a read marked quick (`quick_reads()`: one row by a unique key, on every
  request): in WAL mode a reader takes no lock a writer holds;
- plain SQL with `{}` placeholders is compiled once per text, not on every run;
- write transactions keep to one connection (`get_writer`), whose page cache survives
  from one write to the next, and quick reads use it while it is free.

Connections go back to the pool only outside a transaction, so a pooled connection
never carries an open transaction into its next use.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from string import Formatter
from typing import Any

from piccolo.columns import Column
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    convert_int_out,
    dict_factory,
)
from piccolo.querystring import QueryString

# Idle connections kept open; more are opened while busy and closed after.
POOL_SIZE = 32
# The writer reads its pages through a memory map: a page not in its cache costs a
# pointer instead of a read() and a copy. (Address space, not memory.) Not the other
# connections: after another connection's write SQLite drops a connection's whole map
# along with its page cache, and mapping again costs more than reading the few pages.
MMAP_BYTES = 1 << 30
_HOLDS_WRITE_LOCK = (TransactionType.immediate, TransactionType.exclusive)
_quick = ContextVar("quick_reads", default=False)


def integer_out(value: bytes) -> int:
    """An INTEGER column's value as read: Piccolo's converter parses each one through
    Decimal (to take "1.0" too), five times the cost of int() on the usual digits, and
    a check-in reads a dozen ids and counts."""
    try:
        return int(value)
    except ValueError:
        return convert_int_out(value)


# Replaces Piccolo's registration (sqlite3's converters are process-wide, by type name).
sqlite3.register_converter("INTEGER", integer_out)


@contextlib.contextmanager
def quick_reads() -> Iterator[None]:
    """Reads in this block answer from an index at once: run them on the event loop."""
    token = _quick.set(True)
    try:
        yield
    finally:
        _quick.reset(token)


def _compiled(template: str, count: int) -> tuple[str, int]:
    """What QueryString.compile_string makes of a template without nested queries, and
    how many of the values it uses."""
    fragments = [prefix for prefix, *_ in Formatter().parse(template)]
    sql = "".join(prefix + ("?" if index < count else "") for index, prefix in enumerate(fragments))
    return sql, min(count, len(fragments))


class PooledConnection:
    """One sqlite3 connection with a thread of its own; close() returns it to the pool."""

    def __init__(self, engine: PooledSQLiteEngine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._connection: sqlite3.Connection | None = None
        self._writes = False

    async def open(self) -> PooledConnection:
        def connect() -> sqlite3.Connection:
            # Statements of a write transaction run on the event loop's thread too.
            connection = sqlite3.connect(**self._engine.connection_kwargs, check_same_thread=False)
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            return connection

        self._connection = await self._in_thread(connect)
        return self

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    @property
    def writes(self) -> bool:
        return self._writes

    @writes.setter
    def writes(self, writes: bool) -> None:
        if writes != self._writes:
            self.execute_here(f"PRAGMA mmap_size = {MMAP_BYTES if writes else 0}")
            self._writes = writes

    @property
    def in_transaction(self) -> bool:
        return self._connection is not None and self._connection.in_transaction

    def _fetch(self, sql: str, parameters: Sequence[Any]) -> list[dict]:
        assert self._connection is not None
        return self._connection.execute(sql, parameters).fetchall()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict]:
        return await self._in_thread(self._fetch, sql, parameters)

    execute_fetchall = execute

    def execute_here(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict]:
        return self._fetch(sql, parameters)

    def begin_here(self, statement: str) -> bool:
        """BEGIN on the event loop if it need not wait; False when another process holds the lock."""
        assert self._connection is not None
        self._connection.execute("PRAGMA busy_timeout = 0")
        try:
            self._connection.execute(statement)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            self._connection.execute(f"PRAGMA busy_timeout = {self._engine.busy_timeout_ms}")
        return True

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        assert self._connection is not None
        await self._in_thread(self._connection.executemany, sql, rows)

    async def close(self) -> None:
        """Back to the pool (or closed, when the pool is full or a transaction is open)."""
        await self._engine.release(self)

    async def shut(self) -> None:
        if self._connection is not None:
            await self._in_thread(self._connection.close)
            self._connection = None
        self._thread.shutdown(wait=False)


class PooledTransaction(SQLiteTransaction):
    async def get_connection(self) -> PooledConnection:
        if self.transaction_type in _HOLDS_WRITE_LOCK:
            return await self.engine.get_writer()
        return await self.engine.get_connection()

    async def begin(self) -> None:
        statement = f"BEGIN {self.transaction_type.value}"
        if not self.connection.begin_here(statement):
            await self.connection.execute(statement)


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        # sqlite3's timeout (5 s unless given) is SQLite's busy timeout.
        self.busy_timeout_ms = int(connection_kwargs.get("timeout", 5.0) * 1000)
        self._idle: list[PooledConnection] = []
        self._idle_writer: PooledConnection | None = None
        self._sql: dict[tuple[str, int], tuple[str, int]] = {}

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> PooledTransaction:
        return PooledTransaction(self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def get_connection(self) -> PooledConnection:  # type: ignore[override]
        if self._idle:
            return self._idle.pop()
        return await PooledConnection(self).open()

    async def get_writer(self) -> PooledConnection:
        """The connection write transactions use, while it is free.

        Writes queue one at a time (`write_transaction`), so one connection does nearly
        all of them and keeps its page cache: only another connection's write empties it.
        """
        writer, self._idle_writer = self._idle_writer, None
        if writer is None:
            writer = await self.get_connection()
            writer.writes = True
        return writer

    async def release(self, connection: PooledConnection) -> None:
        if connection.in_transaction:
            await connection.shut()
        elif connection.writes and self._idle_writer is None:
            self._idle_writer = connection
        elif len(self._idle) >= POOL_SIZE:
            await connection.shut()
        else:
            connection.writes = False
            self._idle.append(connection)

    async def close_connection_pool(self) -> None:
        idle, self._idle = self._idle, []
        if self._idle_writer is not None:
            idle.append(self._idle_writer)
            self._idle_writer = None
        for connection in idle:
            await connection.shut()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        args = querystring.args
        if (
            self.log_queries
            or self.log_responses
            or any(isinstance(arg, QueryString | Column) for arg in args)
        ):
            return await super().run_querystring(querystring, in_pool)
        return await self.run_plain(querystring.template, args)

    async def run_plain(self, template: str, args: Sequence[Any]) -> list[dict]:
        """Plain SQL with `{}` placeholders and plain values: compiled once per text."""
        key = (template, len(args))
        if (compiled := self._sql.get(key)) is None:
            compiled = self._sql[key] = _compiled(*key)
        sql, used = compiled
        values = list(args[:used])
        if (transaction := self.current_transaction.get()) is not None:
            return await self._run_in_existing_connection(transaction.connection, sql, values)
        return await self._run_in_new_connection(sql, values)

    async def _run_in_new_connection(
        self, query: str, args: list | None = None, query_type: str = "generic", table: Any = None
    ) -> list[dict]:
        if _quick.get() and (writer := self._idle_writer) is not None:
            # The writer's cache holds what was just written: a quick read there skips
            # the reload a reader makes after every write. Nothing else can take the
            # writer meanwhile: the read runs to its end without yielding the loop.
            return writer.execute_here(query, args or ())
        connection = await self.get_connection()
        try:
            if _quick.get():
                return connection.execute_here(query, args or ())
            return await connection.execute(query, args or ())
        finally:
            await connection.close()

    async def _run_in_existing_connection(
        self,
        connection: PooledConnection,
        query: str,
        args: list | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> list[dict]:
        transaction = self.current_transaction.get()
        if transaction is not None and transaction.transaction_type in _HOLDS_WRITE_LOCK:
            return connection.execute_here(query, args or ())
        return await connection.execute(query, args or ())
