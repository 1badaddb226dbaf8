"""Photos: adding them (checked, shrunk, stored once), attaching, deleting, cleaning up.

Other features attach photos through `store` and `attach`; the timeline and the
viewer read through `timeline.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.accounts.tables import User
from app.audit import services as audit
from app.db import insert_rows, write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.outbox.services import earlier, once
from app.photos import access, images
from app.photos.storage import SIZES, file_name, storage
from app.photos.tables import Photo, PhotoLink, PhotoTag
from app.sites.tables import Area

SCOPE = "photo"
MAX_CAPTION = 500
MAX_TAGS = 5
MAX_TAG = 20
# A photo's own clock may be off; one that claims a time this far ahead is not believed.
FUTURE_SLACK = timedelta(minutes=10)
# Files of photos deleted longer ago than this are removed by the cleanup.
KEEP_DELETED = timedelta(days=30)
# A file is written before its photo row commits: younger files are left alone.
UNCLAIMED_GRACE_S = 3600
# Decoding a large image holds tens of megabytes: a few at a time, whatever arrives.
_PROCESSING = asyncio.Semaphore(max(1, os.cpu_count() or 1))


@dataclass(frozen=True)
class Details:
    area_id: int | None
    caption: str
    tags: tuple[str, ...]
    taken_at: datetime | None  # the phone's reading (EXIF or its clock), with a zone
    taken_source: str
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None

    def payload(self, site_id: int, content_hash: str) -> dict:
        return {"site": site_id, "hash": content_hash, "area": self.area_id, "caption": self.caption,
                "tags": list(self.tags), "taken_at": self.taken_at, "latitude": self.latitude,
                "longitude": self.longitude}


def _number(form: Mapping[str, str], name: str, low: float, high: float, errors: dict) -> float | None:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = (N_("This location could not be read."), {})
        return None
    return value


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags as typed, split on commas, spaces or Chinese commas; the same tag once."""
    words = text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",")
    seen: dict[str, None] = {}
    for word in words:
        if word := word.strip().lstrip("#"):
            seen.setdefault(word.lower() if word.isascii() else word, None)
    return tuple(seen)


def parse_details(form: Mapping[str, str]) -> Details:
    errors: dict[str, tuple[str, dict]] = {}
    area_id = None
    if area_text := (form.get("area") or "").strip():
        area_id = int(area_text) if area_text.isdigit() and len(area_text) < 10 else -1
    caption = " ".join((form.get("caption") or "").split())
    if len(caption) > MAX_CAPTION:
        errors["caption"] = (N_("Keep the caption under %(count)s characters."), {"count": MAX_CAPTION})
    tags = parse_tags(form.get("tags") or "")
    if len(tags) > MAX_TAGS:
        errors["tags"] = (N_("At most %(count)s tags."), {"count": MAX_TAGS})
    elif any(len(tag) > MAX_TAG for tag in tags):
        errors["tags"] = (N_("Keep each tag under %(count)s characters."), {"count": MAX_TAG})
    taken_at, source = None, "server"
    if text := (form.get("taken_at") or "").strip():
        try:
            taken_at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            taken_at = None
        if taken_at is None or taken_at.tzinfo is None:
            errors["taken_at"] = (N_("The time the photo was taken could not be read."), {})
            taken_at = None
        source = "exif" if form.get("taken_source") == "exif" else "phone"
    latitude = _number(form, "latitude", -90, 90, errors)
    longitude = _number(form, "longitude", -180, 180, errors)
    accuracy = _number(form, "accuracy", 0, 100_000, errors)
    if (latitude is None) != (longitude is None):
        latitude = longitude = None
    if errors:
        raise ValidationFailed(errors)
    return Details(area_id, caption, tags, taken_at, source, latitude, longitude, accuracy)


def content_hash_of(data: bytes) -> str:
    """The storage key of an upload: the same bytes are stored once."""
    return hashlib.sha256(data).hexdigest()


async def _check_area(site_id: int, area_id: int | None) -> None:
    if area_id is None:
        return
    if not await Area.exists().where((Area.id == area_id) & (Area.site == site_id)):
        raise ValidationFailed({"area": (N_("Choose an area of this project."), {})})


def _taken(
    details: Details, processed: images.Processed, timezone: str, now: datetime
) -> tuple[datetime, str]:
    """When the photo was taken: the phone's EXIF reading, the file's own, its clock, or now."""
    if details.taken_at is not None and details.taken_at <= now + FUTURE_SLACK:
        return details.taken_at.astimezone(UTC), details.taken_source
    if processed.taken_at is not None:
        # A camera writes its local time without a zone: the site's zone is the best guess.
        local = processed.taken_at.replace(tzinfo=ZoneInfo(timezone))
        if local <= now + FUTURE_SLACK:
            return local.astimezone(UTC), "exif"
    return now, "server"


async def _process(data: bytes) -> images.Processed:
    async with _PROCESSING:
        return await asyncio.to_thread(images.process, data)


