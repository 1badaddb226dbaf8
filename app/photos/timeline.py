"""Reading photos back: a site's timeline (newest first), an area over time (oldest first),
and the neighbours of one photo in the viewer.

Pages are keyset pages on (taken_at, id): page 50 costs what page 1 does. Every filter
runs on an index (see the photo migration): dates become a taken_at range in the
site's time zone, and a tag is looked up in photo_tag, which carries taken_at for that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.errors import ValidationFailed
from app.i18n import N_
from app.photos.services import parse_tags
from app.photos.tables import Photo, PhotoTag
from app.sites.tables import Area

PAGE = 24
MAX_ID = 2**31 - 1
EARLIEST, LATEST = date(1990, 1, 1), date(2200, 12, 31)
CARD_COLUMNS = (
    Photo.id, Photo.caption, Photo.tags, Photo.taken_at, Photo.taken_date, Photo.area,
    Photo.uploaded_by, Photo.width, Photo.height, Photo.latitude, Photo.longitude,
    Photo.area.name.as_alias("area_name"), Photo.uploaded_by.name.as_alias("uploader_name"),
)


@dataclass(frozen=True)
class Filters:
    area: int | None = None
    tag: str = ""
    uploader: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    after: tuple[datetime, int] | None = None  # the keyset: the last photo of the page before

    def query(self, **changes: object) -> dict[str, str]:
        """As query parameters (for links that keep the filters)."""
        chosen = replace(self, **changes) if changes else self
        pairs = {
            "area": chosen.area, "tag": chosen.tag, "uploader": chosen.uploader,
            "from": chosen.date_from.isoformat() if chosen.date_from else None,
            "to": chosen.date_to.isoformat() if chosen.date_to else None,
            "after": f"{chosen.after[0].isoformat()}~{chosen.after[1]}" if chosen.after else None,
        }
        return {key: str(value) for key, value in pairs.items() if value not in (None, "")}

    @property
    def any(self) -> bool:
        return bool(self.area or self.tag or self.uploader or self.date_from or self.date_to)


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


def parse_filters(params: Mapping[str, str], today: date) -> Filters:
    errors: dict[str, tuple[str, dict]] = {}
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = (params.get(name) or "").strip()
        days[name] = None
        if text:
            try:
                days[name] = date.fromisoformat(text)
            except ValueError:
                days[name] = None
            # Calendar ends would overflow the day arithmetic; no photo is from then.
            if days[name] is None or not EARLIEST <= days[name] <= LATEST:
                days[name] = None
                errors[name] = (N_("Enter a date like 2026-03-31."), {})
    if days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = (N_("The end date is before the start date."), {})
    if days["from"] and days["from"] > today:
        errors["from"] = (N_("The start date is in the future."), {})
    tags = parse_tags(params.get("tag") or "")
    after = None
    if text := (params.get("after") or "").strip():
        moment, _, photo_id = text.rpartition("~")
        try:
            after = (datetime.fromisoformat(moment).astimezone(UTC), int(photo_id))
            if not 0 < after[1] <= MAX_ID or not EARLIEST.year <= after[0].year <= LATEST.year:
                raise ValueError(text)
        except (ValueError, OverflowError):
            after = None
            errors["after"] = (N_("This page link is broken. Start again from the top."), {})
    if errors:
        raise ValidationFailed(errors)
    return Filters(
        area=_id(params.get("area") or ""), tag=tags[0] if tags else "",
        uploader=_id(params.get("uploader") or ""), date_from=days["from"], date_to=days["to"], after=after,
    )


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def _where(site: Mapping, filters: Filters, *, column=Photo.taken_at):
    where = (Photo.site == site["id"]) & Photo.deleted_at.is_null()
    if filters.area:
        where &= Photo.area == filters.area
    if filters.uploader:
        where &= Photo.uploaded_by == filters.uploader
    if filters.date_from:
        where &= column >= _day_start(filters.date_from, site["timezone"])
    if filters.date_to:
        where &= column < _day_start(filters.date_to + timedelta(days=1), site["timezone"])
    return where


def _tagged(site: Mapping, filters: Filters, *, newest_first: bool, limit: int):
    """The ids of the next photos with the tag, in order, from photo_tag's own index."""
    where = (PhotoTag.site == site["id"]) & (PhotoTag.tag == filters.tag)
    if filters.date_from:
        where &= PhotoTag.taken_at >= _day_start(filters.date_from, site["timezone"])
    if filters.date_to:
        where &= PhotoTag.taken_at < _day_start(filters.date_to + timedelta(days=1), site["timezone"])
    if filters.after:
        where &= _beyond(PhotoTag.taken_at, PhotoTag.photo, filters.after, newest_first)
    if filters.area:
        where &= PhotoTag.photo.area == filters.area
    if filters.uploader:
        where &= PhotoTag.photo.uploaded_by == filters.uploader
    return (
        PhotoTag.select(PhotoTag.photo).where(where)
        .order_by(PhotoTag.taken_at, PhotoTag.photo, ascending=not newest_first).limit(limit)
    )


