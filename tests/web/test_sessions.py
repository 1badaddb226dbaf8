"""Session stores: a file store by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import dataclasses
import os
import socket

import pytest
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore

from app.config import get_settings
from app.web.sessions import stores


def redis_is_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_default_store_is_a_file_store_in_the_data_folder():
    store = stores(get_settings())["sessions"]
    assert isinstance(store, FileStore)
    assert str(store.path).startswith(str(get_settings().data_dir))


@pytest.mark.skipif(
    not redis_is_up() and os.environ.get("CI") != "true", reason="no Redis on this machine"
)
async def test_redis_store_when_configured_keeps_and_expires_sessions():
    settings = dataclasses.replace(get_settings(), redis_url="redis://127.0.0.1:6379/15")
    store = stores(settings)["sessions"]
    assert isinstance(store, RedisStore)
    await store.set("probe", b'{"uid": 1}', expires_in=60)
    assert await store.get("probe") == b'{"uid": 1}'
    assert 0 < await store.expires_in("probe") <= 60
    await store.delete("probe")
    assert await store.get("probe") is None
    await store._redis.aclose()
