"""Server-side sessions: a file store by default, Redis when REDIS_URL is set.

Idle expiry is the store's time-to-live, renewed on every request; absolute expiry
is checked against the sign-in time kept in the session (see access.py).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.redis import RedisStore
from litestar.types import Message, ScopeSession

from app.config import Settings

_ROTATE = "rotate_session"
_NEW_ID = "new_session_id"


def rotate_session(connection: ASGIConnection) -> None:
    """Give the session a new id at sign-in, so an id planted before it is worthless."""
    connection.state[_ROTATE] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        if connection.state.get(_ROTATE):
            if not connection.state.get(_NEW_ID):
                connection.state[_NEW_ID] = self.generate_session_id()
            return connection.state[_NEW_ID]
        return super().get_session_id(connection)

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection
    ) -> None:
        cookie = connection.cookies.get(self.config.key)
        if not scope_session and not cookie:
            return  # visitors who never signed in get no session and no store entry
        if connection.state.get(_ROTATE) and (old := cookie):
            await self.delete(old, store=self.config.get_store_from_app(connection.scope["app"]))
        await super().store_in_message(scope_session, message, connection)


class SessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(settings: Settings) -> SessionConfig:
    return SessionConfig(
        key="fp_session",
        max_age=settings.session_idle_minutes * 60,
        renew_on_access=True,
        httponly=True,
        samesite="lax",
        exclude=["^/static/", "^/sw.js$", "^/healthz$", "^/offline$"],
    )


def stores(settings: Settings) -> dict[str, Store]:
    if settings.redis_url:
        redis = RedisStore.with_client(url=settings.redis_url)
        return {"sessions": redis.with_namespace("sessions")}
    return {"sessions": FileStore(settings.data_dir / "sessions", create_directories=True)}


def session_data(user_id: int, epoch: int, signed_in_at: float) -> dict[str, Any]:
    return {"uid": user_id, "epoch": epoch, "since": signed_in_at}
