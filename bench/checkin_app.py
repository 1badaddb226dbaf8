"""The app as served, plus one bare write endpoint for the check-in bench to compare with.

`POST /bench/bare` inserts one row through the same engine, the same write path
(`write_transaction`: BEGIN IMMEDIATE behind the in-process lock on SQLite, a pooled
transaction on PostgreSQL) and the same durability settings as a check-in, so the ratio
of the two rates shows what the check-in itself costs over the floor of any write.
It lives here, not in the app, so production never carries it.

Serve it like `python -m app serve` does:
    uvicorn bench.checkin_app:create_bench_app --factory --proxy-headers
"""

from __future__ import annotations

from litestar import Litestar, Request, Response, post
from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.db import current_engine, write_transaction
from app.main import create_app

BARE_PATH = "/bench/bare"
ECHO = "X-Idempotency-Key"


class BenchRow(Table, tablename="bench_row"):
    """Created by the bench (not a migration): it must never reach a real database."""

    note = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


def bind_bench_table() -> None:
    # The bench table must share the app's engine object: SQLite's open transaction is
    # tracked per engine, so another engine would write outside write_transaction().
    BenchRow._meta._db = current_engine()


# Public and outside CSRF: the comparison is the write, not the sign-in or form checks.
@post(BARE_PATH, opt={"public": True}, exclude_from_csrf=True, status_code=200)
async def bare_insert(request: Request) -> Response[str]:
    key = request.headers.get(ECHO, "")
    async with write_transaction():
        await BenchRow.insert(BenchRow(note=key[:64]))
    return Response("ok", media_type="text/plain", headers={ECHO: key} if key else {})


def create_bench_app() -> Litestar:
    bind_bench_table()
    application = create_app()
    application.register(bare_insert)
    return application


if __name__ == "__main__":
    # `make bench` runs every file here; this one is served by bench/checkin.py, not run.
    print("served by bench/checkin.py (uvicorn bench.checkin_app:create_bench_app --factory)")
