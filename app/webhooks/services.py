"""Group-robot webhooks: a project's manager sets the robot's URL; new critical reports,
overdue items and delivered improvements are posted to it as a JSON text message
({"msgtype": "text", "text": {"content": …}}, as WeCom and DingTalk robots take).

Messages are queued in the sender's transaction and sent by a job with retries, so a
slow or dead robot never holds a request. The URL must be https and resolve to public
addresses only (checked when set and again at every send, against DNS tricks), unless
WEBHOOK_ALLOW_PRIVATE is on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from app.accounts.tables import User
from app.audit import services as audit
from app.config import get_settings
from app.db import insert_rows, write_transaction
from app.errors import invalid
from app.i18n import N_, gettext, language
from app.webhooks.tables import SiteWebhook, WebhookDelivery

log = logging.getLogger("fieldpost.webhooks")
TIMEOUT_S = 5.0
MAX_ATTEMPTS = 6
BATCH = 50
# The robots of building sites are Chinese group chats.
ROBOT_LANGUAGE = "zh_CN"


class Refused(Exception):
    """The robot's address may not be called (its text says why)."""


async def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, None)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(f"cannot resolve {host}") from error
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


async def check_url(url: str) -> str:
    """The URL, if a robot may be called there; Refused with the reason otherwise."""
    allow_private = get_settings().webhook_allow_private
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise Refused("not an http(s) URL")
    addresses = await _addresses(parts.hostname)
    private = [a for a in addresses if not a.is_global or a.is_multicast]
    if private and not allow_private:
        raise Refused(f"{parts.hostname} is a private, loopback or link-local address")
    if parts.scheme != "https" and not (allow_private and private):
        raise Refused("not https")
    return url


async def set_url(user: User, site_id: int, url: str, *, device: str) -> None:
    url = (url or "").strip()
    if url:
        if len(url) > 500:
            raise invalid("url", N_("This address is too long."))
        try:
            await check_url(url)
        except Refused:
            raise invalid(
                "url", N_("Use the robot's https address; private and local addresses are not allowed.")
            ) from None
    async with write_transaction():
        await SiteWebhook.delete().where(SiteWebhook.site == site_id)
        if url:
            await insert_rows(SiteWebhook, [{"site": site_id, "url": url, "set_by": user.id}])
        await audit.record(
            "webhook.set" if url else "webhook.clear",
            actor=user,
            device=device,
            record_type="site",
            record_id=site_id,
            site_id=site_id,
        )


async def webhook_of(site_id: int) -> dict | None:
    return await SiteWebhook.select().where(SiteWebhook.site == site_id).first()


async def announce(site_id: int, message: str, **params: object) -> None:
    """Queue a message for the project's robot, if it has one (inside the caller's transaction)."""
    if not await SiteWebhook.exists().where(SiteWebhook.site == site_id):
        return
    with language(ROBOT_LANGUAGE):
        content = gettext(message, **params)
    body = json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False)
    await insert_rows(WebhookDelivery, [{"site": site_id, "body": body, "next_at": datetime.now(UTC)}])


async def _post(url: str, body: str) -> str:
    """ "" when the robot took it, else what went wrong."""
    try:
        await check_url(url)
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
            answer = await client.post(
                url, content=body.encode(), headers={"Content-Type": "application/json"}
            )
    except Refused as refused:
        return f"refused: {refused}"
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:300] or type(error).__name__
    return "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


async def send_due(now: datetime | None = None) -> int:
    """Send what is due; failures wait longer each time and are given up after six tries."""
    now = now or datetime.now(UTC)
    due = (
        await WebhookDelivery.select(
            WebhookDelivery.id,
            WebhookDelivery.site,
            WebhookDelivery.body,
            WebhookDelivery.attempts,
        )
        .where(
            WebhookDelivery.sent_at.is_null()
            & WebhookDelivery.given_up_at.is_null()
            & (WebhookDelivery.next_at <= now)
        )
        .order_by(WebhookDelivery.id)
        .limit(BATCH)
    )
    sent = 0
    for delivery in due:
        hook = await webhook_of(delivery["site"])
        error = "no webhook set" if hook is None else await _post(hook["url"], delivery["body"])
        attempts = delivery["attempts"] + 1
        done = datetime.now(UTC)
        async with write_transaction():
            if not error:
                sent += 1
                await WebhookDelivery.update(
                    {WebhookDelivery.sent_at: done, WebhookDelivery.attempts: attempts}
                ).where(WebhookDelivery.id == delivery["id"])
                await SiteWebhook.update({SiteWebhook.last_sent_at: done}).where(
                    SiteWebhook.site == delivery["site"]
                )
                continue
            log.warning("webhook of site %s failed: %s", delivery["site"], error)
            await WebhookDelivery.update(
                {
                    WebhookDelivery.attempts: attempts,
                    WebhookDelivery.next_at: done + timedelta(minutes=2**attempts),
                    WebhookDelivery.given_up_at: done if attempts >= MAX_ATTEMPTS else None,
                }
            ).where(WebhookDelivery.id == delivery["id"])
            await SiteWebhook.update(
                {SiteWebhook.last_error: error[:300], SiteWebhook.last_error_at: done}
            ).where(SiteWebhook.site == delivery["site"])
    return sent
