"""Roster import: every row checked before anything is written, then one transaction.

Rules:
- Each row is checked as a worker registration is (`parse_worker`); its crew is named
  as in the importer's own crew list. Within the file a phone number or an ID number
  may appear once. A phone number of another person already registered is refused.
- A row whose ID number is already registered updates that worker, if the importer
  may change them (a foreman only their own crews' workers). Only what differs is
  written: a blank trade, day rate or registered-on date keeps the stored one; a new
  day rate applies from the day of the import. Importing the same file again
  therefore changes nothing, and writes nothing.
- Nothing is written while any row has a problem. The register is checked again at
  import time, since it may have changed since the preview.
- One audit entry per import, with the counts.
- An upload is kept between preview and import under DATA_DIR/imports/<token>, for
  its uploader only, and for a day at most.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from app.accounts.services import normalise_phone
from app.accounts.tables import Role, User
from app.audit import services as audit
from app.config import get_settings
from app.db import current_engine, write_transaction
from app.errors import DomainError, NotFound, ValidationFailed
from app.i18n import N_
from app.roster.parsing import RosterRow
from app.workforce import id_numbers
from app.workforce.services import SEES_ALL, WorkerInput, crews_for, parse_worker
from app.workforce.tables import Crew, DayRate, Worker

# Rows per INSERT: well under the bound variables SQLite and PostgreSQL allow.
CHUNK = 500
KEEP_UPLOAD_S = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Problem:
    column: str
    message: str  # msgid
    params: dict
    value: str  # what the cell holds, to find it again


@dataclass(frozen=True)
class RowProblems:
    line: int
    name: str
    problems: list[Problem]


@dataclass(frozen=True)
class Change:
    worker_id: int
    account_id: int
    crew_id: int
    account: dict  # User column name -> new value
    worker: dict  # Worker column name -> new value
    day_rate: Decimal | None


@dataclass
class Plan:
    rows: int = 0
    problems: list[RowProblems] = field(default_factory=list)
    new: list[tuple[WorkerInput, str]] = field(default_factory=list)  # with the ID hash
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def clean(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {"rows": self.rows, "added": len(self.new), "updated": len(self.changed),
                "unchanged": self.unchanged, "problem_rows": len(self.problems)}


class RosterNotClean(DomainError):
    def __init__(self, plan: Plan) -> None:
        super().__init__(N_("Nothing was imported: checked again just now, some rows have problems."))
        self.plan = plan


async def _register(today: date) -> tuple[dict[str, dict], dict[str, int]]:
    """Workers by ID hash with today's day rate, and account ids by phone: three queries."""
    workers = await Worker.select(
        Worker.id, Worker.id_number_hash, Worker.crew, Worker.trade, Worker.registered_on,
        Worker.account.as_alias("account_id"), Worker.account.name.as_alias("name"),
        Worker.account.phone.as_alias("phone"),
    ).where(Worker.id_number_hash != "")
    rate_now: dict[int, Decimal] = {}
    for rate in await DayRate.select(DayRate.worker, DayRate.amount).where(
        DayRate.effective_from <= today
    ).order_by(DayRate.effective_from):
        rate_now[rate["worker"]] = rate["amount"]
    by_hash = {w["id_number_hash"]: {**w, "rate": rate_now.get(w["id"])} for w in workers}
    phones = {row["phone"]: row["id"] for row in await User.select(User.id, User.phone)}
    return by_hash, phones


def _changes(current: dict, data: WorkerInput, given: dict[str, str]) -> Change | None:
    account = {key: new for key, new in (("name", data.name), ("phone", data.phone))
               if current[key] != new}
    worker = {}
    if current["crew"] != data.crew_id:
        worker["crew"] = data.crew_id
    if data.trade and current["trade"] != data.trade:
        worker["trade"] = data.trade
    if given.get("registered_on", "").strip() and current["registered_on"] != data.registered_on:
        worker["registered_on"] = data.registered_on
    day_rate = data.day_rate if data.day_rate is not None and current["rate"] != data.day_rate else None
    if not (account or worker or day_rate is not None):
        return None
    return Change(current["id"], current["account_id"], data.crew_id, account, worker, day_rate)


def _shown(column: str, value: str) -> str:
    # The ID number is shown masked even back to its uploader: previews are kept on disk.
    if column == "id_number":
        number = id_numbers.normalise(value)
        return id_numbers.mask(number) if len(number) >= 8 else ""
    return value[:100]


