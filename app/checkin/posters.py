"""Site QR posters: a signed, revocable token per gate, printed as an SVG QR code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import UTC, datetime

import segno

from app.accounts.tables import User
from app.audit import services as audit
from app.checkin.tables import Poster
from app.config import get_settings
from app.db import fetch, quick_reads, write_transaction
from app.errors import DomainError, invalid
from app.i18n import N_
from app.sites import settings as site_settings

TOKEN = re.compile(r"^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{11})$")


class PosterInvalid(DomainError):
    """Not a token we made: forged, mangled or cut short."""


class PosterRevoked(DomainError):
    """A real poster that was replaced, or its site closed."""


def _signature(code: str) -> str:
    digest = hmac.new(get_settings().secret_key.encode(), b"poster:" + code.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:8]).decode().rstrip("=")


def token_of(code: str) -> str:
    return f"{code}.{_signature(code)}"


# Every scan and every tap reads this; as SQL it costs a fraction of the ORM's join.
_POSTER_READ = (
    "SELECT p.*, s.name AS site_name, s.timezone AS site_timezone, s.is_active AS site_active,"
    " s.latitude AS site_latitude, s.longitude AS site_longitude, s.radius_m AS site_radius_m,"
    " s.longest_shift_hours AS site_longest_shift_hours, s.standard_day_hours AS site_standard_day_hours"
    " FROM poster p JOIN site s ON s.id = p.site WHERE p.code = {}"
)


# A rush of taps at a gate reads the same poster and site again and again: a copy kept
# a few seconds spares each tap that read. Issuing or retiring a poster, or changing its
# site, drops this process's copies at once; other processes see it within this time.
CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, dict]] = {}
_clock = time.monotonic


def forget_site(site_id: int) -> None:
    for code in [code for code, (_, poster) in _cache.items() if poster["site"] == site_id]:
        _cache.pop(code, None)


async def _poster_by_code(code: str) -> dict | None:
    """The poster with its site, as read at most CACHE_SECONDS ago (shared: do not change it)."""
    now = _clock()
    kept = _cache.get(code)
    if kept and kept[0] > now:
        return kept[1]
    with quick_reads():
        rows = await fetch(_POSTER_READ, code)
    if not rows:
        return None
    _cache[code] = (now + CACHE_SECONDS, rows[0])
    return rows[0]


async def poster_for_token(token: str) -> dict:
    """The live poster (with its site) a scanned token names."""
    match = TOKEN.match(token or "")
    if not match or not hmac.compare_digest(match.group(2), _signature(match.group(1))):
        raise PosterInvalid(N_("This is not a valid site poster. Ask your foreman for the right one."))
    poster = await _poster_by_code(match.group(1))
    if poster is None:
        raise PosterInvalid(N_("This is not a valid site poster. Ask your foreman for the right one."))
    if poster["revoked_at"] is not None or not poster["site_active"]:
        raise PosterRevoked(N_("This poster is no longer valid. Ask your foreman for the new one."))
    return poster


def check_gate(gate: str) -> str:
    gate = " ".join((gate or "").split())
    if len(gate) > 60:
        raise invalid("gate", N_("Keep the gate name under %(count)s characters."), count=60)
    return gate


async def posters_of(site_id: int) -> list[dict]:
    return await (
        Poster.select().where((Poster.site == site_id) & Poster.revoked_at.is_null()).order_by(Poster.gate)
    )


async def issue(site_id: int, gate: str, *, by: User, device: str) -> int:
    """A new poster for the gate; the gate's old poster stops working."""
    gate = check_gate(gate)
    async with write_transaction():
        old = await Poster.select(Poster.id).where(
            (Poster.site == site_id) & (Poster.gate == gate) & Poster.revoked_at.is_null()
        )
        if old:
            await Poster.update({Poster.revoked_at: datetime.now(UTC)}).where(
                Poster.id.is_in([row["id"] for row in old])
            )
        poster = Poster(site=site_id, gate=gate, code=secrets.token_urlsafe(12), created_by=by.id)
        await poster.save()
        await audit.record(
            "poster.regenerate" if old else "poster.create",
            actor=by,
            device=device,
            record_type="poster",
            record_id=poster.id,
            site_id=site_id,
            detail={"gate": gate},
        )
    forget_site(site_id)
    return poster.id


async def retire(site_id: int, poster_id: int, *, by: User, device: str) -> None:
    async with write_transaction():
        await Poster.update({Poster.revoked_at: datetime.now(UTC)}).where(
            (Poster.id == poster_id) & (Poster.site == site_id) & Poster.revoked_at.is_null()
        )
        await audit.record(
            "poster.revoke",
            actor=by,
            device=device,
            record_type="poster",
            record_id=poster_id,
            site_id=site_id,
        )
    forget_site(site_id)


async def poster_of_site(site_id: int, poster_id: int) -> dict | None:
    return (
        await Poster.select()
        .where((Poster.id == poster_id) & (Poster.site == site_id) & Poster.revoked_at.is_null())
        .first()
    )


async def ensure_poster(site_id: int) -> None:
    """Every site has a main-gate poster from the start."""
    if not await Poster.exists().where((Poster.site == site_id) & Poster.revoked_at.is_null()):
        await Poster.insert(Poster(site=site_id, gate="", code=secrets.token_urlsafe(12)))


def qr_svg(url: str) -> str:
    """The code as inline SVG, sized by CSS (the print sheet makes it 16 cm wide)."""
    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, title=url)


site_settings.SITE_CHANGED.append(forget_site)
