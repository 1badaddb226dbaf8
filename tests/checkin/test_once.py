"""Once and only once: a key's first request acts, repeats get the same answer back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from piccolo.engine.sqlite import SQLiteEngine

from app.errors import ValidationFailed
from app.outbox.services import Done, once
from app.outbox.tables import IdempotencyRecord
from app.sites.tables import Site
from tests import factories

SCOPE = "test"
PAYLOAD = {"worker": 3, "poster": 9, "action": "in", "latitude": 31.23}


def counting(calls: list, result_id: int = 41):
    async def action() -> tuple[str, int]:
        calls.append(result_id)
        return "thing", result_id

    return action


async def records() -> list[dict]:
    return await IdempotencyRecord.select(
        IdempotencyRecord.scope, IdempotencyRecord.key, IdempotencyRecord.result_type,
        IdempotencyRecord.result_id,
    )


async def test_the_first_call_acts_and_a_repeat_replays_without_acting(db):
    key, calls = str(uuid.uuid4()), []
    first = await once(SCOPE, key, PAYLOAD, counting(calls))
    assert first == Done("thing", 41, replayed=False)
    assert calls == [41]
    assert await records() == [{"scope": SCOPE, "key": key, "result_type": "thing", "result_id": 41}]

    again = await once(SCOPE, key, dict(reversed(PAYLOAD.items())), counting(calls, 99))
    assert again == Done("thing", 41, replayed=True)
    assert calls == [41]
    assert len(await records()) == 1


async def test_the_same_key_with_another_payload_is_refused(db):
    key, calls = str(uuid.uuid4()), []
    await once(SCOPE, key, PAYLOAD, counting(calls))
    with pytest.raises(ValidationFailed) as refused:
        await once(SCOPE, key, {**PAYLOAD, "action": "out"}, counting(calls, 99))
    assert list(refused.value.errors) == ["idempotency_key"]
    assert refused.value.errors["idempotency_key"][0] == (
        "This was already sent with different content, so it was not saved again."
    )
    assert calls == [41]


async def test_keys_are_per_scope(db):
    key, calls = str(uuid.uuid4()), []
    await once(SCOPE, key, PAYLOAD, counting(calls))
    other = await once("reports", key, {"something": "else"}, counting(calls, 42))
    assert other == Done("thing", 42, replayed=False)
    assert calls == [41, 42]


@pytest.mark.parametrize(
    "key",
    [None, "", "short", "a" * 15, "a" * 65, "abcd efgh ijkl mnop", "abcdefgh_ijklmnop", "abcdefgh/ijklmnop",
     "钥匙钥匙钥匙钥匙钥匙钥匙钥匙钥匙"],
    ids=["none", "empty", "short", "15", "65", "space", "underscore", "slash", "not-ascii"],
)
async def test_malformed_keys_are_refused_before_anything_happens(db, key):
    calls = []
    with pytest.raises(ValidationFailed) as refused:
        await once(SCOPE, key, PAYLOAD, counting(calls))
    assert list(refused.value.errors) == ["idempotency_key"]
    assert calls == []
    assert await records() == []


async def test_a_key_with_a_trailing_newline_is_refused(db):
    with pytest.raises(ValidationFailed):
        await once(SCOPE, "a" * 16 + "\n", PAYLOAD, counting([]))


@pytest.mark.parametrize("key", ["a" * 16, "A" * 64, str(uuid.uuid4()), "0123-4567-89ab-CDEF"])
async def test_well_formed_keys_are_accepted(db, key):
    assert await once(SCOPE, key, PAYLOAD, counting([])) == Done("thing", 41, replayed=False)


async def test_a_failing_action_leaves_nothing_and_the_key_can_be_used_again(db):
    key = str(uuid.uuid4())

    async def failing() -> tuple[str, int]:
        await factories.site("写了一半")
        raise RuntimeError("the action failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        await once(SCOPE, key, PAYLOAD, failing)
    assert await records() == []
    assert await Site.count() == 0  # the half-done work was rolled back with it

    calls = []
    assert await once(SCOPE, key, PAYLOAD, counting(calls)) == Done("thing", 41, replayed=False)
    assert calls == [41]


async def test_two_concurrent_calls_with_one_key_give_one_result(db):
    sqlite = isinstance(db, SQLiteEngine)
    key, started = str(uuid.uuid4()), []
    both_started = asyncio.Event()

    async def create_site() -> tuple[str, int]:
        started.append(1)
        if not sqlite:
            # Make the race certain: both transactions are inside the action before either commits.
            if len(started) == 2:
                both_started.set()
            await asyncio.wait_for(both_started.wait(), 5)
        site = await factories.site(f"工地 {len(started)}")
        return "site", site.id

    results = await asyncio.gather(
        once(SCOPE, key, PAYLOAD, create_site), once(SCOPE, key, PAYLOAD, create_site)
    )
    sites = await Site.select(Site.id)
    assert len(sites) == 1
    assert sorted(done.replayed for done in results) == [False, True]
    assert {(done.result_type, done.result_id) for done in results} == {("site", sites[0]["id"])}
    assert await records() == [
        {"scope": SCOPE, "key": key, "result_type": "site", "result_id": sites[0]["id"]}
    ]
    # SQLite: the second waits for the write lock and finds the first one's record.
    # PostgreSQL: both act; the unique index refuses the loser, whose work is rolled back.
    assert len(started) == (1 if sqlite else 2)
