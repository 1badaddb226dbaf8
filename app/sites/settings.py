"""A site's settings: name, address, time zone, geofence and check-in policy.

Rules:
- Admins and managers create sites (a manager becomes the new site's first member);
  managers of a site and admins change, deactivate and reactivate it (executives
  see every site but change none).
- The geofence centre is stored in WGS-84. Coordinates copied from Amap/Tencent
  (GCJ-02) or Baidu (BD-09) maps are converted; phones report WGS-84 already.
- A radius is 1 to 5000 m; a working day 1 to 24 h; the longest shift a whole
  number of hours, not shorter than the working day; a kiosk code lives 10 to 600 s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

from app.accounts.services import MAX_NAME
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.db import write_transaction
from app.errors import Forbidden, ValidationFailed
from app.i18n import DEFAULT_TIMEZONE, N_
from app.sites.coordinates import Datum, to_wgs84
from app.sites.services import site_to_manage
from app.sites.tables import Site, SiteMembership

MAX_RADIUS_M = 5000
MAX_ADDRESS = 200
TIMEZONE_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                    "Europe/", "Indian/", "Pacific/")
DATUM_LABELS = {
    Datum.wgs84.value: N_("GPS / WGS-84 (phones, \"use my location\")"),
    Datum.gcj02.value: N_("Amap / Tencent maps (GCJ-02)"),
    Datum.bd09.value: N_("Baidu maps (BD-09)"),
}


@cache
def timezones() -> list[str]:
    """Region/City zones only: the aliases (US/…, Etc/GMT+8, PRC) only confuse a list."""
    return sorted(zone for zone in available_timezones() if zone.startswith(TIMEZONE_REGIONS))


@dataclass(frozen=True)
class SiteInput:
    name: str
    address: str
    timezone: str
    latitude: float | None
    longitude: float | None
    radius_m: int
    location_required: bool
    standard_day_hours: Decimal
    longest_shift_hours: int
    kiosk_code_seconds: int

    def columns(self) -> dict:
        return {getattr(Site, key): value for key, value in self.__dict__.items()}


def _number(form: dict, field: str, errors: dict, message: str, low, high, kind=int):
    """A number in [low, high] from the form, or a message under `field`."""
    text = form.get(field, "").strip().replace(",", ".")
    try:
        value = kind(text)
        if kind is float and not math.isfinite(value):
            raise ValueError
        if not low <= value <= high:
            raise ValueError
    except (ValueError, ArithmeticError):
        errors[field] = (message, {"low": low, "high": high})
        return None
    return value


def parse_site(form: dict[str, str]) -> SiteInput:
    """A site's settings from its form; every problem at once.

    The geofence centre is optional, but a latitude needs its longitude. Coordinates
    copied from Amap/Tencent (GCJ-02) or Baidu (BD-09) are converted to WGS-84.
    """
    errors: dict[str, tuple[str, dict]] = {}
    name = (form.get("name") or "").strip()
    if not name:
        errors["name"] = (N_("Enter the name."), {})
    elif len(name) > MAX_NAME:
        errors["name"] = (N_("At most %(count)s characters."), {"count": MAX_NAME})
    address = (form.get("address") or "").strip()
    if len(address) > MAX_ADDRESS:
        errors["address"] = (N_("At most %(count)s characters."), {"count": MAX_ADDRESS})
    timezone = form.get("timezone") or DEFAULT_TIMEZONE
    if timezone not in timezones():
        errors["timezone"] = (N_("Choose a time zone from the list."), {})
    latitude = longitude = None
    lat_text, lon_text = form.get("latitude", "").strip(), form.get("longitude", "").strip()
    if lat_text or lon_text:
        latitude = _number(form, "latitude", errors, N_(
            "A latitude is a number from %(low)s to %(high)s, like 31.2304."), -90, 90, float)
        longitude = _number(form, "longitude", errors, N_(
            "A longitude is a number from %(low)s to %(high)s, like 121.4737."), -180, 180, float)
    datum = form.get("datum") or Datum.wgs84.value
    if datum not in DATUM_LABELS:
        errors["datum"] = (N_("Choose where the coordinates come from."), {})
    radius = _number(form, "radius_m", errors, N_(
        "The radius is a whole number of metres from %(low)s to %(high)s."), 1, MAX_RADIUS_M)
    day_hours = _number(form, "standard_day_hours", errors, N_(
        "A working day is %(low)s to %(high)s hours."), 1, 24, Decimal)
    longest = _number(form, "longest_shift_hours", errors, N_(
        "The longest shift is a whole number of hours from %(low)s to %(high)s."), 1, 24)
    kiosk = _number(form, "kiosk_code_seconds", errors, N_(
        "A kiosk code is valid for %(low)s to %(high)s seconds."), 10, 600)
    if day_hours is not None and longest is not None and longest < day_hours:
        errors["longest_shift_hours"] = (N_("The longest shift cannot be shorter than a working day."), {})
    if errors:
        raise ValidationFailed(errors)
    if latitude is not None and longitude is not None:
        latitude, longitude = (round(v, 7) for v in to_wgs84(latitude, longitude, datum))
    return SiteInput(
        name=name, address=address, timezone=timezone, latitude=latitude, longitude=longitude,
        radius_m=radius, location_required=form.get("location_required") == "1",
        standard_day_hours=day_hours.quantize(Decimal("0.01")), longest_shift_hours=longest,
        kiosk_code_seconds=kiosk,
    )


def site_form(site: dict | None) -> dict[str, str]:
    """The form's fields for a stored site, or a new one's defaults."""
    if site is None:
        return {"timezone": DEFAULT_TIMEZONE, "radius_m": "300", "standard_day_hours": "8",
                "longest_shift_hours": "16", "kiosk_code_seconds": "30", "datum": "wgs84"}
    return {
        "name": site["name"], "address": site["address"], "timezone": site["timezone"],
        "latitude": "" if site["latitude"] is None else f"{site['latitude']:.6f}",
        "longitude": "" if site["longitude"] is None else f"{site['longitude']:.6f}",
        "datum": "wgs84", "radius_m": str(site["radius_m"]),
        "location_required": "1" if site["location_required"] else "",
        "standard_day_hours": f"{Decimal(site['standard_day_hours']).normalize():f}",
        "longest_shift_hours": str(site["longest_shift_hours"]),
        "kiosk_code_seconds": str(site["kiosk_code_seconds"]),
    }


async def create_site(by: User, data: SiteInput, *, device: str) -> int:
    if by.role not in (Role.admin.value, Role.manager.value):
        raise Forbidden()
    async with write_transaction():
        site = Site(**data.__dict__)
        await site.save()
        if by.role == Role.manager.value:
            await SiteMembership.insert(SiteMembership(site=site.id, member=by.id))
        await audit.record("site.create", actor=by, device=device, record_type="site",
                           record_id=site.id, site_id=site.id)
    return site.id


# Whoever keeps copies of a site's settings (the check-in's poster reads) drops them
# here once a change is committed.
SITE_CHANGED: list[Callable[[int], None]] = []


def _changed(site_id: int) -> None:
    for forget in SITE_CHANGED:
        forget(site_id)


async def update_site(by: User, site_id: int, data: SiteInput, *, device: str) -> None:
    await site_to_manage(by, site_id)
    async with write_transaction():
        await Site.update(data.columns()).where(Site.id == site_id)
        await audit.record("site.update", actor=by, device=device, record_type="site",
                           record_id=site_id, site_id=site_id)
    _changed(site_id)


async def set_site_active(by: User, site_id: int, *, active: bool, device: str) -> None:
    """An inactive site leaves the lists; its records stay, and it can come back."""
    await site_to_manage(by, site_id)
    async with write_transaction():
        await Site.update({Site.is_active: active}).where(Site.id == site_id)
        await audit.record("site.reactivate" if active else "site.deactivate", actor=by,
                           device=device, record_type="site", record_id=site_id, site_id=site_id)
    _changed(site_id)
