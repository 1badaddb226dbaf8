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


@recurring("forget-old-idempotency-keys", every_s=24 * 3600)
async def forget_old_idempotency_keys() -> int:
    from app.outbox.services import forget_old

    return await forget_old()


@recurring("close-forgotten-shifts", every_s=3600)
async def close_forgotten_shifts() -> int:
    """A shift left open past the longest shift shows as "no check-out" on its day."""
    from app.checkin.days import refresh_stale_open_days
    from app.db import write_transaction

    async with write_transaction():
        return await refresh_stale_open_days()


@recurring("photo-cleanup", every_s=24 * 3600)
async def photo_cleanup() -> int:
    """Stored photo files that no photo needs any more (also `python -m app photos cleanup`)."""
    from app.photos.services import cleanup

    return await cleanup()


@recurring("feedback-overdue", every_s=15 * 60)
async def feedback_overdue() -> int:
    """Items past their SLA deadline get an "overdue" line in their timeline, once per deadline;
    the to-do lists of their owners and supervisors put them first."""
    from app.feedback.triage import mark_overdue

    return await mark_overdue()


@recurring("send-webhooks", every_s=60)
async def send_webhooks() -> int:
    """Messages for the projects' group robots, with retries (a dead robot never holds a request)."""
    from app.webhooks.services import send_due

    return await send_due()
