"""Attendance written in bulk: many events appended to a site's chain at once, and the
day rows they make. For loading history (the demo's past weeks), not for taps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.checkin.days import day_row, policies_for
from app.checkin.ledger import BATCH, chain_head, link_hash
from app.checkin.shifts import Tap, summarise
from app.checkin.tables import AttendanceDay, AttendanceEvent, LedgerDayHead
from app.db import insert_rows


async def append_many(site_id: int, timezone: str, events: Sequence[dict[str, Any]]) -> list[dict]:
    """Append events (every chained field but seq, in order) to the site's chain.

    Call inside a write transaction; the chain is the one `ledger.append` extends.
    """
    seq, prev_hash = await chain_head(site_id)
    rows, heads = [], {}
    zone = ZoneInfo(timezone)
    for event in events:
        seq += 1
        row = {**event, "site": site_id, "seq": seq, "prev_hash": prev_hash}
        row["hash"] = prev_hash = link_hash(prev_hash, row)
        rows.append(row)
        heads[row["server_time"].astimezone(zone).date()] = (row["seq"], row["hash"])
    for start in range(0, len(rows), BATCH):
        ids = await insert_rows(AttendanceEvent, rows[start : start + BATCH])
        for row, row_id in zip(rows[start : start + BATCH], ids, strict=True):
            row["id"] = row_id
    for day, (head_seq, head_hash) in heads.items():
        await LedgerDayHead.raw(
            "INSERT INTO ledger_day_head (site, day, seq, hash) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (site, day) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            site_id,
            day,
            head_seq,
            head_hash,
        )
    return rows


async def summarise_days(rows: Sequence[dict], now: datetime | None = None) -> None:
    """Day rows for workers whose events are all in `rows` (none recorded before)."""
    taps: dict[int, list[Tap]] = defaultdict(list)
    for row in rows:
        taps[row["worker"]].append(
            Tap(
                row["id"],
                row["site"],
                row["kind"],
                row["occurred_at"],
                row["work_date"],
                frozenset(filter(None, row["flags"].split(","))),
            )
        )
    policies = await policies_for({row["site"] for row in rows})
    now = now or datetime.now(UTC)
    days = []
    for worker, worker_taps in taps.items():
        worker_taps.sort(key=lambda tap: (tap.occurred_at, tap.id))
        days += [
            day_row(day, policies[day.site]) for day in summarise(worker, worker_taps, policies, now).values()
        ]
    for start in range(0, len(days), BATCH):
        await insert_rows(AttendanceDay, days[start : start + BATCH])
