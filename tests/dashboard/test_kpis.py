"""Every KPI on hand-built data (tests/dashboard/data.py), against numbers worked out by hand.

At 甲 the week's workers are w1, w2 (registered on Friday), w5 (left on Monday), w6 and the
visitor v1 — not w3 (registered later) or w4 (left before): 5. Checked in: w1, w2, v1.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.dashboard import kpis, ranking
from app.dashboard.periods import week_of
from tests.dashboard import data

WEEK = week_of(data.MONDAY)


def _sites(world: data.World) -> list[dict]:
    return [
        {"id": world.a.id, "name": "甲工地", "timezone": "Asia/Shanghai"},
        {"id": world.b.id, "name": "乙工地", "timezone": "Asia/Urumqi"},
    ]


@pytest.fixture
async def world(db) -> data.World:
    return await data.build()


async def test_adoption_activity_and_data_quality(world):
    figures = await kpis.figures(_sites(world), WEEK)
    a, b, company = figures[world.a.id], figures[world.b.id], figures[kpis.COMPANY]
    assert (a.workers, a.adopters, a.adoption) == (5, 3, 0.6)
    # Working days Mon, Tue, Wed, Fri (Thursday's check-out without a check-in is not one);
    # worker-days w1 ×3, w2, v1 = 5 of 4 × 5.
    assert (a.working_days, a.worker_days, a.activity) == (4, 5, 0.25)
    # Six attendance days in the week: Wednesday's flag, Thursday's anomaly, Friday's correction.
    assert (a.attendance_days, a.clean_days, a.attendance_quality) == (6, 3, 0.5)
    assert (a.photos, a.located_photos) == (3, 2)
    # 乙: v1 and b2; v1 checked in there on Monday (and counts at 甲 too, where he visited).
    assert (b.workers, b.adopters, b.working_days, b.worker_days, b.activity) == (2, 1, 1, 1, 0.5)
    assert (company.workers, company.adopters, company.worker_days, company.capacity) == (7, 4, 6, 22)
    assert company.activity == pytest.approx(6 / 22)
    assert company.attendance_quality == pytest.approx(4 / 7)


async def test_responsiveness_in_each_sites_time_zone(world):
    figures = await kpis.figures(_sites(world), WEEK)
    a, b, company = figures[world.a.id], figures[world.b.id], figures[kpis.COMPANY]
    # 甲: f1 (00:30 Monday local), f3 (anonymous, 23:59 Sunday), f4, f5, f6, f7; not f2 (23:30 the
    # Sunday before) nor the system suggestion.
    assert a.received == 6
    assert (a.counted, a.resolved, a.resolution) == (4, 1, 0.25)  # rejected and duplicate left out
    # Answered f1, f3 (late), f6, f7 and f4 past its deadline unanswered; f5 is not due yet.
    assert (a.due, a.answered_in_time, a.within_sla) == (5, 3, 0.6)
    assert a.median_response_s == pytest.approx(3 * 3600)  # 1 h, 2 h, 4 h, 30 h
    assert a.overdue == 2  # f2 and f4, whatever the period
    # 乙: 23:00 Sunday in Urumqi is 01:00 Monday in Shanghai, and still in 乙's week.
    assert (b.received, b.resolved, b.answered_in_time, b.median_response_s) == (1, 1, 1, 3600)
    assert company.received == 7 and company.within_sla == pytest.approx(4 / 6)
    assert company.median_response_s == pytest.approx(2 * 3600)  # 1 h, 1 h, 2 h, 4 h, 30 h


async def test_improvements_delivered_and_confirmed(world):
    figures = await kpis.figures(_sites(world), WEEK)
    assert (figures[world.a.id].delivered, figures[world.a.id].confirmed) == (2, 1)
    assert figures[kpis.COMPANY].delivered == 2


async def test_a_site_without_data_has_zeros_not_errors(world):
    empty = week_of(date(2026, 3, 2))
    figures = await kpis.figures(_sites(world), empty)
    a = figures[world.a.id]
    assert (a.received, a.adopters, a.worker_days, a.delivered) == (0, 0, 0, 0)
    assert a.activity is None and a.median_response_s is None and a.within_sla is None
    assert ranking.score(a) == pytest.approx(0.0)  # adoption 0 %: the only measure with data


async def test_the_ranking_and_its_change(world):
    places = await ranking.ranking(_sites(world), WEEK)
    # 甲: 40 × 0.6 + 30 × 0.25 + 10 × 0.5 + 20 × 0.6 = 48.5; 乙: 20 + 15 + 10 + 20 = 65.
    assert [(place.site["name"], place.rank, place.score) for place in places] == [
        ("乙工地", 1, 65.0),
        ("甲工地", 2, 48.5),
    ]
    # The week before, 甲 led: w1, w4 (left that Sunday), w5 and w6; w1 checked in on Sunday;
    # f2 went unanswered: 40 × 0.25 + 30 × 0.25 + 10 × 1 + 20 × 0 = 27.5. 乙 had no check-in.
    assert [(place.previous_score, place.previous_rank, place.moved) for place in places] == [
        (0.0, 2, 1),
        (27.5, 1, -1),
    ]
