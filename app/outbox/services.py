"""Once and only once: the server half of the offline outbox.

A phone makes an idempotency key when the person taps and sends it with every retry.
The first request with a key does the action; a repeat gets the same result back; the
same key with a different payload is refused, since it cannot be the same action.
Later forms (reports, photos) use `once` the same way check-in does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.db import fetch, insert_rows, write_transaction
from app.errors import invalid
from app.i18n import N_
from app.outbox.tables import IdempotencyRecord

KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")
# The phone's outbox counts an entry delivered only when the answer names its key here.
ECHO = "X-Idempotency-Key"
# Long enough for a phone that was off the network for a fortnight.
KEEP_DAYS = 60


@dataclass(frozen=True)
class Done:
    result_type: str
    result_id: int
    replayed: bool


def check_key(key: str | None) -> str:
    if not key or not KEY.fullmatch(key):
        raise invalid("idempotency_key", N_("This form is out of date. Reload the page and try again."))
    return key


# One encoder for every payload: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def payload_hash(payload: Mapping[str, object]) -> str:
    return hashlib.sha256(_ENCODE(payload).encode()).hexdigest()


async def _existing(scope: str, key: str, digest: str) -> Done | None:
    rows = await fetch(
        "SELECT payload_hash, result_type, result_id FROM idempotency_record WHERE scope = {} AND key = {}",
        scope, key,
    )
    if not rows:
        return None
    found = rows[0]
    if found["payload_hash"] != digest:
        raise invalid(
            "idempotency_key",
            N_("This was already sent with different content, so it was not saved again."),
        )
    return Done(found["result_type"], found["result_id"], replayed=True)


async def earlier(scope: str, key: str, payload: Mapping[str, object]) -> Done | None:
    """The stored answer to this key, before doing costly work again (422 for another payload)."""
    return await _existing(scope, check_key(key), payload_hash(payload))


async def once(
    scope: str,
    key: str,
    payload: Mapping[str, object],
    action: Callable[[], Awaitable[tuple[str, int]]],
    *,
    look_first: bool = True,
) -> Done:
    """Run `action` (inside the write transaction) unless this key was seen before.

    `action` returns (result type, result id). Two requests racing with one key: the
    unique index lets one commit; the other rolls back and reads the winner's result.
    Without `look_first` a repeat is found only that way, sparing every first send a
    read: for actions whose work is all inside the transaction and cheap to undo.
    """
    key = check_key(key)
    digest = payload_hash(payload)
    try:
        async with write_transaction():
            if look_first and (done := await _existing(scope, key, digest)):
                return done
            result_type, result_id = await action()
            await insert_rows(IdempotencyRecord, [{
                "scope": scope, "key": key, "payload_hash": digest,
                "result_type": result_type, "result_id": result_id,
            }])
    except Exception as error:
        if not _is_unique_violation(error):
            raise
        if done := await _existing(scope, key, digest):
            return done
        raise
    return Done(result_type, result_id, replayed=False)


def _is_unique_violation(error: Exception) -> bool:
    text = f"{type(error).__name__} {error}".lower()
    return "unique" in text


async def forget_old(now: datetime | None = None) -> int:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=KEEP_DAYS)
    old = IdempotencyRecord.created_at < cutoff
    count = await IdempotencyRecord.count().where(old)
    await IdempotencyRecord.delete().where(old)
    return count
