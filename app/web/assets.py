"""Static files: versioned URLs, long cache lifetimes, and the service worker.

A static URL carries a hash of the file's content (`?v=…`), so browsers may keep it
for a year and still never use a stale copy. The service worker at `/sw.js`
(scope `/`; under /static it could only control /static) precaches these URLs.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from litestar import Response, get
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from app.config import ROOT
from app.web.access import PUBLIC

STATIC_DIR = ROOT / "static"
ONE_YEAR = 365 * 24 * 3600
# What a phone needs to show any page, and the offline page, without a network.
PRECACHED = (
    "css/app.css", "js/app.js", "vendor/htmx.min.js", "icons/icon.svg", "js/outbox.js", "js/checkin.js",
    "js/photos.js",
)
# Pages a phone may need with no signal once it has opened them: the service worker keeps
# the latest copy of each (the outbox on the page sends what is tapped there later).
OFFLINE_PAGES = ("/c/",)


@cache
def file_version(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    return f"/static/{relative}?v={file_version(relative)}"


@cache
def assets_version() -> str:
    digest = hashlib.sha256()
    for relative in PRECACHED:
        digest.update(file_version(relative).encode())
    digest.update((STATIC_DIR / "sw.js").read_bytes())
    return digest.hexdigest()[:12]


static_router = create_static_files_router(
    path="/static",
    directories=[STATIC_DIR],
    name="static",
    opt=PUBLIC,
    cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
    include_in_schema=False,
)


@get("/sw.js", name="service_worker", opt=PUBLIC, include_in_schema=False)
async def service_worker() -> Response[str]:
    script = (STATIC_DIR / "sw.js").read_text()
    config = {
        "version": assets_version(),
        "precache": [static_url(relative) for relative in PRECACHED],
        "offlineUrl": "/offline",
        "offlinePages": list(OFFLINE_PAGES),
    }
    body = script.replace("self.__FIELDPOST__", json.dumps(config))
    return Response(
        body,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )
