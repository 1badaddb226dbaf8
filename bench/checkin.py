"""Check-in under load: saturation next to a bare write, an open-loop morning rush, a month summary.

Runs on its own against a throw-away SQLite database and, when TEST_DATABASE_URL (or
BENCH_DATABASE_URL) names a PostgreSQL server, again on a scratch database there that
is created and dropped. Per engine:

- 5,000 workers with accounts and remembered phones on one site (the worst case: one
  ledger chain, so every tap queues on the same chain head), 26 days of day summaries
  for each in the previous month;
- the app served by uvicorn in its own process exactly as `python -m app serve` does
  (one worker, proxy headers, uvloop + httptools), with LOG_LEVEL=WARNING so the
  access log is off and jobs left to `python -m app jobs`; plus one bare endpoint
  (bench/checkin_app.py) that inserts one row through the same write path;
- a load generator in another process (bench/checkin_load.py):
  first every phone opens the check-in page once (GET /csrf: its CSRF cookie and
  token), as phones on site have before the morning rush; then
  (a) saturation: 32 clients back to back, first full check-ins (the tap POST as the
      phone's outbox sends it: device credential, CSRF, idempotency key, location),
      then the bare insert;
  (b) open loop: 200 check-ins a second for 20 s on a fixed schedule, latency from
      each one's scheduled start (failures count at the time they failed; a tap
      unanswered after 10 s is abandoned). Before it, 10 s at half the measured
      saturation rate, to show latency at a load the server can carry;
- (c) the month summary `site_month(None, month, limit=5000)`, median of 5 runs.

A tap counts only when it comes back 200 with its idempotency key echoed. Afterwards
the ledger must hold every acknowledged tap once, and no tap may have been answered
with an earlier event by the double-tap rule. The server's logged exceptions are
summed up. Prints figures, then one JSON line; the one-core server, the load generator
and the whole machine's CPU are shown per phase to tell which side saturated.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(tempfile.mkdtemp(prefix="fieldpost-bench-"))
SQLITE_URL = f"sqlite:///{DATA / 'bench.db'}"
os.environ.update(
    DATA_DIR=str(DATA),
    DATABASE_URL=SQLITE_URL,
    SECRET_KEY="bench",
    RUN_JOBS_IN_PROCESS="false",
    LOG_LEVEL="WARNING",
    ARGON2_TIME_COST="1",
    ARGON2_MEMORY_KIB="8192",
)
os.environ.pop("REDIS_URL", None)
# Run as a script, bench/ comes first on sys.path, where bench/queue.py would stand in for the
# standard library's queue (which redis and logging import).
if sys.path and Path(sys.path[0] or os.curdir).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))


from bench import serving  # noqa: E402
from bench.checkin_load import outcome_figures  # noqa: E402

WORKERS = 5_000
CREWS = 20
DAYS = 26
CLIENTS = 32
SATURATION_S = 16
SLICES = 8
OPEN_RATE = 200
OPEN_S = 20
HALF_S = 10
SUMMARY_RUNS = 5
BATCH = 500
SCRATCH_DB = "fieldpost_bench"
SITE = (31.23, 121.47)
TARGETS = {"checkin_bare_ratio": 0.5, "p99_ms": 100, "summary_s": 1.0}
DAY_COLUMNS = (
    "worker",
    "site",
    "work_date",
    "first_in",
    "last_out",
    "hours",
    "man_days",
    "shifts",
    "open_shift",
    "events",
    "anomalies",
    "corrected",
)
INSERT_DAY = "INSERT INTO attendance_day ({}) VALUES ({})".format(  # noqa: S608 (constant names)
    ", ".join(DAY_COLUMNS), ", ".join("?" for _ in DAY_COLUMNS)
)
PHASES = [
    # Warm-ups open connections and the pool, and compile templates, before anything is timed.
    {"name": "warmup_checkin", "kind": "checkin", "mode": "closed", "clients": CLIENTS, "seconds": 2},
    {"name": "warmup_bare", "kind": "bare", "mode": "closed", "clients": CLIENTS, "seconds": 1},
    # Saturation in alternating slices: a shared machine's speed drifts over seconds, and
    # two long phases one after the other would put that drift into the ratio.
    *[
        {"name": f"{kind}_{turn}", "kind": kind, "mode": "closed", "clients": CLIENTS,
         "seconds": SATURATION_S / SLICES, "samples": True}
        for turn in range(SLICES)
        for kind in ("checkin", "bare")
    ],
    # What latency looks like at a load the server can carry, before the fixed-rate rush.
    {
        "name": "open_half", "kind": "checkin", "mode": "open", "share_of": ["checkin_", 0.5],
        "seconds": HALF_S,
    },
    # Last: when the rush is more than the server can carry, it is still working through
    # abandoned requests long after the schedule ends.
    {"name": "open", "kind": "checkin", "mode": "open", "rate": OPEN_RATE, "seconds": OPEN_S},
]


async def fill(engine, month: date) -> dict:
    """The site, its poster, 5,000 workers with phones, and the month of day summaries."""
    from app.accounts.services import hash_secret
    from app.accounts.tables import Role, User
    from app.checkin import devices
    from app.checkin.posters import ensure_poster, token_of
    from app.checkin.tables import DeviceStatus, Poster
    from app.db import write_transaction
    from app.sites.tables import Site
    from app.workforce.tables import Crew, Worker
    from bench.checkin_app import BenchRow

    site = Site(name="一号工地", address="上海市", latitude=SITE[0], longitude=SITE[1], radius_m=300)
    await site.save()
    await ensure_poster(site.id)
    poster = await Poster.select(Poster.code).where(Poster.site == site.id).first()
    crews = await Crew.insert(
        *[Crew(site=site.id, name=f"班组{n:02d}", trade="钢筋工") for n in range(CREWS)]
    ).returning(Crew.id)
    pin_hash = await hash_secret("2468")  # one argon2 hash shared: sign-in is not what is measured
    worker_ids: list[int] = []
    for start in range(0, WORKERS, BATCH):
        numbers = range(start, min(WORKERS, start + BATCH))
        accounts = await User.insert(
            *[
                User(name=f"工人{n:04d}", phone=f"137{n:08d}", role=Role.worker.value, secret_hash=pin_hash)
                for n in numbers
            ]
        ).returning(User.id)
        workers = await Worker.insert(
            *[
                Worker(account=account["id"], crew=crews[n % CREWS]["id"], registered_on=date(2026, 1, 5))
                for n, account in zip(numbers, accounts, strict=True)
            ]
        ).returning(Worker.id)
        worker_ids += [row["id"] for row in workers]
    async with write_transaction():
        phones = [
            (await devices._bind(worker, "bench phone", DeviceStatus.active, None))[1]
            for worker in worker_ids
        ]
    await bulk_days(engine, worker_ids, site.id, month)
    await BenchRow.create_table(if_not_exists=True)
    return {"poster_token": token_of(poster["code"]), "site": SITE, "phones": phones}


def day_rows(worker_ids: list[int], site_id: int, month: date) -> list[tuple]:
    zone = ZoneInfo("Asia/Shanghai")
    rows = []
    for day in range(1, DAYS + 1):
        work_date = month.replace(day=day)
        came = datetime.combine(work_date, clock(7, 0), zone)
        left = datetime.combine(work_date, clock(17, 30), zone)
        for index, worker in enumerate(worker_ids):
            if (index + day) % 29:
                rows.append(
                    (
                        worker,
                        site_id,
                        work_date,
                        came,
                        left,
                        Decimal("10.50"),
                        Decimal("1.0"),
                        1,
                        False,
                        2,
                        "",
                        False,
                    )
                )
            else:
                rows.append(
                    (
                        worker,
                        site_id,
                        work_date,
                        came,
                        None,
                        Decimal("0"),
                        Decimal("0"),
                        0,
                        False,
                        1,
                        "no_checkout",
                        False,
                    )
                )
    return rows


async def bulk_days(engine, worker_ids: list[int], site_id: int, month: date) -> None:
    """130,000 rows straight through the driver: row by row through the ORM takes minutes."""
    from piccolo.engine.sqlite import SQLiteEngine

    rows = day_rows(worker_ids, site_id, month)
    if isinstance(engine, SQLiteEngine):
        # Piccolo's sqlite3 adapters (imported with the engine) store dates and times as it does.
        connection = await engine.get_connection()
        try:
            await connection.execute("BEGIN IMMEDIATE")
            await connection.executemany(INSERT_DAY, rows)
            await connection.execute("COMMIT")
        finally:
            await connection.close()
        return
    connection = await engine.get_new_connection()
    try:
        await connection.copy_records_to_table("attendance_day", records=rows, columns=DAY_COLUMNS)
        # Autovacuum would analyse a table this fresh within a minute; plans should not
        # depend on whether it got there before the timing.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def month_summary(month: date) -> float:
    from app.checkin.attendance import site_month

    times = []
    for _ in range(SUMMARY_RUNS):
        started = time.perf_counter()
        rows = await site_month(None, month, limit=WORKERS)
        times.append(time.perf_counter() - started)
        assert len(rows) == WORKERS, len(rows)
        assert all(row["days"] == DAYS for row in rows)
    return statistics.median(times)


def generate_load(port: int, server_pid: int, data: dict) -> dict:
    spec_path = DATA / "load-spec.json"
    spec_path.write_text(
        json.dumps(
            {**data, "port": port, "server_pid": server_pid, "phases": PHASES, "prime_clients": CLIENTS}
        )
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "checkin_load.py"), str(spec_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"the load generator failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def ledger_counts() -> tuple[int, int, int]:
    """Events, bare rows, and taps answered with an earlier event (the double-tap rule)."""
    from app.checkin.tables import AttendanceEvent
    from app.outbox.tables import IdempotencyRecord
    from bench.checkin_app import BenchRow

    replays = await IdempotencyRecord.raw(
        "SELECT COUNT(*) - COUNT(DISTINCT result_id) AS replays FROM idempotency_record WHERE scope = {}",
        "attendance",
    )
    return await AttendanceEvent.count(), await BenchRow.count(), replays[0]["replays"]


async def run_target(label: str, url: str) -> dict:
    from app.accounts.tables import User
    from app.checkin.attendance import shift_month
    from app.db import engine_for, use_engine
    from bench.checkin_app import bind_bench_table

    env = {**os.environ, "DATABASE_URL": url}
    serving.migrate(env)
    engine = engine_for(url)
    pooled = not url.startswith("sqlite")
    if pooled:
        await engine.start_connection_pool()
    use_engine(engine)
    bind_bench_table()
    try:
        month = shift_month(datetime.now(UTC).date().replace(day=1), -1)
        started = time.perf_counter()
        data = await fill(engine, month)
        filled_s = time.perf_counter() - started
        assert await User.count() == WORKERS
        port = serving.free_port()
        log = DATA / f"server-{label}.log"
        server = serving.start_server(env, port, log, factory="bench.checkin_app:create_bench_app")
        try:
            load = generate_load(port, server.pid, data)
        finally:
            serving.stop_server(server)
        errors = serving.logged_errors(log)
        events, bench_rows, replays = await ledger_counts()
        summary_s = await month_summary(month)
    finally:
        await engine.close_connection_pool()
    phases = merged(load["phases"])
    taps = [phases[name] for name in ("warmup_checkin", "checkin", "open_half", "open")]
    bares = [phases["warmup_bare"], phases["bare"]]
    primed = load["primed"]
    print(
        f"== {label}: {primed['phones']} phones opened the page first in {primed['seconds']} s"
        f" ({primed['failed']} failed)"
    )
    report(label, phases, filled_s, summary_s)
    print(
        "server log: "
        + ("; ".join(f"{count} x {what}" for what, count in errors.most_common(4)) if errors else "no errors")
    )
    check_writes("ledger events", events, taps, load["taps_sent"])
    print(
        f"taps answered with an earlier event (double-tap rule): {replays}"
        + ("" if not replays else " -- phones were reused too soon; the rates include replays")
    )
    check_writes(
        "bare rows", bench_rows, bares, sum(phase["ok"] + sum(phase["errors"].values()) for phase in bares)
    )
    checkin, bare, rush = phases["checkin"], phases["bare"], phases["open"]
    return {
        "checkin_rps": checkin["rps"],
        "bare_rps": bare["rps"],
        "ratio": round(checkin["rps"] / bare["rps"], 2) if bare["rps"] else None,
        "p50_ms": rush["p50_ms"],
        "p99_ms": rush["p99_ms"],
        "summary_s": round(summary_s, 3),
    }


def merged(phases: dict) -> dict:
    """The saturation slices of each kind as one phase, named after the kind."""
    merged_phases = {name: phase for name, phase in phases.items() if "samples" not in phase}
    for kind in ("checkin", "bare"):
        slices = [phase for phase in phases.values() if "samples" in phase and phase["kind"] == kind]
        seconds = sum(phase["seconds"] for phase in slices)
        ok = sum(phase["ok"] for phase in slices)
        latencies = [sample for phase in slices for sample in phase["samples"]]
        errors: Counter[str] = Counter()
        for phase in slices:
            errors.update(phase["errors"])
        server_cpu_s = sum(phase["server_cpu"] * phase["seconds"] for phase in slices)

        def mean(key: str, slices: list[dict] = slices, seconds: float = seconds) -> float:
            return round(sum(phase[key] * phase["seconds"] for phase in slices) / seconds, 2)

        merged_phases[kind] = {
            "kind": kind,
            **outcome_figures(seconds, ok, errors, latencies),
            "server_cpu": mean("server_cpu"),
            "client_cpu": mean("client_cpu"),
            "machine_busy": mean("machine_busy"),
            "cores": slices[0]["cores"],
            "server_cpu_ms_each": round(server_cpu_s / ok * 1000, 2) if ok else None,
        }
    return merged_phases


def busiest(phase: dict) -> str:
    """Which side ran out of CPU: the server's one core, the client's, or the machine."""
    if phase["server_cpu"] >= 0.9:
        return "the server process (one core) saturates"
    if phase["client_cpu"] >= 0.9:
        return "the load generator saturates: the figure is a floor"
    if phase["machine_busy"] >= 0.9:
        return "the machine's cores are all busy (database processes included)"
    return "no CPU saturated: the time goes to waiting (locks, fsync) or the load is below capacity"


def cpu_line(phase: dict) -> str:
    each = phase.get("server_cpu_ms_each")
    return (
        f"CPU: server {phase['server_cpu']:.2f} core ({each} ms per success), "
        f"load generator {phase['client_cpu']:.2f}, "
        f"machine {phase['machine_busy']:.0%} of {phase['cores']} cores -> {busiest(phase)}"
    )


def check_writes(what: str, stored: int, phases: list[dict], sent: int) -> None:
    """Each acknowledged write is stored once: fewer would be a loss, more a tap counted twice.

    A tap the client gave up on may still have been written (the server finishes it), so
    with failures the stored count may sit anywhere up to the number sent.
    """
    acknowledged = sum(phase["ok"] for phase in phases)
    failed = sum(sum(phase["errors"].values()) for phase in phases)
    fine = stored == acknowledged if not failed else acknowledged <= stored <= sent
    note = f", {failed} failed or abandoned (each may or may not be stored)" if failed else ""
    print(f"{what}: {stored} stored, {acknowledged} acknowledged{note} -> {'ok' if fine else 'WRONG'}")
    if not fine:
        sys.exit(f"{what}: the stored count does not match what the server acknowledged")


def report(label: str, phases: dict, filled_s: float, summary_s: float) -> None:
    checkin, bare, rush = phases["checkin"], phases["bare"], phases["open"]
    ratio = checkin["rps"] / bare["rps"] if bare["rps"] else float("nan")
    print(f"== {label}: {WORKERS} workers with phones on one site, data filled in {filled_s:.1f} s")
    print(f"saturation, {CLIENTS} clients, {SATURATION_S} s each in {SLICES} alternating slices:")
    print(
        f"  check-in (POST /c/{{token}}):   {checkin['rps']:7.1f}/s  p50 {checkin['p50_ms']} ms"
        f"  p99 {checkin['p99_ms']} ms  errors {checkin['errors'] or 'none'}"
    )
    print(f"    {cpu_line(checkin)}")
    print(
        f"  bare insert (POST /bench/bare): {bare['rps']:7.1f}/s  p50 {bare['p50_ms']} ms"
        f"  p99 {bare['p99_ms']} ms  errors {bare['errors'] or 'none'}"
    )
    print(f"    {cpu_line(bare)}")
    print(f"  ratio check-in / bare: {ratio:.2f} (target >= {TARGETS['checkin_bare_ratio']})")
    half = phases["open_half"]
    print(
        f"open loop at half the saturation rate, {half['offered_rps']}/s for {HALF_S} s:"
        f" p50 {half['p50_ms']} ms, p99 {half['p99_ms']} ms, errors {half['errors'] or 'none'}"
    )
    print(f"    {cpu_line(half)}")
    print(
        f"open loop, {OPEN_RATE} check-ins/s offered for {OPEN_S} s: {rush['rps']:.1f}/s answered,"
        f" p50 {rush['p50_ms']} ms, p99 {rush['p99_ms']} ms (target <= {TARGETS['p99_ms']} ms),"
        f" max {rush['max_ms']} ms, errors {rush['errors'] or 'none'}"
    )
    print(
        f"    up to {rush['max_in_flight']} in flight; schedule lag p99 {rush['schedule_lag_p99_ms']} ms;"
        f" {cpu_line(rush)}"
    )
    print(
        f"month summary, {WORKERS} workers x {DAYS} days: {summary_s:.3f} s"
        f" (median of {SUMMARY_RUNS}; target <= {TARGETS['summary_s']} s)"
    )


async def main() -> dict:
    return await serving.on_each_database(run_target, SQLITE_URL, SCRATCH_DB)


if __name__ == "__main__":
    try:
        print(json.dumps(asyncio.run(main())))
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