def _beyond(moment_column, id_column, after: tuple[datetime, int], newest_first: bool):
    """Past the keyset. The plain bound on the time comes first: an index can range over
    it, where the OR alone would make both engines filter from the first row."""
    moment, photo_id = after
    if newest_first:
        return (moment_column <= moment) & (
            (moment_column < moment) | ((moment_column == moment) & (id_column < photo_id))
        )
    return (moment_column >= moment) & (
        (moment_column > moment) | ((moment_column == moment) & (id_column > photo_id))
    )


async def page(
    site: Mapping, filters: Filters, *, newest_first: bool = True, size: int = PAGE
) -> tuple[list[dict], Filters | None]:
    """One page of photos and the filters for the next page (None at the end)."""
    where = _where(site, filters)
    if filters.tag:
        where &= Photo.id.is_in(_tagged(site, filters, newest_first=newest_first, limit=size + 1))
    if filters.after:
        where &= _beyond(Photo.taken_at, Photo.id, filters.after, newest_first)
    rows = await (
        Photo.select(*CARD_COLUMNS).where(where)
        .order_by(Photo.taken_at, Photo.id, ascending=not newest_first).limit(size + 1)
    )
    more = len(rows) > size
    rows = rows[:size]
    following = replace(filters, after=(rows[-1]["taken_at"], rows[-1]["id"])) if more else None
    return rows, following


def by_day(rows: list[dict]) -> list[tuple[date, list[dict]]]:
    groups: list[tuple[date, list[dict]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row["taken_date"]:
            groups.append((row["taken_date"], []))
        groups[-1][1].append(row)
    return groups


async def neighbours(site: Mapping, photo: Mapping, filters: Filters) -> tuple[int | None, int | None]:
    """The photos shown before (newer) and after (older) this one on the timeline."""
    here = replace(filters, after=(photo["taken_at"], photo["id"]))
    newer, _ = await page(site, here, newest_first=False, size=1)
    older, _ = await page(site, here, newest_first=True, size=1)
    return (newer[0]["id"] if newer else None), (older[0]["id"] if older else None)


async def areas_of(site_id: int) -> list[dict]:
    return await Area.select(Area.id, Area.name).where(
        (Area.site == site_id) & (Area.is_active == True)  # noqa: E712
    ).order_by(Area.position)


# Distinct values by stepping through an index from one value to the next (a skip scan):
# reading every photo of a large site for a drop-down costs more than the page itself.
_TAGS = (
    "WITH RECURSIVE t(tag) AS ("
    " SELECT MIN(tag) FROM photo_tag WHERE site = {}"
    " UNION ALL SELECT (SELECT MIN(tag) FROM photo_tag WHERE site = {} AND tag > t.tag)"
    " FROM t WHERE t.tag IS NOT NULL)"
    " SELECT tag FROM t WHERE tag IS NOT NULL LIMIT 100"
)
_UPLOADERS = (
    "WITH RECURSIVE u(person) AS ("
    " SELECT MIN(uploaded_by) FROM photo WHERE site = {}"
    " UNION ALL SELECT (SELECT MIN(uploaded_by) FROM photo WHERE site = {} AND uploaded_by > u.person)"
    " FROM u WHERE u.person IS NOT NULL)"
    " SELECT a.id, a.name FROM u JOIN app_user a ON a.id = u.person"
    " WHERE EXISTS (SELECT 1 FROM photo p"
    " WHERE p.site = {} AND p.uploaded_by = u.person AND p.deleted_at IS NULL)"
    " ORDER BY a.name LIMIT 200"
)


async def uploaders_of(site_id: int) -> list[dict]:
    """People with photos here, for the filter."""
    return await Photo.raw(_UPLOADERS, site_id, site_id, site_id)


async def tags_of(site_id: int) -> list[str]:
    return [row["tag"] for row in await PhotoTag.raw(_TAGS, site_id, site_id)]