async def plan_import(viewer: User, rows: list[RosterRow], *, today: date) -> Plan:
    """What importing `rows` would do, and every problem in them; writes nothing."""
    crews = await crews_for(viewer)
    crew_ids: dict[str, list[int]] = {}
    for crew in crews:
        crew_ids.setdefault(crew["name"].strip(), []).append(crew["id"])
    trade_of = {crew["id"]: crew["trade"] for crew in crews}
    own_crews = set(trade_of)
    may_change_any = viewer.role in SEES_ALL
    by_hash, phones = await _register(today)
    secret_key = get_settings().secret_key
    plan = Plan(rows=len(rows))
    line_of_phone: dict[str, int] = {}
    line_of_id: dict[str, int] = {}

    for row in rows:
        given = row.fields
        found: dict[str, tuple[str, dict]] = {}
        crew_name = given.get("crew", "").strip()
        matches = crew_ids.get(crew_name, [])
        if not crew_name:
            found["crew"] = (N_("Enter the crew's name."), {})
        elif not matches:
            found["crew"] = (N_("None of your crews has this name."), {})
        elif len(matches) > 1:
            found["crew"] = (N_("Two of your crews have this name; rename one first."), {})
        form = {**given, "crew": str(matches[0]) if len(matches) == 1 else ""}
        data = None
        try:
            data = parse_worker(form, today=today, new=True)
        except ValidationFailed as invalid:
            found |= {column: problem for column, problem in invalid.errors.items() if column != "crew"}

        # Duplicates within the file, also on rows with other problems.
        phone = data.phone if data else ("" if "phone" in found else normalise_phone(given["phone"]))
        id_hash = ""
        if "id_number" not in found:
            id_hash = id_numbers.keyed_hash(data.id_number if data else given["id_number"], secret_key)
        if phone in line_of_phone:
            found["phone"] = (N_("The same phone number as row %(row)s."), {"row": line_of_phone[phone]})
        elif phone:
            line_of_phone[phone] = row.line
        if id_hash in line_of_id:
            found["id_number"] = (N_("The same ID number as row %(row)s."), {"row": line_of_id[id_hash]})
        elif id_hash:
            line_of_id[id_hash] = row.line

        current = by_hash.get(id_hash) if id_hash else None
        if current and not (may_change_any or current["crew"] in own_crews):
            found["id_number"] = (N_("This worker is registered in a crew you do not manage."), {})
        owner = phones.get(phone)
        if "phone" not in found and owner is not None and (current is None or owner != current["account_id"]):
            found["phone"] = (N_("Someone is already registered with this phone number."), {})

        if found or data is None:
            plan.problems.append(RowProblems(row.line, given.get("name", "")[:100], [
                Problem(column, message, params, _shown(column, given.get(column, "")))
                for column, (message, params) in found.items()
            ]))
        elif current is None:
            # As a single registration does: no trade given means the crew's trade.
            trade = data.trade or trade_of[data.crew_id]
            plan.new.append((replace(data, trade=trade), id_hash))
        elif change := _changes(current, data, given):
            plan.changed.append(change)
        else:
            plan.unchanged += 1
    return plan


async def import_roster(
    viewer: User, rows: list[RosterRow], *, today: date, device: str, upload: str = ""
) -> Plan:
    """Checks the rows again, then writes them all in one transaction, or nothing."""
    async with write_transaction():
        # Checked inside the transaction, with other imports held off: a second tap on
        # "import" finds the workers the first one added, and changes nothing.
        await _one_import_at_a_time()
        plan = await plan_import(viewer, rows, today=today)
        if not plan.clean:
            raise RosterNotClean(plan)
        if not (plan.new or plan.changed):
            return plan
        if plan.new:
            await _add(viewer, plan.new)
        await _update(plan.changed, today)
        await audit.record(
            "roster.import", actor=viewer, device=device, record_type="roster",
            record_id=upload or today.isoformat(), site_id=await _one_site(plan),
            detail=plan.summary(),
        )
    return plan


async def _one_import_at_a_time() -> None:
    # SQLite's write transaction is already exclusive; PostgreSQL's is not.
    if isinstance(current_engine(), PostgresEngine):
        await Worker.raw("SELECT pg_advisory_xact_lock(hashtext('roster.import'))")


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def _insert(table: type[Table], rows: list[dict]) -> None:
    """Many rows in one INSERT per chunk.

    `Table.insert(*objects)` builds every row as an object and renders it on its own:
    for 10,000 workers that alone took most of the 10 s budget (bench/roster.py).
    """
    columns = [table._meta.get_column_by_name(name)._meta.db_column_name for name in rows[0]]
    one_row = "(" + ", ".join(["{}"] * len(columns)) + ")"
    # Names from the table's definition; every value is a bound parameter.
    head = f'INSERT INTO "{table._meta.tablename}" ({", ".join(columns)}) VALUES '  # noqa: S608
    for chunk in _chunks(rows):
        await table.raw(head + ", ".join([one_row] * len(chunk)), *[v for row in chunk for v in row.values()])


