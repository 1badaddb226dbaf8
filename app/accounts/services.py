"""Accounts: creating people, signing in with a password or PIN, the lock-out.

Rules:
- Staff sign in with their phone number and a password (at least 8 characters);
  workers with their phone number and a PIN of 4 to 6 digits.
- After SIGN_IN_MAX_FAILURES failed attempts within SIGN_IN_WINDOW_MINUTES, for the
  account or from the device, sign-in is refused until the oldest of them ages out,
  even with the right secret.
- Disabling a person or changing their secret ends all their sessions
  (the session epoch changes).
"""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.accounts.tables import Role, SignInFailure, User
from app.audit import services as audit
from app.config import get_settings
from app.db import write_transaction
from app.errors import DomainError, NotFound, ValidationFailed, invalid
from app.i18n import LANGUAGES, N_

PHONE = re.compile(r"^1\d{10}$")
PIN = re.compile(r"^\d{4,6}$")
MIN_PASSWORD = 8
MAX_SECRET = 128
MAX_NAME = 100


class SignInLocked(DomainError):
    def __init__(self, minutes: int) -> None:
        super().__init__(
            N_("Too many failed attempts. Try again in %(minutes)s minutes."), minutes=minutes
        )
        self.minutes = minutes


@cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )


async def hash_secret(secret: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher().hash, secret)


