"""Image checks and sizes, with Pillow: pure functions on bytes, run off the event loop.

Only real JPEG, PNG and WebP files are accepted (SVG can carry script; anything else
is refused by decoding, never by its name). The pixel count is checked from the header
before anything is decoded, so a small file that unpacks to gigabytes is refused
cheaply. Stored files carry no metadata at all: orientation is applied to the pixels,
and the time and place of the photo are returned as data for the database.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import invalid
from app.i18n import N_

FORMATS = ("JPEG", "PNG", "WEBP")
# 48-megapixel phone sensors exist; a decompression bomb is far beyond.
MAX_PIXELS = 60_000_000
DISPLAY_PX = 1600
THUMB_PX = 400
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75

# Pillow's own guard (a warning, then an error at twice this) backs up the check below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132


@dataclass(frozen=True)
class Processed:
    display: bytes
    thumb: bytes
    width: int
    height: int
    taken_at: datetime | None  # as the camera's clock read it, no zone
    latitude: float | None
    longitude: float | None


def _refuse(message: str, **params: object):
    return invalid("photo", message, **params)


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise _refuse(N_("This image has too many pixels (at most %(limit)s million)."),
                          limit=MAX_PIXELS // 1_000_000) from None
        raise _refuse(N_("This file is not a photo. Choose a JPEG, PNG or WebP image.")) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _refuse(N_("This image has too many pixels (at most %(limit)s million)."),
                      limit=MAX_PIXELS // 1_000_000)
    return image


def _rational(value) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _degrees(parts, ref: str) -> float | None:
    try:
        degrees, minutes, seconds = (_rational(part) for part in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    return -value if ref in ("S", "W") else value


def _exif_facts(image: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """The camera's time and GPS position, when the file still has them."""
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block must not sink a good photo
        return None, None, None
    taken = None
    text = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if isinstance(text, str):
        try:
            taken = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken = None
    gps = exif.get_ifd(_GPS_IFD)
    latitude = _degrees(gps.get(2), gps.get(1, "N")) if gps.get(2) else None
    longitude = _degrees(gps.get(4), gps.get(3, "E")) if gps.get(4) else None
    if (latitude is not None and not -90 <= latitude <= 90) or (
        longitude is not None and not -180 <= longitude <= 180
    ):
        latitude = longitude = None
    return taken, latitude, longitude


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif, no ICC profile, no comment: nothing but pixels.
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def process(data: bytes) -> Processed:
    """Check an upload and make its display and thumbnail sizes. CPU-bound: call in a thread."""
    image = _open(data)
    taken_at, latitude, longitude = _exif_facts(image)
    try:
        if image.format == "JPEG":
            # Decode at a fraction of the size when that is still larger than the display.
            image.draft("RGB", (DISPLAY_PX, DISPLAY_PX))
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError):
        raise _refuse(N_("This photo is damaged or incomplete. Take it again or choose another.")) from None
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    # Bicubic: a phone has already shrunk most photos to 2048 px, and for the last step
    # down to 1600 it looks the same as Lanczos at half the time.
    image.thumbnail((DISPLAY_PX, DISPLAY_PX), Image.Resampling.BICUBIC)
    display = _jpeg(image, DISPLAY_QUALITY)
    small = image.copy()
    small.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
    return Processed(display, _jpeg(small, THUMB_QUALITY), image.width, image.height,
                     taken_at, latitude, longitude)
