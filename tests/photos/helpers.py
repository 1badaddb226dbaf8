"""Uploading photos as the phone's outbox and the plain form do."""

from __future__ import annotations

import uuid

from tests.conftest import fetch_csrf


async def upload(client, site_id: int, files: list[tuple[str, bytes, str]] | bytes, *, key: str | None = None,
                 queued: bool = True, **fields):
    """POST photos; `queued` sends it as the outbox does (one photo, htmx headers, key echoed)."""
    if isinstance(files, bytes):
        files = [("photo.jpg", files, "image/jpeg")]
    csrf = await fetch_csrf(client)
    key = key or str(uuid.uuid4())
    data = {"idempotency_key": key, "_csrf_token": csrf, **fields}
    headers = {"X-Idempotency-Key": key, "HX-Request": "true", "HX-Target": f"upload-{key}"} if queued else {}
    return await client.post(
        f"/sites/{site_id}/photos", data=data, headers=headers,
        files=[("photo", (name, content, kind)) for name, content, kind in files],
    )


def media_files(settings) -> set:
    """Every file under the photo store (all tests of a run share it: compare before and after)."""
    root = settings.media_dir / "photos"
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def shown(message: str, **params: object) -> str:
    """A message as a person sees it here (the tests' users read Chinese)."""
    from app.i18n import translations

    text = translations("zh_CN").gettext(message)
    return text % params if params else text


def visible_text(html: str) -> str:
    """What a person reads: tags dropped, entities decoded, spaces collapsed."""
    import html as entities
    import re

    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def field_error(html: str, field: str) -> str | None:
    """The message shown next to a form field (`<p class="error" id="{field}-error">`)."""
    import html as entities
    import re

    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    return entities.unescape(found.group(1)).strip() if found else None


def multipart(fields: dict[str, str], files: list[tuple[str, bytes, str]],
              boundary: str = "fieldpost-test-boundary") -> tuple[bytes, str]:
    """A multipart body written by hand: file names go on the wire exactly as given."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for filename, content, kind in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
                f"Content-Type: {kind}\r\n\r\n")
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


async def add_photos(site, moments, *, tags: tuple[str, ...] = (), **fields) -> list[int]:
    """Photo rows (and their tags) written straight to the tables, one per moment, without files.

    For tests about which photos a page lists: fast, and any time or order can be set up.
    """
    import secrets
    from zoneinfo import ZoneInfo

    from app.db import insert_rows
    from app.photos.tables import Photo, PhotoTag

    rows = [{
        "site": site.id, "caption": "", "tags": ", ".join(tags), "taken_at": moment,
        "taken_date": moment.astimezone(ZoneInfo(site.timezone)).date(), "taken_source": "phone",
        "content_hash": secrets.token_hex(32), "width": 400, "height": 300, "display_bytes": 1000, **fields,
    } for moment in moments]
    ids = []
    for start in range(0, len(rows), 200):  # well inside every database's parameter limit
        ids += await insert_rows(Photo, rows[start:start + 200])
    tag_rows = [{"photo": photo_id, "site": site.id, "tag": tag, "taken_at": row["taken_at"]}
                for photo_id, row in zip(ids, rows, strict=True) for tag in tags]
    for start in range(0, len(tag_rows), 200):
        await insert_rows(PhotoTag, tag_rows[start:start + 200])
    return ids


def listed_photos(html: str) -> list[int]:
    """The photos a page shows, in the order it shows them."""
    import re

    return [int(found) for found in re.findall(r'src="/photos/(\d+)/(?:thumb|display)\.jpg"', html)]
