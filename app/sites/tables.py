"""Sites, areas and site membership."""

from decimal import Decimal

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Numeric,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User


class Site(Table):
    name = Varchar(length=100)
    address = Varchar(length=200, default="")
    timezone = Varchar(length=64, default="Asia/Shanghai")
    # Geofence centre in WGS-84, as browsers report positions.
    latitude = DoublePrecision(null=True)
    longitude = DoublePrecision(null=True)
    radius_m = Integer(default=300)
    location_required = Boolean(default=False)
    standard_day_hours = Numeric(digits=(4, 2), default=Decimal("8"))
    longest_shift_hours = Integer(default=16)
    kiosk_code_seconds = Integer(default=30)
    is_active = Boolean(default=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Area(Table):
    """A named place inside a site: a building, a floor, a zone."""

    site = ForeignKey(Site, index=True)
    name = Varchar(length=100)
    position = Integer(default=0)
    is_active = Boolean(default=True)


class SiteMembership(Table):
    """Staff who belong to a site (supervisors, managers, foremen)."""

    site = ForeignKey(Site, index=True)
    member = ForeignKey(User, index=True)
