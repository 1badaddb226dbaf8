"""Live updates of the triage queues: a new item is announced on its site's channel (system
suggestions on the company-wide one); open queue pages listen by SSE.

Litestar channels: in memory for one server process, Redis pub/sub when REDIS_URL is
set, so every process hears every announcement.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from app.config import Settings
from app.feedback.tables import Kind

SYSTEM = "queue:system"
_plugin: ChannelsPlugin | None = None


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    global _plugin  # noqa: PLW0603 (one per app; services publish through it)
    if settings.redis_url:
        from redis.asyncio import Redis

        backend = RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    else:
        backend = MemoryChannelsBackend()
    _plugin = ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)
    return _plugin


def channel_of(site_id: int | None) -> str:
    return SYSTEM if site_id is None else f"queue:{site_id}"


async def announce(site_id: int, kind: Kind, item_id: int) -> None:
    if _plugin is None:
        return
    names = [SYSTEM] if kind is Kind.system else [channel_of(site_id)]
    try:
        _plugin.publish(str(item_id), names)
    except RuntimeError:
        pass  # not started (an app without its lifespan, as in tests): nobody is listening


@contextlib.asynccontextmanager
async def listen(site_id: int | None) -> AsyncIterator[AsyncIterator[bytes]]:
    """The ids of new items on a site's queue (or the system one), as they come."""
    assert _plugin is not None
    async with _plugin.start_subscription([channel_of(site_id)]) as subscriber:
        yield subscriber.iter_events()
