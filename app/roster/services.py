"""Roster import: every row checked before anything is written, then one transaction.

Rules:
- Each row is checked as a worker registration would be (`parse_worker`), its crew
  named as in the importer's crew list, and against the other rows (a phone or an
  ID number twice in one file) and the register (a phone already used by another
  person).
- A row whose ID number is already registered updates that worker; only changed
  fields are written, so importing the same file again changes nothing.
- Nothing is written while any row has a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from app.accounts.tables import Role, User
from app.audit import services as audit
from app.config import get_settings
from app.db import write_transaction
from app.errors import DomainError, ValidationFailed
from app.i18n import N_
from app.workforce import id_numbers
from app.workforce.services import WorkerInput, crews_for, parse_worker
from app.workforce.tables import DayRate, Worker

CHUNK = 500


@dataclass(frozen=True)
class Problem:
    row: int  # as numbered in the spreadsheet (the header is row 1)
    column: str
    message: str
    params: dict


@dataclass
class Plan:
    problems: list[Problem] = field(default_factory=list)
    new: list[tuple[WorkerInput, str]] = field(default_factory=list)  # with the ID hash
    changed: list[tuple[int, int, WorkerInput]] = field(default_factory=list)  # worker, account
    unchanged: int = 0

    @property
    def clean(self) -> bool:
        return not self.problems


class RosterNotClean(DomainError):
    pass


async def _register_state() -> tuple[dict[str, dict], dict[str, int]]:
    """Existing workers by ID hash, and every account's id by phone: two queries."""
    workers = await Worker.select(
        Worker.id, Worker.id_number_hash, Worker.crew, Worker.trade, Worker.registered_on,
        Worker.account.as_alias("account_id"), Worker.account.name.as_alias("name"),
        Worker.account.phone.as_alias("phone"),
    ).where(Worker.id_number_hash != "")
    rates = await DayRate.select(DayRate.worker, DayRate.amount, DayRate.effective_from).order_by(
        DayRate.effective_from
    )
    latest = {rate["worker"]: rate["amount"] for rate in rates}
    by_hash = {w["id_number_hash"]: {**w, "rate": latest.get(w["id"])} for w in workers}
    phones = {row["phone"]: row["id"] for row in await User.select(User.id, User.phone)}
    return by_hash, phones


def _differs(current: dict, data: WorkerInput) -> bool:
    return (
        current["name"] != data.name or current["phone"] != data.phone
        or current["crew"] != data.crew_id or (data.trade and current["trade"] != data.trade)
        or (data.day_rate is not None and current["rate"] != data.day_rate)
    )


async def plan_import(viewer: User, rows: list[dict[str, str]], *, today: date) -> Plan:
    crews = await crews_for(viewer)
    crew_ids: dict[str, list[int]] = {}
    trade_of = {crew["id"]: crew["trade"] for crew in crews}
    for crew in crews:
        crew_ids.setdefault(crew["name"].strip(), []).append(crew["id"])
    by_hash, phones = await _register_state()
    secret_key = get_settings().secret_key
    plan = Plan()
    seen_phones: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        form = {**row, "crew": ""}
        matches = crew_ids.get(row.get("crew", "").strip(), [])
        row_problems = []
        if len(matches) == 1:
            form["crew"] = str(matches[0])
        else:
            message = (N_("Unknown crew: %(crew)s.") if not matches
                       else N_("Two crews are called %(crew)s; rename one first."))
            row_problems.append(Problem(number, "crew", message, {"crew": row.get("crew", "")}))
        try:
            data = parse_worker(form, today=today, new=True)
        except ValidationFailed as invalid:
            row_problems += [Problem(number, column, msg, params)
                             for column, (msg, params) in invalid.errors.items() if column != "crew"]
            plan.problems += row_problems
            continue
        id_hash = id_numbers.keyed_hash(data.id_number, secret_key)
        for seen, key, column in ((seen_phones, data.phone, "phone"), (seen_ids, id_hash, "id_number")):
            if key in seen:
                row_problems.append(Problem(number, column, N_("Same as row %(row)s."), {"row": seen[key]}))
            else:
                seen[key] = number
        current = by_hash.get(id_hash)
        owner = phones.get(data.phone)
        if owner is not None and (current is None or owner != current["account_id"]):
            row_problems.append(Problem(
                number, "phone", N_("Someone is already registered with this phone number."), {}
            ))
        if row_problems:
            plan.problems += row_problems
        elif current is None:
            plan.new.append((replace(data, trade=data.trade or trade_of[data.crew_id]), id_hash))
        elif _differs(current, data):
            plan.changed.append((current["id"], current["account_id"], data))
        else:
            plan.unchanged += 1
    return plan


async def import_roster(viewer: User, rows: list[dict[str, str]], *, today: date, device: str) -> Plan:
    """Checks again (the register may have changed since the preview), then writes all."""
    plan = await plan_import(viewer, rows, today=today)
    if not plan.clean:
        raise RosterNotClean(N_("The roster has problems; fix them and upload it again."))
    async with write_transaction():
        await _add_new(viewer, plan.new)
        for worker_id, account_id, data in plan.changed:
            await _update(worker_id, account_id, data)
        await audit.record(
            "roster.import", actor=viewer, device=device, record_type="roster", record_id=today,
            detail={"added": len(plan.new), "updated": len(plan.changed), "unchanged": plan.unchanged},
        )
    return plan


async def _add_new(viewer: User, new: list[tuple[WorkerInput, str]]) -> None:
    for start in range(0, len(new), CHUNK):
        chunk = new[start:start + CHUNK]
        await User.insert(*[
            User(name=d.name, phone=d.phone, role=Role.worker.value, secret_hash="", created_by=viewer.id)
            for d, _ in chunk
        ])
        accounts = await User.select(User.id, User.phone).where(User.phone.is_in([d.phone for d, _ in chunk]))
        account_of = {row["phone"]: row["id"] for row in accounts}
        await Worker.insert(*[
            Worker(account=account_of[d.phone], crew=d.crew_id, trade=d.trade,
                   id_number_masked=id_numbers.mask(d.id_number), id_number_hash=id_hash,
                   registered_on=d.registered_on)
            for d, id_hash in chunk
        ])
        rated = [(d, id_hash) for d, id_hash in chunk if d.day_rate is not None]
        if rated:
            workers = await Worker.select(Worker.id, Worker.id_number_hash).where(
                Worker.id_number_hash.is_in([id_hash for _, id_hash in rated])
            )
            worker_of = {row["id_number_hash"]: row["id"] for row in workers}
            await DayRate.insert(*[
                DayRate(worker=worker_of[id_hash], amount=d.day_rate, effective_from=d.rate_from)
                for d, id_hash in rated
            ])


async def _update(worker_id: int, account_id: int, data: WorkerInput) -> None:
    await User.update({User.name: data.name, User.phone: data.phone}).where(User.id == account_id)
    changes: dict = {Worker.crew: data.crew_id}
    if data.trade:
        changes[Worker.trade] = data.trade
    await Worker.update(changes).where(Worker.id == worker_id)
    if data.day_rate is not None:
        same_day = (DayRate.worker == worker_id) & (DayRate.effective_from == data.rate_from)
        await DayRate.delete().where(same_day)
        await DayRate.insert(DayRate(worker=worker_id, amount=data.day_rate, effective_from=data.rate_from))


