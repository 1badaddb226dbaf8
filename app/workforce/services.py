"""Workers: the real-name register, day rates and PINs.

Rules:
- A worker has a real name, an 11-digit phone (their sign-in) and an ID number that
  is stored only masked plus a keyed hash; the hash finds the same person again.
- Who may see a worker: admins and executives all; managers and supervisors the
  workers of their sites' crews; a foreman those of their own crews. Anyone else
  is told "not found". A foreman changing a worker of another crew is refused.
- A day rate applies from its date on; earlier days keep the earlier rate.
- A PIN reset makes a new 6-digit PIN, shown once; the worker must change it at
  their next sign-in, and any open session of theirs ends.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from app.accounts.services import check_name, check_phone, hash_secret
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.config import get_settings
from app.db import write_transaction
from app.errors import Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.sites.services import member_site_ids
from app.workforce import id_numbers
from app.workforce.tables import Crew, DayRate, Worker

PAGE_SIZE = 30
MAX_DAY_RATE = Decimal("10000")
SEES_ALL = {Role.admin.value, Role.executive.value}
SITE_STAFF = {Role.manager.value, Role.supervisor.value}


@dataclass(frozen=True)
class WorkerInput:
    name: str
    phone: str
    id_number: str | None  # None: keep the stored one
    crew_id: int | None
    trade: str
    day_rate: Decimal | None
    rate_from: date
    registered_on: date
    left_on: date | None


def _date(value: str, field: str, errors: dict, *, required: bool) -> date | None:
    if not value:
        if required:
            errors[field] = (N_("Enter a date."), {})
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = (N_("Enter a date as year-month-day."), {})
        return None


def _collect(errors: dict, check, *args):
    try:
        return check(*args)
    except ValidationFailed as problem:
        errors.update(problem.errors)
        return None


def parse_worker(form: dict[str, str], *, today: date, new: bool) -> WorkerInput:
    """One worker's fields from a form or a roster row; every problem at once."""
    errors: dict[str, tuple[str, dict]] = {}
    name = _collect(errors, check_name, form.get("name", ""))
    phone = _collect(errors, check_phone, form.get("phone", ""))
    id_number = None
    if new or form.get("id_number", "").strip():
        id_number = _collect(errors, id_numbers.check_id_number, form.get("id_number", ""))
    crew_id = None
    if form.get("crew"):
        try:
            crew_id = int(form["crew"])
        except ValueError:
            errors["crew"] = (N_("Choose a crew from the list."), {})
    day_rate = None
    if form.get("day_rate", "").strip():
        try:
            day_rate = Decimal(form["day_rate"].strip()).quantize(Decimal("0.01"))
            if not Decimal(0) < day_rate <= MAX_DAY_RATE:
                raise InvalidOperation
        except InvalidOperation:
            errors["day_rate"] = (N_("A day rate is an amount between 0 and 10,000 yuan."), {})
    rate_from = _date(form.get("rate_from", ""), "rate_from", errors, required=False) or today
    registered_on = (
        _date(form.get("registered_on", ""), "registered_on", errors, required=False) or today
    )
    left_on = _date(form.get("left_on", ""), "left_on", errors, required=False)
    if left_on and registered_on and left_on < registered_on:
        errors["left_on"] = (N_("Leaving comes after registering."), {})
    trade = form.get("trade", "").strip()[:50]
    if errors:
        raise ValidationFailed(errors)
    return WorkerInput(name, phone, id_number, crew_id, trade, day_rate, rate_from,
                       registered_on, left_on)


def _crews_of(viewer: User):
    """A subquery of the crew ids whose workers `viewer` may see."""
    if viewer.role in SEES_ALL:
        return Crew.select(Crew.id)
    if viewer.role in SITE_STAFF:
        return Crew.select(Crew.id).where(Crew.site.is_in(member_site_ids(viewer)))
    if viewer.role == Role.foreman.value:
        return Crew.select(Crew.id).where(Crew.foreman == viewer.id)
    return None


async def crews_for(viewer: User) -> list[dict]:
    crews = _crews_of(viewer)
    if crews is None:
        return []
    return await (
        Crew.select(Crew.id, Crew.name, Crew.trade, Crew.site.name.as_alias("site_name"))
        .where(Crew.id.is_in(crews))
        .order_by(Crew.site.name)
        .order_by(Crew.name)
    )


