"""Accounts: creating people, signing in, the lock-out, changing secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts import services
from app.accounts.tables import Role, SignInFailure, User
from app.audit.tables import AuditEntry
from app.errors import ValidationFailed
from tests import factories


async def test_create_user_stores_a_hash_not_the_secret(db):
    user = await factories.user("worker", phone="13912345678", secret="1234")
    stored = await User.objects().get(User.id == user.id)
    assert "1234" not in stored.secret_hash
    assert stored.secret_hash.startswith("$argon2")
    assert await services.secret_matches(stored.secret_hash, "1234")


@pytest.mark.parametrize(
    ("role", "phone", "secret", "field"),
    [
        ("worker", "1391234567", "1234", "phone"),  # ten digits
        ("worker", "23912345678", "1234", "phone"),  # not starting with 1
        ("worker", "13912345678", "12a4", "secret"),
        ("worker", "13912345678", "1234567", "secret"),
        ("manager", "13912345678", "short", "secret"),
    ],
)
async def test_create_user_refuses_bad_input_and_writes_nothing(db, role, phone, secret, field):
    with pytest.raises(ValidationFailed) as problem:
        await services.create_user(name="张三", phone=phone, role=Role(role), secret=secret)
    assert field in problem.value.errors
    assert await User.count() == 0


async def test_phone_numbers_are_unique_after_normalising(db):
    await factories.user("worker", phone="13912345678")
    with pytest.raises(ValidationFailed) as problem:
        await factories.user("worker", phone="+86 139-1234-5678")
    assert "phone" in problem.value.errors


async def test_sign_in_with_pin_and_audit_records_the_device(db):
    worker = await factories.user("worker", phone="13912345678", secret="2468")
    signed_in = await services.sign_in("139 1234 5678", "2468", "device-a")
    assert signed_in.id == worker.id
    entry = await AuditEntry.objects().where(AuditEntry.action == "sign_in").first()
    assert entry.actor == worker.id and entry.device == "device-a"


async def test_wrong_pin_is_refused_and_counted(db):
    await factories.user("worker", phone="13912345678", secret="2468")
    with pytest.raises(ValidationFailed) as problem:
        await services.sign_in("13912345678", "1111", "device-a")
    assert problem.value.errors["secret"][0] == "The phone number or the password/PIN is wrong."
    assert await SignInFailure.count() == 1


async def test_unknown_phone_gets_the_same_answer(db):
    with pytest.raises(ValidationFailed) as problem:
        await services.sign_in("13912345678", "1111", "device-a")
    assert problem.value.errors["secret"][0] == "The phone number or the password/PIN is wrong."


async def test_sixth_attempt_is_locked_even_with_the_right_pin(db):
    await factories.user("worker", phone="13912345678", secret="2468")
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            await services.sign_in("13912345678", "0000", "device-a")
    with pytest.raises(services.SignInLocked) as locked:
        await services.sign_in("13912345678", "2468", "device-b")
    assert locked.value.minutes == 15


async def test_a_device_trying_many_accounts_is_locked(db):
    target = await factories.user("worker", secret="2468")
    for n in range(5):
        with pytest.raises(ValidationFailed):
            await services.sign_in(f"1370000000{n}", "0000", "device-a")
    with pytest.raises(services.SignInLocked):
        await services.sign_in(target.phone, "2468", "device-a")
    # Another phone may still sign in to that account.
    assert (await services.sign_in(target.phone, "2468", "device-b")).id == target.id


async def test_failures_older_than_the_window_do_not_count(db):
    worker = await factories.user("worker", secret="2468")
    long_ago = datetime.now(UTC) - timedelta(minutes=16)
    await SignInFailure.insert(
        *[SignInFailure(phone=worker.phone, device="d", failed_at=long_ago) for _ in range(5)]
    )
    assert (await services.sign_in(worker.phone, "2468", "d")).id == worker.id
    assert await services.forget_old_sign_in_failures() == 0  # success cleared them


async def test_lock_reports_minutes_until_the_oldest_failure_ages_out(db):
    worker = await factories.user("worker", secret="2468")
    now = datetime.now(UTC)
    await SignInFailure.insert(
        *[SignInFailure(phone=worker.phone, device="d", failed_at=now - timedelta(minutes=m))
          for m in (12, 5, 4, 3, 2)]
    )
    with pytest.raises(services.SignInLocked) as locked:
        await services.sign_in(worker.phone, "2468", "other")
    assert locked.value.minutes == 3


async def test_disabled_people_cannot_sign_in(db):
    admin = await factories.user("admin")
    worker = await factories.user("worker", secret="2468")
    await services.disable_user(worker.id, by=admin, device="d")
    with pytest.raises(ValidationFailed):
        await services.sign_in(worker.phone, "2468", "d")
    assert await services.active_user(worker.id) is None


async def test_change_own_secret_checks_current_and_ends_other_sessions(db):
    worker = await factories.user("worker", secret="2468", must_change_secret=True)
    with pytest.raises(ValidationFailed) as problem:
        await services.change_own_secret(worker, current="0000", new="12", confirm="13", device="d")
    assert set(problem.value.errors) == {"current", "new"}
    with pytest.raises(ValidationFailed) as problem:
        await services.change_own_secret(worker, current="2468", new="9876", confirm="9875", device="d")
    assert set(problem.value.errors) == {"confirm"}
    changed = await services.change_own_secret(
        worker, current="2468", new="9876", confirm="9876", device="d"
    )
    assert changed.session_epoch == worker.session_epoch + 1
    assert not changed.must_change_secret
    assert await services.secret_matches(changed.secret_hash, "9876")


async def test_language_setting_accepts_only_offered_languages(db):
    worker = await factories.user("worker")
    with pytest.raises(ValidationFailed):
        await services.set_language(worker, "xx", "d")
    await services.set_language(worker, "en", "d")
    assert (await User.objects().get(User.id == worker.id)).language == "en"
