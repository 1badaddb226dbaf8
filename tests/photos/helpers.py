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