async def _check_crew(viewer: User, crew_id: int | None) -> None:
    if crew_id is None:
        if viewer.role not in SEES_ALL:
            raise ValidationFailed({"crew": (N_("Choose a crew from the list."), {})})
        return
    allowed = _crews_of(viewer)
    if allowed is None or not await Crew.exists().where((Crew.id == crew_id) & Crew.id.is_in(allowed)):
        raise ValidationFailed({"crew": (N_("Choose a crew from the list."), {})})


WORKER_COLUMNS = (
    Worker.id, Worker.trade, Worker.id_number_masked, Worker.registered_on, Worker.left_on,
    Worker.is_active, Worker.crew, Worker.crew.name.as_alias("crew_name"),
    Worker.crew.site.as_alias("site_id"), Worker.crew.site.name.as_alias("site_name"),
    Worker.account.as_alias("account_id"), Worker.account.name.as_alias("name"),
    Worker.account.phone.as_alias("phone"), Worker.account.must_change_secret.as_alias("pin_pending"),
)


def visible_workers(viewer: User):
    crews = _crews_of(viewer)
    if crews is None:
        return None
    if viewer.role in SEES_ALL:
        return Worker.id.is_not_null()
    return Worker.crew.is_in(crews)


async def search_workers(
    viewer: User, *, text: str = "", crew_id: int | None = None, site_id: int | None = None,
    page: int = 1,
) -> tuple[list[dict], int]:
    """A page of the workers `viewer` may see, and how many match in all."""
    where = visible_workers(viewer)
    if where is None:
        return [], 0
    text = text.strip()
    if text:
        like = f"%{text}%"
        where &= (
            Worker.account.name.like(like)
            | Worker.account.phone.like(like)
            | Worker.id_number_masked.like(f"%{text.upper()}")
        )
    if crew_id:
        where &= Worker.crew == crew_id
    if site_id:
        where &= Worker.crew.site == site_id
    total = await Worker.count().where(where)
    rows = await (
        Worker.select(*WORKER_COLUMNS)
        .where(where)
        .order_by(Worker.account.name)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    )
    return rows, total


async def worker_for(viewer: User, worker_id: int, *, to_change: bool = False) -> dict:
    where = visible_workers(viewer)
    row = None
    if where is not None:
        row = await Worker.select(*WORKER_COLUMNS).where(where & (Worker.id == worker_id)).first()
    if row is None:
        # A foreman may look up a worker of their site, but change only their own crew's.
        if to_change and viewer.role == Role.foreman.value and await _on_foremans_site(viewer, worker_id):
            raise Forbidden()
        raise NotFound()
    row["day_rates"] = await (
        DayRate.select(DayRate.amount, DayRate.effective_from)
        .where(DayRate.worker == worker_id)
        .order_by(DayRate.effective_from, ascending=False)
    )
    return row


async def _on_foremans_site(foreman: User, worker_id: int) -> bool:
    on_site = Worker.crew.site.is_in(member_site_ids(foreman))
    return await Worker.exists().where((Worker.id == worker_id) & on_site)


async def _duplicate_of(id_hash: str, phone: str, except_worker: int | None) -> dict[str, tuple]:
    errors: dict[str, tuple[str, dict]] = {}
    same_id = Worker.id_number_hash == id_hash
    if except_worker:
        same_id &= Worker.id != except_worker
    other = None
    if id_hash:
        other = await Worker.select(Worker.account.name.as_alias("name")).where(same_id).first()
    if other:
        errors["id_number"] = (
            N_("This ID number is already registered (%(name)s)."), {"name": other["name"]}
        )
    same_phone = User.phone == phone
    if except_worker:
        account = Worker.select(Worker.account).where(Worker.id == except_worker)
        same_phone &= User.id.not_in(account)
    if await User.exists().where(same_phone):
        errors["phone"] = (N_("Someone is already registered with this phone number."), {})
    return errors