async def secret_matches(secret_hash: str, secret: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher().verify, secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def normalise_phone(phone: str) -> str:
    """Spaces and dashes dropped; a +86 or 0086 country prefix removed."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    return digits


def check_phone(phone: str, field: str = "phone") -> str:
    phone = normalise_phone(phone)
    if not phone:
        raise invalid(field, N_("Enter the phone number."))
    if not PHONE.match(phone):
        raise invalid(field, N_("A phone number has 11 digits and starts with 1."))
    return phone


def check_secret(role: str, secret: str, field: str = "secret") -> str:
    if role == Role.worker:
        if not PIN.match(secret or ""):
            raise invalid(field, N_("The PIN is 4 to 6 digits."))
    elif not (MIN_PASSWORD <= len(secret or "") <= MAX_SECRET):
        raise invalid(
            field, N_("The password needs at least %(count)s characters."), count=MIN_PASSWORD
        )
    return secret


def check_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise invalid(field, N_("Enter the name."))
    if len(name) > MAX_NAME:
        raise invalid(field, N_("At most %(count)s characters."), count=MAX_NAME)
    return name


async def active_user(user_id: int) -> User | None:
    return await User.objects().where((User.id == user_id) & (User.is_active == True)).first()  # noqa: E712


async def create_user(
    *,
    name: str,
    phone: str,
    role: Role,
    secret: str,
    created_by: User | None = None,
    must_change_secret: bool = False,
) -> User:
    name, phone = check_name(name), check_phone(phone)
    check_secret(role.value, secret)
    secret_hash = await hash_secret(secret)
    async with write_transaction():
        if await User.exists().where(User.phone == phone):
            raise invalid("phone", N_("Someone is already registered with this phone number."))
        user = User(
            name=name,
            phone=phone,
            role=role.value,
            secret_hash=secret_hash,
            must_change_secret=must_change_secret,
            created_by=created_by.id if created_by else None,
        )
        await user.save()
        await audit.record(
            "user.create", actor=created_by, record_type="user", record_id=user.id,
            detail={"role": role.value},
        )
    return user


async def _lock_minutes(phone: str, device: str, now: datetime) -> int:
    """Minutes until the account or the device may try again; 0 if it may now."""
    settings = get_settings()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    since = now - window
    waits = []
    for column, key in ((SignInFailure.phone, phone), (SignInFailure.device, device)):
        if not key:
            continue
        recent = (column == key) & (SignInFailure.failed_at > since)
        if await SignInFailure.count().where(recent) >= settings.sign_in_max_failures:
            oldest = (
                await SignInFailure.select(SignInFailure.failed_at)
                .where(recent)
                .order_by(SignInFailure.failed_at)
                .first()
            )
            waits.append((oldest["failed_at"] + window - now).total_seconds())
    return max(1, math.ceil(max(waits) / 60)) if waits else 0


async def sign_in(phone: str, secret: str, device: str) -> User:
    """The user whose phone and secret these are; refuses locked accounts and devices."""
    phone = normalise_phone(phone)
    errors: dict[str, tuple[str, dict]] = {}
    if not phone:
        errors["phone"] = (N_("Enter the phone number."), {})
    elif not PHONE.match(phone):
        errors["phone"] = (N_("A phone number has 11 digits and starts with 1."), {})
    if not secret:
        errors["secret"] = (N_("Enter the password or PIN."), {})
    if errors:
        raise ValidationFailed(errors)
    now = datetime.now(UTC)
    if minutes := await _lock_minutes(phone, device, now):
        raise SignInLocked(minutes)
    user = await User.objects().where(User.phone == phone).first()
    # Verify even for unknown phones so the answer takes as long either way.
    matches = await secret_matches(user.secret_hash if user else _dummy_hash(), secret)
    if user is None or not matches or not user.is_active:
        async with write_transaction():
            await SignInFailure.insert(SignInFailure(phone=phone, device=device, failed_at=now))
            if user:
                await audit.record(
                    "sign_in.failed", actor=user, device=device, record_type="user",
                    record_id=user.id,
                )
        raise invalid("secret", N_("The phone number or the password/PIN is wrong."))
    async with write_transaction():
        await SignInFailure.delete().where(SignInFailure.phone == phone)
        await audit.record(
            "sign_in", actor=user, device=device, record_type="user", record_id=user.id
        )
    return user


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a real secret")


async def sign_out(user: User, device: str) -> None:
    await audit.record("sign_out", actor=user, device=device, record_type="user", record_id=user.id)


async def change_own_secret(
    user: User, *, current: str, new: str, confirm: str, device: str
) -> User:
    errors: dict[str, tuple[str, dict]] = {}
    if not await secret_matches(user.secret_hash, current or ""):
        errors["current"] = (N_("This is not your current password/PIN."), {})
    try:
        check_secret(user.role, new, "new")
    except ValidationFailed as problem:
        errors.update(problem.errors)
    if "new" not in errors and new != confirm:
        errors["confirm"] = (N_("The two entries differ."), {})
    if errors:
        raise ValidationFailed(errors)
    secret_hash = await hash_secret(new)
    async with write_transaction():
        await User.update(
            {
                User.secret_hash: secret_hash,
                User.must_change_secret: False,
                User.session_epoch: User.session_epoch + 1,
            }
        ).where(User.id == user.id)
        await audit.record(
            "user.change_secret", actor=user, device=device, record_type="user", record_id=user.id
        )
    return await User.objects().get(User.id == user.id)


async def set_language(user: User, language: str, device: str) -> None:
    """"" means: follow the browser."""
    if language and language not in LANGUAGES:
        raise invalid("language", N_("Choose one of the offered languages."))
    async with write_transaction():
        await User.update({User.language: language}).where(User.id == user.id)
        await audit.record(
            "user.language", actor=user, device=device, record_type="user", record_id=user.id,
            detail={"language": language},
        )


async def disable_user(user_id: int, *, by: User, device: str) -> None:
    async with write_transaction():
        if not await User.exists().where(User.id == user_id):
            raise NotFound()
        await User.update(
            {User.is_active: False, User.session_epoch: User.session_epoch + 1}
        ).where(User.id == user_id)
        await audit.record(
            "user.disable", actor=by, device=device, record_type="user", record_id=user_id
        )


async def forget_old_sign_in_failures() -> int:
    """Failures older than the window no longer count; drop them."""
    cutoff = datetime.now(UTC) - timedelta(minutes=get_settings().sign_in_window_minutes)
    async with write_transaction():
        old = await SignInFailure.count().where(SignInFailure.failed_at < cutoff)
        await SignInFailure.delete().where(SignInFailure.failed_at < cutoff)
    return old