async def _add(viewer: User, new: list[tuple[WorkerInput, str]]) -> None:
    now = datetime.now(UTC)
    # No PIN yet: the foreman sets one, so nobody can sign in as the worker before.
    await _insert(User, [
        {"name": data.name, "phone": data.phone, "role": Role.worker.value, "secret_hash": "",
         "must_change_secret": False, "language": "", "is_active": True, "session_epoch": 0,
         "created_at": now, "created_by": viewer.id}
        for data, _ in new
    ])
    account_of = {}
    for chunk in _chunks([data.phone for data, _ in new]):
        account_of |= {row["phone"]: row["id"] for row in await User.select(User.id, User.phone).where(
            User.phone.is_in(chunk))}
    await _insert(Worker, [
        {"account": account_of[data.phone], "crew": data.crew_id, "trade": data.trade,
         "id_number_masked": id_numbers.mask(data.id_number), "id_number_hash": id_hash,
         "registered_on": data.registered_on, "left_on": None, "is_active": True}
        for data, id_hash in new
    ])
    rated = [(data, id_hash) for data, id_hash in new if data.day_rate is not None]
    worker_of = {}
    for chunk in _chunks([id_hash for _, id_hash in rated]):
        worker_of |= {row["id_number_hash"]: row["id"] for row in await Worker.select(
            Worker.id, Worker.id_number_hash).where(Worker.id_number_hash.is_in(chunk))}
    if rated:
        await _insert(DayRate, [
            {"worker": worker_of[id_hash], "amount": data.day_rate, "effective_from": data.rate_from}
            for data, id_hash in rated
        ])


async def _update(changed: list[Change], today: date) -> None:
    # Names and phones differ per person: one statement each, for the few that changed.
    for change in changed:
        if change.account:
            await User.update(change.account).where(User.id == change.account_id)
    # Worker fields mostly change alike (a crew moved, a date fixed): one statement per kind.
    alike: dict[tuple, list[int]] = {}
    for change in changed:
        if change.worker:
            alike.setdefault(tuple(sorted(change.worker.items())), []).append(change.worker_id)
    for values, worker_ids in alike.items():
        for ids in _chunks(worker_ids):
            await Worker.update(dict(values)).where(Worker.id.is_in(ids))
    rated = [change for change in changed if change.day_rate is not None]
    for chunk in _chunks(rated):
        # A second change on the same day replaces the first.
        await DayRate.delete().where(
            DayRate.worker.is_in([change.worker_id for change in chunk]) & (DayRate.effective_from == today)
        )
        await _insert(DayRate, [
            {"worker": change.worker_id, "amount": change.day_rate, "effective_from": today}
            for change in chunk
        ])


async def _one_site(plan: Plan) -> int | None:
    """The import's site for the audit log, when all its crews are on one."""
    crew_ids = {data.crew_id for data, _ in plan.new} | {change.crew_id for change in plan.changed}
    sites = {row["site"] for row in await Crew.select(Crew.site).where(Crew.id.is_in(list(crew_ids)))}
    return sites.pop() if len(sites) == 1 else None


# Uploads kept between the preview and the import.

def _imports() -> Path:
    path = get_settings().data_dir / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _folder(owner: User, token: str) -> Path:
    """The upload's folder; someone else's, or an unknown token, is not found."""
    folder = _imports() / token if _TOKEN.match(token) else None
    try:
        meta = json.loads((folder / "meta.json").read_text()) if folder else None
    except (OSError, ValueError):
        meta = None
    if not meta or meta.get("owner") != owner.id:
        raise NotFound()
    return folder


def keep_upload(owner: User, content: bytes, filename: str, rows: list[RosterRow]) -> str:
    """Keeps the file, and its rows as read: reading a large xlsx again costs seconds."""
    _sweep()
    token = secrets.token_hex(16)
    folder = _imports() / token
    folder.mkdir(mode=0o700)
    (folder / "upload").write_bytes(content)
    as_read = [[row.line, row.fields] for row in rows]
    (folder / "rows.json").write_text(json.dumps(as_read, ensure_ascii=False))
    (folder / "meta.json").write_text(json.dumps({"owner": owner.id, "filename": filename[-100:]}))
    return token


def stored_rows(owner: User, token: str) -> list[RosterRow]:
    rows = json.loads((_folder(owner, token) / "rows.json").read_text())
    return [RosterRow(line, fields) for line, fields in rows]


def keep_preview(owner: User, token: str, plan: Plan) -> None:
    """The plan's counts and problems, so that paging does not read the file again."""
    preview = {"summary": plan.summary(), "problems": [asdict(row) for row in plan.problems]}
    (_folder(owner, token) / "preview.json").write_text(json.dumps(preview, ensure_ascii=False))


def stored_preview(owner: User, token: str) -> dict:
    try:
        return json.loads((_folder(owner, token) / "preview.json").read_text())
    except OSError:
        raise NotFound() from None


def discard_upload(owner: User, token: str) -> None:
    shutil.rmtree(_folder(owner, token), ignore_errors=True)


def _sweep() -> None:
    # Uploads nobody imported: a roster holds ID numbers in clear, so none lingers.
    too_old = time.time() - KEEP_UPLOAD_S
    for folder in _imports().iterdir():
        if folder.is_dir() and folder.stat().st_mtime < too_old:
            shutil.rmtree(folder, ignore_errors=True)
