"""Periods (weeks from Monday, months, ranges) and the trend charts' geometry."""

from __future__ import annotations

from datetime import date

from app.dashboard.periods import Period, choose, month_of, week_of
from app.dashboard.trends import chart

TODAY = date(2026, 11, 29)  # a Sunday


def test_weeks_start_on_monday_and_months_roll_over_the_year():
    assert week_of(TODAY) == Period("week", date(2026, 11, 23), date(2026, 11, 29))
    assert week_of(TODAY).previous() == Period("week", date(2026, 11, 16), date(2026, 11, 22))
    assert month_of(date(2026, 1, 15)).previous() == Period("month", date(2025, 12, 1), date(2025, 12, 31))
    assert month_of(date(2026, 12, 31)).next() == Period("month", date(2027, 1, 1), date(2027, 1, 31))
    assert month_of(date(2028, 2, 10)).end == date(2028, 2, 29)
    ten_days = Period("custom", date(2026, 11, 1), date(2026, 11, 10))
    assert ten_days.previous() == Period("custom", date(2026, 10, 22), date(2026, 10, 31))


def test_choosing_a_period_from_the_address():
    assert choose({}, TODAY).period == week_of(TODAY)
    assert choose({"period": "month", "date": "2026-10-09"}, TODAY).period == month_of(date(2026, 10, 1))
    custom = choose({"period": "custom", "from": "2026-11-01", "to": "2026-11-10"}, TODAY)
    assert custom.period == Period("custom", date(2026, 11, 1), date(2026, 11, 10)) and not custom.errors
    # The current week and month are fine though they end after today; one not begun is not.
    assert not choose({"period": "month", "date": "2026-11-30"}, TODAY).errors
    assert "date" in choose({"period": "month", "date": "2026-12-01"}, TODAY).errors
    assert "period" in choose({"period": "year"}, TODAY).errors
    assert "to" in choose({"period": "custom", "from": "2026-11-10", "to": "2026-11-01"}, TODAY).errors
    assert "from" in choose({"period": "custom", "to": "2026-11-01"}, TODAY).errors
    long = choose({"period": "custom", "from": "2024-01-01", "to": "2026-11-28"}, TODAY)
    assert long.period == Period("custom", date(2025, 11, 28), date(2026, 11, 28)) and long.notice


def test_trend_weeks_end_with_the_period_or_today():
    weeks = week_of(date(2026, 11, 18)).trend_weeks(TODAY)
    assert len(weeks) == 8 and weeks[-1] == week_of(date(2026, 11, 18))
    assert weeks[0] == Period("week", date(2026, 9, 28), date(2026, 10, 4))
    assert month_of(TODAY).trend_weeks(TODAY)[-1] == week_of(TODAY)


def test_a_chart_leaves_a_gap_where_a_week_has_no_value():
    weeks = week_of(TODAY).trend_weeks(TODAY)[:4]
    drawn = chart("activity", "Daily activity", "share", weeks, [0.5, None, 1.0, 0.0])
    assert [point.y for point in drawn.points] == [45.0, None, 12.0, 78.0]  # 0 at the axis, 100 % at the top
    assert drawn.path == "M12.0,45.0 M196.0,12.0 L288.0,78.0"  # a lone week is its dot alone
    counts = chart("received", "Reports received", "count", weeks, [2, 4, 0, 1])
    assert counts.top == 4 and counts.points[1].y == 12.0
