"""Map datums to WGS-84, checked against published reference values."""

from __future__ import annotations

import pytest

from app.sites import coordinates as c

# The `coordtransform` libraries' reference example (wandergis/coordtransform, test/app.js),
# given there as (lon, lat) for the input (116.404, 39.915) near Tiananmen, Beijing.
POINT = (39.915, 116.404)


def test_wgs84_to_gcj02_matches_the_published_values():
    lat, lon = c.wgs84_to_gcj02(*POINT)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)


def test_bd09_and_gcj02_match_the_published_values():
    assert c.bd09_to_gcj02(*POINT) == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-9)
    assert c.gcj02_to_bd09(*POINT) == pytest.approx((39.92133699351021, 116.41036949371029), abs=1e-9)


def test_gcj02_to_wgs84_is_within_a_metre_of_the_published_approximation():
    lat, lon = c.gcj02_to_wgs84(*POINT)
    assert c.distance_m(lat, lon, 39.91359571849836, 116.39775550083061) < 1.0
    # ... and the exact inverse: shifting it again lands on the input, to the centimetre.
    assert c.distance_m(*c.wgs84_to_gcj02(lat, lon), *POINT) < 0.01


def test_beijing_railway_station_from_baidu_to_amap():
    # Published pair for Beijing railway station: BD-09 (39.90851, 116.43351), GCJ-02 (39.90245, 116.42703).
    lat, lon = c.bd09_to_gcj02(39.90851, 116.43351)
    assert c.distance_m(lat, lon, 39.90245, 116.42703) < 5


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_a_shanghai_point_round_trips_through_each_datum(datum):
    # The Oriental Pearl Tower, Shanghai, in WGS-84.
    wgs = (31.239703, 121.499763)
    shifted = c.wgs84_to_gcj02(*wgs)
    if datum == "bd09":
        shifted = c.gcj02_to_bd09(*shifted)
    # Map coordinates really are hundreds of metres off ...
    assert c.distance_m(*shifted, *wgs) > 300
    # ... and come back to well within a metre (BD-09's published pair is not an exact inverse).
    assert c.distance_m(*c.to_wgs84(*shifted, datum), *wgs) < 0.5


def test_wgs84_is_kept_and_points_outside_china_are_not_shifted():
    assert c.to_wgs84(31.2, 121.4, "wgs84") == (31.2, 121.4)
    assert c.to_wgs84(51.5007, -0.1246, "gcj02") == (51.5007, -0.1246)
    with pytest.raises(ValueError):
        c.to_wgs84(31.2, 121.4, "utm")
