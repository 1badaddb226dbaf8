"""The attendance ledger: append-only, one HMAC hash chain per site.

Each event's hash covers the previous event's hash and the event's canonical content,
keyed with LEDGER_KEY (kept outside the database), so a row edited, removed or
slipped in behind the app's back breaks the chain at that point. The head of each
site-local day is recorded for statements.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.engine.sqlite import SQLiteEngine

from app.checkin.tables import AttendanceEvent, LedgerDayHead
from app.config import get_settings
from app.db import current_engine, fetch, insert_rows

GENESIS = "0" * 64
# The content a hash covers, in this order. Adding a field means a new chain version.
CHAINED = (
    "site", "seq", "worker", "kind", "method", "server_time", "client_time", "occurred_at",
    "work_date", "latitude", "longitude", "accuracy_m", "flags", "idempotency_key", "device",
    "corrects", "recorded_by", "reason",
)
BATCH = 2000


_PLAIN = (str, int, type(None))
# One encoder for every event: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_CORRECTS = CHAINED.index("corrects")


def _canonical_value(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def canonical(event: Mapping[str, Any], corrects_seq: int | None = None) -> bytes:
    """`corrects` is chained as the corrected event's place in the chain, not its row id,
    so swapping ids behind the app's back cannot point a correction at another event."""
    values = [_canonical_value(event[name]) for name in CHAINED]
    values[_CORRECTS] = corrects_seq
    return _ENCODE(values).encode()


def link_hash(
    prev_hash: str, event: Mapping[str, Any], key: str | None = None, corrects_seq: int | None = None
) -> str:
    key = key if key is not None else get_settings().ledger_key
    message = prev_hash.encode() + b"\n" + canonical(event, corrects_seq)
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


async def _lock_chain(site_id: int) -> None:
    """PostgreSQL: one appender per site at a time. SQLite's write lock already is one.

    NO KEY UPDATE, not UPDATE: rows written earlier in the transaction that point at the
    site (day summaries) hold a KEY SHARE lock on it through their foreign key, which
    FOR UPDATE would wait on in every other appender, each waiting for the next.
    """
    if not isinstance(current_engine(), SQLiteEngine):
        await fetch("SELECT id FROM site WHERE id = {} FOR NO KEY UPDATE", site_id)


async def chain_head(site_id: int) -> tuple[int, str]:
    last = await fetch(
        "SELECT seq, hash FROM attendance_event WHERE site = {} ORDER BY seq DESC LIMIT 1", site_id
    )
    return (last[0]["seq"], last[0]["hash"]) if last else (0, GENESIS)


async def append(event: dict[str, Any], timezone: str) -> dict[str, Any]:
    """Add one event at the end of its site's chain. Call inside a write transaction.

    `event` holds every CHAINED field but seq; the stored row (with id) is returned.
    """
    site_id = event["site"]
    await _lock_chain(site_id)
    seq, prev_hash = await chain_head(site_id)
    row = {**event, "seq": seq + 1, "prev_hash": prev_hash}
    corrects_seq = None
    if event.get("corrects"):
        corrected = await AttendanceEvent.select(AttendanceEvent.seq).where(
            (AttendanceEvent.id == event["corrects"]) & (AttendanceEvent.site == site_id)
        ).first()
        if corrected is None:
            raise ValueError("a correction must point at an event of the same site")
        corrects_seq = corrected["seq"]
    row["hash"] = link_hash(prev_hash, row, corrects_seq=corrects_seq)
    row["id"] = (await insert_rows(AttendanceEvent, [row]))[0]
    day = row["server_time"].astimezone(ZoneInfo(timezone)).date()
    await fetch(
        "INSERT INTO ledger_day_head (site, day, seq, hash) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (site, day) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        site_id, day, row["seq"], row["hash"],
    )
    return row


# --- verification -------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    site_id: int
    seq: int
    event_id: int | None
    problem: str

    def __str__(self) -> str:
        event = f" (event id {self.event_id})" if self.event_id else ""
        return f"site {self.site_id}: link {self.seq}{event}: {self.problem}"


async def _events_of(site_id: int) -> AsyncIterator[dict[str, Any]]:
    after = 0
    while True:
        batch = (
            await AttendanceEvent.select()
            .where((AttendanceEvent.site == site_id) & (AttendanceEvent.seq > after))
            .order_by(AttendanceEvent.seq)
            .limit(BATCH)
        )
        for row in batch:
            yield row
        if len(batch) < BATCH:
            return
        after = batch[-1]["seq"]


async def verify_site(site_id: int) -> BrokenLink | None:
    """The first broken link of a site's chain, or None when it holds."""
    expected_seq, prev_hash = 1, GENESIS
    hashes: dict[int, str] = {}
    seq_of_id: dict[int, int] = {}
    async for row in _events_of(site_id):
        if row["seq"] != expected_seq:
            return BrokenLink(site_id, expected_seq, None, "missing: the event was removed")
        if row["prev_hash"] != prev_hash:
            return BrokenLink(site_id, row["seq"], row["id"], "does not follow the previous link")
        # A correction points backwards; an id not seen yet is not the event it was made for.
        corrects_seq = seq_of_id.get(row["corrects"], -1) if row["corrects"] else None
        if not hmac.compare_digest(row["hash"], link_hash(prev_hash, row, corrects_seq=corrects_seq)):
            return BrokenLink(site_id, row["seq"], row["id"], "content changed: the hash does not match")
        hashes[row["seq"]] = prev_hash = row["hash"]
        seq_of_id[row["id"]] = row["seq"]
        expected_seq += 1
    heads = await LedgerDayHead.select().where(LedgerDayHead.site == site_id).order_by(LedgerDayHead.day)
    for head in heads:
        if hashes.get(head["seq"]) != head["hash"]:
            return BrokenLink(
                site_id, head["seq"], None,
                f"the head recorded for {head['day']} is missing or differs: events were removed",
            )
    # Every append records its link as its day's head, so the chain's end is always one.
    last = expected_seq - 1
    if last and all(head["seq"] != last for head in heads):
        return BrokenLink(site_id, last, None, "the last link is no day's recorded head: a head was removed")
    return None


async def site_ids_with_events() -> list[int]:
    rows = await LedgerDayHead.raw("SELECT DISTINCT site FROM ledger_day_head ORDER BY site")
    more = await AttendanceEvent.raw("SELECT DISTINCT site FROM attendance_event ORDER BY site")
    return sorted({row["site"] for row in [*rows, *more]})


async def verify(site_id: int | None = None) -> list[BrokenLink]:
    sites = [site_id] if site_id is not None else await site_ids_with_events()
    broken = [await verify_site(site) for site in sites]
    return [link for link in broken if link]


async def day_head(site_id: int, day: date) -> dict | None:
    """The chain head at the end of `day`, to print on a statement."""
    return (
        await LedgerDayHead.select(LedgerDayHead.seq, LedgerDayHead.hash)
        .where((LedgerDayHead.site == site_id) & (LedgerDayHead.day <= day))
        .order_by(LedgerDayHead.day, ascending=False)
        .first()
    )
