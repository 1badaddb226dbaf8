"""Test images made with Pillow: camera-like JPEGs with EXIF, and bad files."""

from __future__ import annotations

import io

from PIL import Image, TiffImagePlugin

ORIENTATION = 0x0112
GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def _rationals(value: float) -> tuple:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (TiffImagePlugin.IFDRational(degrees), TiffImagePlugin.IFDRational(minutes),
            TiffImagePlugin.IFDRational(int(seconds * 100), 100))


def banded_jpeg(width: int = 3000, height: int = 2000, *, orientation: int | None = None,
                gps: tuple[float, float] | None = None, taken: str | None = None, quality: int = 92) -> bytes:
    """A landscape picture, grey with a red band along its left edge.

    With orientation 6 ("rotate 90° clockwise to view") the band ends up on top.
    """
    image = Image.new("RGB", (width, height), (128, 128, 128))
    image.paste((220, 0, 0), (0, 0, width // 10, height))
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({
            1: "N" if gps[0] >= 0 else "S", 2: _rationals(abs(gps[0])),
            3: "E" if gps[1] >= 0 else "W", 4: _rationals(abs(gps[1])),
        })
    if taken:
        exif.get_ifd(EXIF_IFD)[0x9003] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 800, height: int = 600, colour=(0, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """One colour, 400 megapixels, a few hundred KB on disk."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    """A real camera-sized JPEG cut off halfway, as a dropped connection leaves it."""
    whole = banded_jpeg(1600, 1200)
    return whole[: len(whole) // 2]


def svg_with_script() -> bytes:
    return (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
            b'<script>alert(document.cookie)</script><rect width="100" height="100" fill="red"/></svg>')
