"""Remembered phones: a long-lived credential that binds a phone to one worker.

A worker identifies once on a phone (phone number + PIN, or the foreman's approval in
person); the phone then keeps a random secret in an httpOnly cookie, stored here only
as a hash. Check-ins and queued sends authenticate with it, since a session may have
expired by the time an offline tap is sent. Supervisors revoke it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from app.accounts import services as accounts
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.checkin.tables import DeviceStatus, WorkerDevice
from app.db import fetch, placeholders, quick_reads, write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed, invalid
from app.i18n import N_
from app.workforce.services import visible_workers, worker_for
from app.workforce.tables import Worker

COOKIE = "fp_phone"
# Browsers cap cookie lifetimes at 400 days.
COOKIE_MAX_AGE = 400 * 24 * 3600
MAX_PENDING = 3

# The phone, its worker and the worker's whole account in one read: a remembered phone
# signs its worker in with nothing more. Written out once as SQL because it runs on
# every request a phone makes, and building the join through the ORM costs more than
# running it. `questions_waiting` (an index probe) spares the check-in screen the
# query for "fixed?" questions when, as on nearly every tap, there are none.
_DEVICE_READ = (  # noqa: S608 (names from the table definitions; values travel as parameters)
    "SELECT d.id, d.status, d.worker, d.label, d.last_poster, d.created_at, d.last_seen_at,"
    " w.is_active AS worker_active, c.site AS home_site, {account},"
    " EXISTS (SELECT 1 FROM fixed_question q WHERE q.reporter = u.id AND q.answer = '')"
    " AS questions_waiting"
    " FROM worker_device d JOIN worker w ON w.id = d.worker LEFT JOIN {users} u ON u.id = w.account"
    " LEFT JOIN crew c ON c.id = w.crew WHERE "
).format(
    account=", ".join(
        f'u."{column._meta.db_column_name}" AS "account__{column._meta.name}"'
        for column in User._meta.columns
    ),
    users=f'"{User._meta.tablename}"',
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def label_from(user_agent: str) -> str:
    """A short, human label for the phone (shown to the foreman and supervisor)."""
    text = " ".join(user_agent.split())
    if "(" in text and ")" in text:
        text = text[text.index("(") + 1 : text.index(")")]
    return text[:120]


async def device_by_secret(secret: str | None) -> dict | None:
    if not secret or len(secret) > 100:
        return None
    with quick_reads():
        rows = await _devices("d.secret_hash = {}", _hash(secret))
    return rows[0] if rows else None


async def device_by_id(device_id: int) -> dict | None:
    rows = await _devices("d.id = {}", device_id)
    return rows[0] if rows else None


async def _devices(condition: str, *values: object) -> list[dict]:
    """Phones as `_DEVICE_READ` reads them; `condition` is SQL with {} for each value."""
    return await fetch(_DEVICE_READ + condition, *values)


_ACCOUNT_FIELDS = tuple((f"account__{column._meta.name}", column._meta.name) for column in User._meta.columns)


def account_of(device: dict) -> User:
    """The worker's account, as read with the phone.

    Filled in as a loaded row is, without the constructor's round of defaults and
    checks for each column: `_DEVICE_READ` reads every column, and this runs on
    every tap.
    """
    user = User.__new__(User)
    user.__dict__.update({name: device[field] for field, name in _ACCOUNT_FIELDS})
    user._exists_in_db = True
    user._was_created = None
    return user


def may_check_in(device: dict | None) -> bool:
    return bool(
        device
        and device["status"] == DeviceStatus.active
        and device["worker_active"]
        and device["account__is_active"]
    )


async def _bind(worker_id: int, label: str, status: DeviceStatus, decided_by: int | None) -> tuple[int, str]:
    secret = secrets.token_urlsafe(32)
    device = WorkerDevice(
        worker=worker_id, secret_hash=_hash(secret), label=label, status=status, decided_by=decided_by
    )
    await device.save()
    return device.id, secret


async def _worker_of_account(user: User) -> dict:
    worker = await Worker.select(Worker.id, Worker.is_active).where(Worker.account == user.id).first()
    if user.role != Role.worker.value or worker is None:
        raise invalid("phone", N_("Only workers check in with a phone. Staff sign in as usual."))
    if not worker["is_active"]:
        raise Forbidden(N_("Your account is disabled. Ask your foreman."))
    return worker


async def identify(phone: str, pin: str, *, fingerprint: str, label: str) -> tuple[User, str]:
    """Phone number + PIN once; the phone is then remembered. Locks out like sign-in."""
    user = await accounts.sign_in(phone, pin, fingerprint)
    worker = await _worker_of_account(user)
    async with write_transaction():
        device_id, secret = await _bind(worker["id"], label, DeviceStatus.active, None)
        await audit.record(
            "device.identify",
            actor=user,
            device=fingerprint,
            record_type="worker",
            record_id=worker["id"],
            detail={"phone_id": device_id},
        )
    return user, secret


async def request_approval(phone: str, *, fingerprint: str, label: str) -> str:
    """No PIN at hand: the foreman approves this phone in person from their to-do list."""
    phone = accounts.normalise_phone(phone)
    if not phone:
        raise ValidationFailed({"phone": (N_("Enter the phone number."), {})})
    user = await User.objects().where(User.phone == phone).first()
    if user is None:
        raise invalid("phone", N_("No worker is registered with this phone number. Ask your foreman."))
    worker = await _worker_of_account(user)
    async with write_transaction():
        pending = (
            await WorkerDevice.select(WorkerDevice.id)
            .where((WorkerDevice.worker == worker["id"]) & (WorkerDevice.status == DeviceStatus.pending))
            .order_by(WorkerDevice.id, ascending=False)
        )
        if len(pending) >= MAX_PENDING:
            # Only the newest few requests wait; older ones are withdrawn.
            old = [row["id"] for row in pending[MAX_PENDING - 1 :]]
            await WorkerDevice.update({WorkerDevice.status: DeviceStatus.revoked}).where(
                WorkerDevice.id.is_in(old)
            )
        device_id, secret = await _bind(worker["id"], label, DeviceStatus.pending, None)
        await audit.record(
            "device.request",
            actor=user,
            device=fingerprint,
            record_type="worker",
            record_id=worker["id"],
            detail={"phone_id": device_id},
        )
    return secret


async def _device_for(viewer: User, device_id: int) -> dict:
    device = await device_by_id(device_id)
    if device is None:
        raise NotFound()
    await worker_for(viewer, device["worker"])  # 404 for workers the viewer may not see
    return device


async def decide(viewer: User, device_id: int, status: DeviceStatus, *, fingerprint: str) -> dict:
    """Approve a waiting phone, or revoke a phone (waiting or active)."""
    device = await _device_for(viewer, device_id)
    if status == DeviceStatus.active and device["status"] != DeviceStatus.pending:
        raise invalid("device", N_("This phone is no longer waiting for approval."))
    foreman = viewer.role == Role.foreman.value
    if status == DeviceStatus.revoked and foreman and device["status"] != DeviceStatus.pending:
        raise Forbidden(N_("Only a site supervisor can unlink a phone."))
    async with write_transaction():
        await WorkerDevice.update({WorkerDevice.status: status, WorkerDevice.decided_by: viewer.id}).where(
            WorkerDevice.id == device_id
        )
        action = "device.approve" if status == DeviceStatus.active else "device.revoke"
        await audit.record(
            action,
            actor=viewer,
            device=fingerprint,
            record_type="worker",
            record_id=device["worker"],
            detail={"phone_id": device_id},
        )
    return {**device, "status": status}


def _waiting(viewer: User):
    workers = visible_workers(viewer)
    if workers is None:
        return None
    return (WorkerDevice.status == DeviceStatus.pending) & WorkerDevice.worker.is_in(
        Worker.select(Worker.id).where(workers)
    )


async def waiting_for(viewer: User) -> list[dict]:
    where = _waiting(viewer)
    if where is None:
        return []
    ids = [
        row["id"]
        for row in await WorkerDevice.select(WorkerDevice.id)
        .where(where)
        .order_by(WorkerDevice.id)
        .limit(100)
    ]
    if not ids:
        return []
    return await _devices(f"d.id IN ({placeholders(len(ids))}) ORDER BY d.id", *ids)


async def count_waiting(viewer: User) -> int:
    where = _waiting(viewer)
    return 0 if where is None else await WorkerDevice.count().where(where)


async def phones_of(worker_id: int) -> list[dict]:
    return await _devices(
        "d.worker = {} AND d.status != {} ORDER BY d.id DESC", worker_id, DeviceStatus.revoked.value
    )


async def forget(device_id: int, by: User) -> None:
    """The worker signed out on this phone: it must identify again next time."""
    forgotten = {WorkerDevice.status: DeviceStatus.revoked, WorkerDevice.decided_by: by.id}
    await WorkerDevice.update(forgotten).where(WorkerDevice.id == device_id)


async def touch(device_id: int, poster_id: int, now: datetime | None = None) -> None:
    await fetch(
        "UPDATE worker_device SET last_seen_at = {}, last_poster = {} WHERE id = {}",
        now or datetime.now(UTC),
        poster_id,
        device_id,
    )
