"""Response compression: brotli at a setting that suits each answer's size.

Brotli's denser settings build match tables for every answer, whatever its size. On
an htmx answer of a kilobyte or two that work costs several times the CPU of the
quickest setting and saves a few dozen bytes, less than a packet; on pages, scripts
and style sheets the denser setting is worth it. The size is known only when the
first bytes arrive, so the compressor is made then, and not at all for an answer too
small to compress.
"""

from __future__ import annotations

from io import BytesIO

from brotli import MODE_TEXT, Compressor
from litestar.config.compression import CompressionConfig
from litestar.enums import CompressionEncoding

# Answers below this many bytes (htmx fragments) are compressed at the quickest setting.
SMALL_ANSWER = 4096
QUICK_QUALITY = 1
DENSE_QUALITY = 5
# A 256 KB window holds any page or file here whole.
WINDOW_BITS = 18


class SizedBrotli:
    """A Litestar compression facade: brotli, its quality chosen by the first chunk's size."""

    __slots__ = ("buffer", "compressor")

    encoding = CompressionEncoding.BROTLI

    def __init__(self, buffer: BytesIO, compression_encoding: str, config: CompressionConfig) -> None:
        self.buffer = buffer
        self.compressor: Compressor | None = None

    def write(self, body: bytes) -> None:
        if self.compressor is None:
            quality = QUICK_QUALITY if len(body) < SMALL_ANSWER else DENSE_QUALITY
            self.compressor = Compressor(quality=quality, mode=MODE_TEXT, lgwin=WINDOW_BITS)
        self.buffer.write(self.compressor.process(body))
        self.buffer.write(self.compressor.flush())

    def close(self) -> None:
        if self.compressor is not None:
            self.buffer.write(self.compressor.finish())


def compression_config() -> CompressionConfig:
    # Not backend="brotli": that would put Litestar's fixed-quality facade back in place.
    return CompressionConfig(
        backend="br", compression_facade=SizedBrotli, gzip_fallback=True, minimum_size=500
    )
