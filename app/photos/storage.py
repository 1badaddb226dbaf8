"""Where photo files live: a small interface, the local disk behind it.

Files are named by content, so a name never changes meaning and the same upload
twice is one set of files. An S3-compatible store can replace the disk by
implementing the same four methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from app.config import get_settings

SIZES = ("display", "thumb")


class Storage(Protocol):
    async def put(self, name: str, data: bytes) -> None: ...
    async def get(self, name: str) -> bytes | None: ...
    async def delete(self, name: str) -> None: ...
    def names(self, older_than_s: float = 0) -> Iterator[str]: ...


def file_name(content_hash: str, size: str) -> str:
    return f"{content_hash}-{size}.jpg"


class DiskStorage:
    """Files under MEDIA_DIR, fanned out by the first hash characters (ab/cd/abcd…-display.jpg)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"not a stored file name: {name!r}")
        return self.root / name[:2] / name[2:4] / name

    def _write(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path.exists():
            os.utime(path)  # wanted again: the cleanup's grace period starts over
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a reader never sees half a file, a crash leaves none.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as temporary:
            temporary.write(data)
            temporary.flush()
            os.fsync(temporary.fileno())
        os.replace(temporary.name, path)

    async def put(self, name: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, name, data)

    async def get(self, name: str) -> bytes | None:
        path = self._path(name)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, name: str) -> None:
        await asyncio.to_thread(self._path(name).unlink, missing_ok=True)

    def names(self, older_than_s: float = 0) -> Iterator[str]:
        """Stored files last written more than `older_than_s` seconds ago."""
        cutoff = time.time() - older_than_s
        for path in self.root.glob("??/??/*.jpg"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime <= cutoff:
                    yield path.name


def storage() -> Storage:
    return DiskStorage(get_settings().media_dir / "photos")