async def store(
    user: User | None, site: Mapping, data: bytes, details: Details, *, key: str, device: str,
    anonymous: bool = False,
) -> int:
    """Check, shrink and keep one uploaded image for `site`; its photo id.

    A repeated key is the same upload (the same id); the same bytes twice are stored
    once. `anonymous` keeps the uploader out of the photo and the audit log.
    """
    if not data:
        raise ValidationFailed({"photo": (N_("Choose a photo."), {})})
    await _check_area(site["id"], details.area_id)
    content_hash = content_hash_of(data)
    if done := await earlier(SCOPE, key, details.payload(site["id"], content_hash)):
        return done.result_id  # a retry from the phone: no second decode, no new files
    processed = await _process(data)
    files = storage()
    for size, content in zip(SIZES, (processed.display, processed.thumb), strict=True):
        await files.put(file_name(content_hash, size), content)
    now = datetime.now(UTC)
    taken_at, source = _taken(details, processed, site["timezone"], now)
    latitude, longitude = details.latitude, details.longitude
    if latitude is None and processed.latitude is not None:
        latitude, longitude = processed.latitude, processed.longitude
    uploader = None if anonymous else user

    async def add() -> tuple[str, int]:
        row = {
            "site": site["id"], "area": details.area_id, "caption": details.caption,
            "tags": ", ".join(details.tags), "uploaded_by": uploader.id if uploader else None,
            "uploaded_at": now, "taken_at": taken_at, "taken_source": source,
            "taken_date": taken_at.astimezone(ZoneInfo(site["timezone"])).date(),
            "latitude": latitude, "longitude": longitude,
            "accuracy_m": details.accuracy_m if latitude == details.latitude else None,
            "content_hash": content_hash, "width": processed.width, "height": processed.height,
            "display_bytes": len(processed.display),
        }
        photo_id = (await insert_rows(Photo, [row]))[0]
        await insert_rows(PhotoTag, [
            {"photo": photo_id, "site": site["id"], "tag": tag, "taken_at": taken_at} for tag in details.tags
        ])
        await audit.record(
            "photo.upload", actor=uploader, device="" if anonymous else device, record_type="photo",
            record_id=photo_id, site_id=site["id"], anonymous=anonymous,
        )
        return "photo", photo_id

    done = await once(SCOPE, key, details.payload(site["id"], content_hash), add)
    return done.result_id


async def attach(photo_ids: Iterable[int], record_type: str, record_id: int, *, public: bool = False) -> None:
    """Attach photos to a record of another feature. Call inside its write transaction."""
    await insert_rows(PhotoLink, [
        {"photo": photo_id, "record_type": record_type, "record_id": record_id, "public": public}
        for photo_id in photo_ids
    ])


async def photo_row(photo_id: int) -> dict | None:
    return await Photo.select(
        Photo.all_columns(), Photo.site.name.as_alias("site_name"), Photo.site.timezone.as_alias("timezone"),
        Photo.site.latitude.as_alias("site_latitude"), Photo.site.longitude.as_alias("site_longitude"),
        Photo.area.name.as_alias("area_name"), Photo.uploaded_by.name.as_alias("uploader_name"),
    ).where(Photo.id == photo_id).first()


async def photo_for(user: User | None, photo_id: int) -> dict:
    """A live photo `user` may see; 404 for anything else."""
    photo = await photo_row(photo_id)
    if photo is None or photo["deleted_at"] is not None or not await access.may_view(user, photo):
        raise NotFound()
    return photo


async def image_of(user: User | None, photo_id: int, size: str) -> tuple[bytes, str]:
    """The stored file's bytes and its content hash (for caching)."""
    if size not in SIZES:
        raise NotFound()
    photo = await photo_for(user, photo_id)
    data = await storage().get(file_name(photo["content_hash"], size))
    if data is None:
        raise NotFound()
    return data, photo["content_hash"]


async def delete(user: User, photo_id: int, *, device: str) -> dict:
    photo = await photo_for(user, photo_id)
    if not await access.may_delete(user, photo):
        raise Forbidden(N_("Only the person who took it or a site supervisor can delete this photo."))
    async with write_transaction():
        await Photo.update({Photo.deleted_at: datetime.now(UTC), Photo.deleted_by: user.id}).where(
            Photo.id == photo_id
        )
        await PhotoTag.delete().where(PhotoTag.photo == photo_id)
        await audit.record("photo.delete", actor=user, device=device, record_type="photo",
                           record_id=photo_id, site_id=photo["site"])
    return photo


async def cleanup(now: datetime | None = None) -> int:
    """Remove stored files no photo needs any more; how many were removed."""
    cutoff = (now or datetime.now(UTC)) - KEEP_DELETED
    needed = {
        row["content_hash"] for row in await Photo.select(Photo.content_hash).where(
            Photo.deleted_at.is_null() | (Photo.deleted_at > cutoff)
        )
    }
    files, removed = storage(), 0
    for name in list(files.names(older_than_s=UNCLAIMED_GRACE_S)):
        if name.split("-", 1)[0] not in needed:
            await files.delete(name)
            removed += 1
    return removed
