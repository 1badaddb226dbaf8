"""Planning and importing a roster: problems found, counts, updates, one transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.accounts.tables import User
from app.audit.tables import AuditEntry
from app.roster import services
from app.roster.parsing import read_roster
from app.workforce.tables import DayRate, Worker
from tests import factories
from tests.roster.sheets import CREW, csv, id_number, phone, worker_rows, wrong_check_digit

TODAY = date(2026, 3, 1)


def rows_of(rows: list[list]):
    return read_roster(csv(rows), "r.csv")


async def imports_audited() -> int:
    return await AuditEntry.count().where(AuditEntry.action == "roster.import")


def problems_of(plan) -> dict[int, dict[str, str]]:
    return {row.line: {p.column: p.message % p.params for p in row.problems} for row in plan.problems}


async def test_a_clean_file_adds_every_worker_with_one_audit_entry(manager, crew):
    plan = await services.import_roster(manager, rows_of(worker_rows(3)), today=TODAY, device="d")
    assert plan.summary() == {"rows": 3, "added": 3, "updated": 0, "unchanged": 0, "problem_rows": 0}
    workers = await Worker.select(
        Worker.trade, Worker.crew, Worker.id_number_masked, Worker.id_number_hash, Worker.registered_on,
        Worker.account.role.as_alias("role"), Worker.account.secret_hash.as_alias("secret_hash"),
    )
    assert len(workers) == 3
    assert {(w["trade"], w["crew"], w["role"], w["secret_hash"]) for w in workers} == {
        ("钢筋工", crew.id, "worker", "")
    }
    assert all(w["id_number_masked"].count("*") == 10 and len(w["id_number_hash"]) == 64 for w in workers)
    assert {w["registered_on"] for w in workers} == {TODAY}
    rates = await DayRate.select(DayRate.amount, DayRate.effective_from)
    assert rates == [{"amount": Decimal("300.00"), "effective_from": TODAY}] * 3
    [entry] = await AuditEntry.select(AuditEntry.action, AuditEntry.site, AuditEntry.detail).where(
        AuditEntry.action == "roster.import").output(load_json=True)
    assert entry["action"] == "roster.import" and entry["site"] == crew.site
    assert entry["detail"]["added"] == 3


async def test_importing_the_same_file_again_changes_nothing(manager, crew):
    rows = rows_of(worker_rows(3))
    await services.import_roster(manager, rows, today=TODAY, device="d")
    again = await services.import_roster(manager, rows, today=date(2026, 3, 9), device="d")
    assert (len(again.new), len(again.changed), again.unchanged) == (0, 0, 3)
    assert await Worker.count() == 3 and await DayRate.count() == 3
    assert await imports_audited() == 1  # nothing written, nothing to audit


async def test_a_changed_day_rate_updates_only_that_worker(manager, crew):
    await services.import_roster(manager, rows_of(worker_rows(2)), today=TODAY, device="d")
    changed = worker_rows(2)
    changed[1][5] = 420
    plan = await services.import_roster(manager, rows_of(changed), today=date(2026, 4, 1), device="d")
    assert (len(plan.new), len(plan.changed), plan.unchanged) == (0, 1, 1)
    rates = await DayRate.select(DayRate.amount, DayRate.effective_from).where(
        DayRate.worker.account.phone == phone(2)
    ).order_by(DayRate.effective_from)
    assert rates == [{"amount": Decimal("300.00"), "effective_from": TODAY},
                     {"amount": Decimal("420.00"), "effective_from": date(2026, 4, 1)}]


async def test_an_update_writes_the_fields_that_differ_and_keeps_blank_ones(manager, crew, site):
    other = await factories.crew(site, "木工班", "木工")
    rows = worker_rows(1)
    rows[0][4] = "钢筋工"
    rows[0][6] = "2026-02-01"
    await services.import_roster(manager, rows_of(rows), today=TODAY, device="d")
    moved = [["王小二", phone(1), id_number(1), "木工班", "", "", ""]]
    plan = await services.import_roster(manager, rows_of(moved), today=TODAY, device="d")
    assert len(plan.changed) == 1
    worker = await Worker.select(
        Worker.crew, Worker.trade, Worker.registered_on, Worker.account.name.as_alias("name")
    ).first()
    # A blank trade and date keep what was stored; the crew and name change.
    assert worker == {
        "crew": other.id, "trade": "钢筋工", "registered_on": date(2026, 2, 1), "name": "王小二"
    }
    assert await DayRate.count() == 1


async def test_every_problem_of_every_row_is_found_and_nothing_written(manager, crew):
    rows = worker_rows(2) + [
        ["", phone(3), id_number(3), CREW, "", "", ""],
        ["坏号码", "1370000", id_number(4), CREW, "", "", ""],
        ["错校验", phone(5), wrong_check_digit(id_number(5)), CREW, "", "", ""],
        ["无班组", phone(6), id_number(6), "不存在的班组", "", "", ""],
        ["重复", phone(1), id_number(1), CREW, "", "", ""],
        ["", "12", "123", "", "", "-5", "yesterday"],
    ]
    plan = await services.plan_import(manager, rows_of(rows), today=TODAY)
    problems = problems_of(plan)
    assert problems[4] == {"name": "Enter the name."}
    assert problems[5] == {"phone": "A phone number has 11 digits and starts with 1."}
    assert problems[6] == {
        "id_number": "This ID number's last character is wrong; check it against the card."
    }
    assert problems[7] == {"crew": "None of your crews has this name."}
    assert problems[8] == {
        "phone": "The same phone number as row 2.", "id_number": "The same ID number as row 2."
    }
    assert set(problems[9]) == {"name", "phone", "id_number", "crew", "day_rate", "registered_on"}
    assert len(plan.new) == 2
    try:
        await services.import_roster(manager, rows_of(rows), today=TODAY, device="d")
    except services.RosterNotClean as refused:
        assert len(refused.plan.problems) == 6
    else:
        raise AssertionError("a roster with problems was imported")
    assert await Worker.count() == 0 and await User.count() == 1 and await imports_audited() == 0


async def test_a_phone_of_another_person_is_a_problem(manager, crew):
    await factories.user("supervisor", phone=phone(1))
    plan = await services.plan_import(manager, rows_of(worker_rows(1)), today=TODAY)
    assert problems_of(plan) == {2: {"phone": "Someone is already registered with this phone number."}}


async def test_a_foreman_imports_into_own_crews_and_changes_no_other(site, crew, manager):
    foreman = await factories.user("foreman")
    own = await factories.crew(site, "木工班", "木工", foreman=foreman)
    await services.import_roster(manager, rows_of(worker_rows(1)), today=TODAY, device="d")
    rows = worker_rows(1, crew="木工班") + worker_rows(1, crew=CREW, start=2)
    plan = await services.plan_import(foreman, rows_of(rows), today=TODAY)
    assert problems_of(plan) == {
        2: {"id_number": "This worker is registered in a crew you do not manage."},
        3: {"crew": "None of your crews has this name."},
    }
    plan = await services.import_roster(foreman, rows_of(worker_rows(1, crew="木工班", start=2)),
                                        today=TODAY, device="d")
    assert len(plan.new) == 1 and (await Worker.select(Worker.crew).where(Worker.crew == own.id))


async def test_a_second_import_of_a_checked_file_finds_the_first_done(manager, crew):
    rows = rows_of(worker_rows(2))
    first = await services.plan_import(manager, rows, today=TODAY)
    assert len(first.new) == 2
    await services.import_roster(manager, rows, today=TODAY, device="d")
    second = await services.import_roster(manager, rows, today=TODAY, device="d")
    assert second.unchanged == 2 and await Worker.count() == 2


async def test_thousands_of_rows_are_written_in_chunks(manager, crew):
    rows = rows_of(worker_rows(1_203))
    plan = await services.import_roster(manager, rows, today=TODAY, device="d")
    assert len(plan.new) == 1_203
    assert await Worker.count() == 1_203 and await DayRate.count() == 1_203 and await User.count() == 1_204
