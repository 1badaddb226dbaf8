"""Recurring clean-up that keeps the tables and the session store small."""

from __future__ import annotations

from app.accounts.services import forget_old_sign_in_failures
from app.jobs import recurring


@recurring("forget-sign-in-failures", every_s=3600)
async def forget_sign_in_failures() -> int:
    return await forget_old_sign_in_failures()


@recurring("purge-expired-sessions", every_s=6 * 3600)
async def purge_expired_sessions() -> str:
    """Redis expires keys itself; the file store needs a sweep."""
    from app.config import get_settings
    from app.web.sessions import stores

    store = stores(get_settings())["sessions"]
    if hasattr(store, "delete_expired"):
        await store.delete_expired()
        return "swept"
    return "nothing to do"
