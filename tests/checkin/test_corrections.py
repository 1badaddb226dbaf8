"""Corrections: supervisors only, with a reason; the ledger grows, nothing is edited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.audit.tables import AuditEntry
from app.checkin import corrections, ledger
from app.checkin.days import refresh_days
from app.checkin.tables import AttendanceDay, AttendanceEvent
from app.db import insert_rows
from app.errors import Forbidden, NotFound, ValidationFailed
from tests import factories
from tests.checkin.helpers import poster_token, tap, worker_with_phone

START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=10)


async def worked_day(client):
    """A worker who checked in 10 h ago and out 9 h later, through the poster."""
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,))
    token = await poster_token(site)
    worker, _ = await worker_with_phone(client, site, token)
    near = {"latitude": "31.23", "longitude": "121.47"}
    await tap(client, token, "in", client_time=START.isoformat(), **near)
    await tap(client, token, "out", client_time=(START + timedelta(hours=9)).isoformat(), **near)
    events = await AttendanceEvent.select().order_by(AttendanceEvent.seq)
    return supervisor, site, worker, events


async def test_a_supervisor_corrects_a_check_out_time(client, db):
    supervisor, site, worker, (_, out) = await worked_day(client)
    assert (await AttendanceDay.select().first())["hours"] == Decimal("9.00")
    await corrections.correct_event(
        supervisor,
        out["id"],
        kind="out",
        occurred_at=START + timedelta(hours=8),
        reason="忘记打卡，班组长确认 17:00 离场",
    )
    day = await AttendanceDay.select().first()
    assert day["hours"] == Decimal("8.00") and day["corrected"] is True
    rows = await AttendanceEvent.select().order_by(AttendanceEvent.seq)
    assert len(rows) == 3 and rows[1] == out  # the original is untouched
    assert rows[2]["corrects"] == out["id"] and rows[2]["recorded_by"] == supervisor.id
    assert await ledger.verify() == []
    assert await AuditEntry.exists().where(AuditEntry.action == "attendance.correct")


async def test_voiding_a_check_in_leaves_a_check_out_without_one(client, db):
    supervisor, _, _, (check_in, _) = await worked_day(client)
    await corrections.correct_event(
        supervisor, check_in["id"], kind="void", occurred_at=None, reason="误打卡"
    )
    day = await AttendanceDay.select().first()
    assert day["hours"] == 0 and "no_open_shift" in day["anomalies"]


async def test_adding_a_forgotten_check_out(client, db):
    supervisor = await factories.user("supervisor")
    site = await factories.site(members=(supervisor,))
    token = await poster_token(site)
    worker, _ = await worker_with_phone(client, site, token)
    await tap(client, token, "in", client_time=START.isoformat(), latitude="31.23", longitude="121.47")
    await corrections.add_missing(
        supervisor,
        worker.id,
        site.id,
        kind="out",
        occurred_at=START + timedelta(hours=4),
        reason="忘记下班打卡",
    )
    day = await AttendanceDay.select().first()
    assert day["hours"] == Decimal("4.00") and day["man_days"] == Decimal("0.5")


async def test_foremen_and_other_sites_cannot_correct(client, db):
    _, _, _, (check_in, _) = await worked_day(client)
    with pytest.raises(Forbidden):
        await corrections.correct_event(
            await factories.user("foreman"), check_in["id"], kind="void", occurred_at=None, reason="x"
        )
    stranger = await factories.user("supervisor")
    await factories.site("别处", members=(stranger,))
    with pytest.raises(NotFound):
        await corrections.correct_event(stranger, check_in["id"], kind="void", occurred_at=None, reason="x")
    assert await AttendanceEvent.count() == 2


@pytest.mark.parametrize(
    ("kind", "when", "reason", "field"),
    [
        ("out", START, "", "reason"),
        ("out", None, "漏打", "occurred_at"),
        ("out", datetime.now(UTC) + timedelta(hours=2), "漏打", "occurred_at"),
        ("sideways", START, "漏打", "kind"),
    ],
)
async def test_a_correction_needs_a_kind_a_real_time_and_a_reason(client, db, kind, when, reason, field):
    supervisor, _, _, (_, out) = await worked_day(client)
    with pytest.raises(ValidationFailed) as problem:
        await corrections.correct_event(supervisor, out["id"], kind=kind, occurred_at=when, reason=reason)
    assert field in problem.value.errors
    assert await AttendanceEvent.count() == 2


async def test_an_event_is_corrected_once_then_its_correction_is(client, db):
    supervisor, _, _, (_, out) = await worked_day(client)
    first = await corrections.correct_event(
        supervisor, out["id"], kind="out", occurred_at=START + timedelta(hours=8), reason="一"
    )
    with pytest.raises(ValidationFailed):
        await corrections.correct_event(
            supervisor, out["id"], kind="out", occurred_at=START + timedelta(hours=7), reason="二"
        )
    await corrections.correct_event(
        supervisor, first["id"], kind="out", occurred_at=START + timedelta(hours=7), reason="二"
    )
    assert (await AttendanceDay.select().first())["hours"] == Decimal("7.00")


async def test_one_event_corrected_twice_at_once_gets_one_correction(client, db):
    """Two tabs (or two supervisors) send a correction of the same event together."""
    supervisor, _, _, (_, out) = await worked_day(client)
    results = await asyncio.gather(
        *(
            corrections.correct_event(
                supervisor, out["id"], kind="out", occurred_at=START + timedelta(hours=hours), reason="核对"
            )
            for hours in (8, 7)
        ),
        return_exceptions=True,
    )
    assert sorted(type(result).__name__ for result in results) == ["ValidationFailed", "dict"]
    assert await AttendanceEvent.count().where(AttendanceEvent.corrects == out["id"]) == 1
    assert await ledger.verify() == []


async def test_a_rewrite_removes_a_day_row_the_taps_no_longer_make_and_updates_the_rest(client, db):
    _, site, worker, (check_in, _) = await worked_day(client)
    other = await factories.site("二号工地")
    day = await AttendanceDay.select().first()
    stale = {**{key: value for key, value in day.items() if key != "id"}, "site": other.id}
    await insert_rows(AttendanceDay, [stale])  # left by taps at the other site since corrected away
    await refresh_days(worker.id, check_in["occurred_at"])
    rows = await AttendanceDay.select()
    assert [(row["id"], row["site"], row["hours"]) for row in rows] == [(day["id"], site.id, Decimal("9.00"))]
