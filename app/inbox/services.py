"""Notifications: written by other features inside their own transactions, read in the inbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from app.accounts.tables import User
from app.db import insert_rows
from app.i18n import gettext
from app.inbox.tables import Notification

PAGE = 50


async def notify(
    user_ids, message: str, link: str = "", *, question: int | None = None, **params: object
) -> None:
    """Tell these people something (`message` is an English msgid with %(name)s placeholders)."""
    people = sorted({user_id for user_id in user_ids if user_id})
    now = datetime.now(UTC)
    await insert_rows(
        Notification,
        [
            {
                "user": person,
                "message": message,
                "params": json.dumps(params, ensure_ascii=False, default=str),
                "link": link,
                "created_at": now,
                "question": question,
            }
            for person in people
        ],
    )


async def unread_count(user: User) -> int:
    return await Notification.count().where((Notification.user == user.id) & Notification.read_at.is_null())


async def inbox(user: User) -> list[dict]:
    rows = (
        await Notification.select()
        .where(Notification.user == user.id)
        .order_by(Notification.id, ascending=False)
        .limit(PAGE)
    )
    for row in rows:
        row["text"] = gettext(row["message"], **json.loads(row["params"] or "{}"))
    return rows


async def mark_read(user: User) -> None:
    await Notification.update({Notification.read_at: datetime.now(UTC)}).where(
        (Notification.user == user.id) & Notification.read_at.is_null()
    )
