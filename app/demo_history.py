"""The demo's past eight weeks, so the leadership view has something to show.

The workers the browser tests use (the first 24 demo workers) get no history, so their
"today" and their month stay as the tests expect: on the first site only its last six
workers have a history (poor adoption), on the second site everyone (good adoption).
Reports of the past weeks go to the second site, answered faster in recent weeks.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.checkin.history import append_many, summarise_days
from app.db import insert_rows, write_transaction
from app.feedback import sla
from app.feedback.tables import FeedbackItem, Kind, Severity, Status
from app.sites.tables import Site
from app.workforce.tables import Crew, Worker

WEEKS = 8
UNTOUCHED = 24  # demo workers 1..24 are the browser tests'
ATTENDS = {0: 0.9, 1: 0.85}  # a working day's chance that a worker with a history checks in
REPORTS = (
    ("safety", "high", "三层临边防护栏杆松动"),
    ("quality", "medium", "砌体灰缝不饱满"),
    ("materials", "low", "钢管扣件堆放杂乱"),
    ("welfare", "medium", "食堂饭菜偏咸"),
    ("schedule", "high", "塔吊检修影响吊装计划"),
    ("safety", "critical", "配电箱门锁损坏"),
)


async def load_history(site_ids: list[int], today: date | None = None) -> None:
    chance = random.Random(20261129)
    sites = await Site.select(Site.id, Site.timezone).where(Site.id.is_in(site_ids)).order_by(Site.id)
    today = today or date.today()
    first_day = today - timedelta(days=7 * WEEKS)
    async with write_transaction():
        for index, site in enumerate(sites):
            workers = await (
                Worker.select(Worker.id, Worker.registered_on)
                .where(Worker.crew.is_in(Crew.select(Crew.id).where(Crew.site == site["id"])))
                .order_by(Worker.id)
            )
            with_history = workers[UNTOUCHED:] if index == 0 else workers
            events = _attendance(chance, site, with_history, first_day, today, ATTENDS.get(index, 0.8))
            rows = await append_many(site["id"], site["timezone"], events)
            await summarise_days(rows)
        if len(sites) > 1:
            await insert_rows(FeedbackItem, _reports(chance, sites[1], first_day, today))


def _attendance(chance, site, workers, first_day: date, today: date, attends: float) -> list[dict]:
    zone = ZoneInfo(site["timezone"])
    events = []
    day = first_day
    while day < today:
        if day.weekday() < 6:  # sites work Monday to Saturday
            for worker in workers:
                if day < worker["registered_on"] or chance.random() > attends:
                    continue
                start = datetime.combine(day, time(7, chance.randint(0, 40)), zone).astimezone(UTC)
                end = datetime.combine(day, time(17, chance.randint(0, 59)), zone).astimezone(UTC)
                flags = "outside" if chance.random() < 0.04 else ""
                for kind, moment in (("in", start), ("out", end)):
                    events.append(_event(site["id"], worker["id"], kind, moment, day, flags))
        day += timedelta(days=1)
    return sorted(events, key=lambda event: event["occurred_at"])


def _event(site_id: int, worker_id: int, kind: str, moment: datetime, day: date, flags: str) -> dict:
    return {
        "site": site_id,
        "worker": worker_id,
        "kind": kind,
        "method": "poster",
        "server_time": moment,
        "client_time": moment,
        "occurred_at": moment,
        "work_date": day,
        "latitude": None,
        "longitude": None,
        "accuracy_m": None,
        "flags": flags if kind == "in" else "",
        "idempotency_key": f"demo-{worker_id}-{day}-{kind}",
        "device": None,
        "corrects": None,
        "recorded_by": None,
        "reason": "",
    }


def _reports(chance, site, first_day: date, today: date) -> list[dict]:
    rows = []
    for number in range(WEEKS * 5):
        kind, severity, text = REPORTS[number % len(REPORTS)]
        created = datetime.combine(
            first_day + timedelta(days=number * 7 * WEEKS // (WEEKS * 5)), time(9 + number % 8), UTC
        )
        respond_hours, fix_hours = sla.DEFAULTS[Severity(severity)]
        # Answers get faster week by week, as a site learns to use the queue.
        answer = timedelta(hours=chance.uniform(0.5, 2) * (WEEKS * 5 - number) / 4 + 0.5)
        status = Status.closed if number < WEEKS * 4 else Status.accepted
        rows.append(
            {
                "site": site["id"],
                "kind": Kind(kind).value,
                "severity": severity,
                "severity_rank": sla.RANK[Severity(severity)],
                "description": text,
                "status": status.value,
                "is_open": False,
                "created_at": created,
                "updated_at": created + answer,
                "respond_by": created + timedelta(hours=respond_hours),
                "fix_by": created + timedelta(hours=fix_hours),
                "deadline": created + timedelta(hours=fix_hours),
                "first_response_at": created + answer,
                "closed_at": created + 2 * answer if status is Status.closed else None,
            }
        )
    return rows