async def register_worker(by: User, data: WorkerInput, *, device: str) -> int:
    await _check_crew(by, data.crew_id)
    id_hash = id_numbers.keyed_hash(data.id_number, get_settings().secret_key)
    async with write_transaction():
        if errors := await _duplicate_of(id_hash, data.phone, None):
            raise ValidationFailed(errors)
        # No PIN yet: the foreman sets one, so the worker cannot sign in before.
        account = User(name=data.name, phone=data.phone, role=Role.worker.value, secret_hash="",
                       created_by=by.id)
        await account.save()
        crew_trade = await Crew.select(Crew.trade).where(Crew.id == data.crew_id).first()
        worker = Worker(
            account=account.id, crew=data.crew_id,
            trade=data.trade or (crew_trade["trade"] if crew_trade else ""),
            id_number_masked=id_numbers.mask(data.id_number), id_number_hash=id_hash,
            registered_on=data.registered_on, left_on=data.left_on,
            is_active=data.left_on is None,
        )
        await worker.save()
        if data.day_rate is not None:
            await DayRate.insert(
                DayRate(worker=worker.id, amount=data.day_rate, effective_from=data.rate_from)
            )
        await audit.record("worker.register", actor=by, device=device, record_type="worker",
                           record_id=worker.id, site_id=await _site_of(data.crew_id))
    return worker.id


async def update_worker(by: User, worker_id: int, data: WorkerInput, *, device: str) -> None:
    current = await worker_for(by, worker_id, to_change=True)
    await _check_crew(by, data.crew_id)
    id_hash = id_numbers.keyed_hash(data.id_number, get_settings().secret_key) if data.id_number else ""
    async with write_transaction():
        if errors := await _duplicate_of(id_hash, data.phone, worker_id):
            raise ValidationFailed(errors)
        await User.update({User.name: data.name, User.phone: data.phone}).where(
            User.id == current["account_id"]
        )
        changes = {
            Worker.crew: data.crew_id, Worker.trade: data.trade,
            Worker.registered_on: data.registered_on, Worker.left_on: data.left_on,
            Worker.is_active: data.left_on is None or data.left_on >= date.today(),
        }
        if data.id_number:
            changes |= {Worker.id_number_masked: id_numbers.mask(data.id_number),
                        Worker.id_number_hash: id_hash}
        await Worker.update(changes).where(Worker.id == worker_id)
        latest = current["day_rates"][0] if current["day_rates"] else None
        if data.day_rate is not None and (
            latest is None or latest["amount"] != data.day_rate or latest["effective_from"] != data.rate_from
        ):
            await DayRate.delete().where(
                (DayRate.worker == worker_id) & (DayRate.effective_from == data.rate_from)
            )
            await DayRate.insert(
                DayRate(worker=worker_id, amount=data.day_rate, effective_from=data.rate_from)
            )
        await audit.record("worker.update", actor=by, device=device, record_type="worker",
                           record_id=worker_id, site_id=await _site_of(data.crew_id))


async def _site_of(crew_id: int | None) -> int | None:
    if crew_id is None:
        return None
    row = await Crew.select(Crew.site).where(Crew.id == crew_id).first()
    return row["site"] if row else None


async def day_rate_on(worker_id: int, day: date) -> Decimal | None:
    row = await (
        DayRate.select(DayRate.amount)
        .where((DayRate.worker == worker_id) & (DayRate.effective_from <= day))
        .order_by(DayRate.effective_from, ascending=False)
        .first()
    )
    return row["amount"] if row else None


async def reset_pin(by: User, worker_id: int, *, device: str) -> str:
    """A new PIN, returned once to show; only its hash is kept."""
    if by.role not in {Role.foreman.value, Role.supervisor.value, Role.manager.value, Role.admin.value}:
        raise Forbidden()
    worker = await worker_for(by, worker_id, to_change=True)
    pin = f"{secrets.randbelow(10**6):06d}"
    pin_hash = await hash_secret(pin)
    async with write_transaction():
        await User.update({
            User.secret_hash: pin_hash, User.must_change_secret: True,
            User.session_epoch: User.session_epoch + 1,
        }).where(User.id == worker["account_id"])
        await audit.record("worker.reset_pin", actor=by, device=device, record_type="worker",
                           record_id=worker_id, site_id=worker["site_id"])
    return pin
